#pragma once
// Column names and JSON keys of every output, in one place (documented in docs/output-schema.md).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "qspectra/metrics/summary.hpp"
#include "qspectra/pipeline/layer_result.hpp"
#include "qspectra/report/table.hpp"

namespace qspectra::report {

struct LayerTableOptions {
  bool mp_fit = false;      // add W_scale, bulk_max, bulk_min, mp_softrank, num_spikes, sigma_mp
  bool fingers = false;     // add num_fingers, raw_alpha (fix_fingers clip_xmax)
  bool quant = false;       // add the quantization error columns
  bool detx = false;        // add detX_num, detX_val, detX_val_unrescaled (WW's detX=True)
  bool randomize = false;   // add max_rand_eval, rand_*, ww_softrank, ww_maxdist (WW's randomize=True)
  bool bootstrap = false;   // add alpha_ci_low, alpha_ci_high, xmin_stability
  bool farms = false;       // add alpha_farms
};

// ww_layers.csv: layer_id, name, tensor_shape, file_dtype, file, then WW's columns in pandas'
// alphabetical order (METRICS.md §8), then qspectra's: category, alpha_hill, hill_k, alpha_mid,
// method, elapsed_ms, non_finite_count, block (+ quant_* columns).
std::vector<std::string> layer_columns(const LayerTableOptions& options);
Table layer_table(const std::vector<pipeline::LayerResult>& layers, const LayerTableOptions& options);
// One cell of a layer's row by column name (the single definition of every column's value).
Cell layer_cell(const pipeline::LayerResult& layer, const std::string& column);

// {"log_norm": ..., "alpha": ...} in WW's order, non-finite as null.
nlohmann::ordered_json summary_means_json(const metrics::Summary& s);
// {"layers_analysed", "alpha_in_2_6", "alpha_below_2", "alpha_above_6", "failed", "non_finite"}
nlohmann::ordered_json summary_counts_json(const metrics::Summary& s);

// Insert a `block` column (layers::block_index of the name; empty when none) right after `name_column`.
void insert_block_column(Table& table, const std::string& name_column = "name");

// What the means leave out: {"non_finite_weights": layers not analysed, "nan_value": {key: layers
// whose value is NaN}} (pandas skips NaN).
nlohmann::ordered_json left_out_of_means_json(const metrics::Summary& s);
// {key: layers whose value is +-inf}: kept, as pandas does, so that mean is not finite (null in JSON).
nlohmann::ordered_json infinite_in_means_json(const metrics::Summary& s);
// The same in words for the terminal; empty when every mean took every layer.
std::string left_out_of_means_text(const metrics::Summary& s);

// --save-evals (report/evals.hpp): ww_evals.csv `name,lambda`; sweep_evals.csv `name,variant,lambda`.
const std::vector<std::string>& evals_columns();
const std::vector<std::string>& sweep_evals_columns();

}  // namespace qspectra::report
