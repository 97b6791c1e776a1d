#pragma once
// precision-sweep's outputs (names in docs/output-schema.md).
#include <string>

#include <nlohmann/json.hpp>

#include "qspectra/pipeline/sweep.hpp"
#include "qspectra/report/table.hpp"

namespace qspectra::report {

// "sym:8:g128" -> "sym_8_g128" (non-alphanumerics replaced by '_'), for wide-CSV column names.
std::string variant_column_suffix(const std::string& variant);

// sweep_long.csv: name, category, variant, then every ww-analyze column incl. quantization errors.
Table sweep_long_table(const pipeline::SweepResult& r, bool mp_fit);
// precision_alpha_hill_results.csv (wide, one row per layer): layer_name, block, category, out_features, in_features, numel,
// then per variant alpha_<v> (Alpha-Hill), k_used_<v>, n_eigs_<v>, method_<v>, ww_alpha_<v>.
Table alpha_hill_wide_table(const pipeline::SweepResult& r);
// precision_summary_statistics.csv: metric (= alpha_hill), precision, count, mean, std, min, median,
// max, q25, q75 of Alpha-Hill over finite values, one row per variant (pipeline::alpha_hill_statistics).
Table summary_statistics_table(const pipeline::SweepResult& r);
// precision_ww_alpha_summary.csv: variant, count, mean, std, median, min, max, in_2_6, below_2,
// above_6 of WW alpha over successful fits (pipeline::ww_alpha_summary).
Table ww_alpha_summary_table(const pipeline::SweepResult& r);
// sweep_comparison.json (pipeline::compare_variants): per variant vs the baseline: mean alpha, change %, Pearson
// correlation of layer alphas, layers in [2,6] (count, %), < 2, > 6, failed, non_finite.
nlohmann::ordered_json sweep_comparison_json(const pipeline::SweepResult& r, std::size_t baseline);
// The same comparison as a printable table.
Table sweep_comparison_table(const pipeline::SweepResult& r, std::size_t baseline);

}  // namespace qspectra::report
