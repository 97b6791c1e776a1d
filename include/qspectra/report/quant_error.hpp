#pragma once
// ww_quant_error.csv / ww_quant_error.json (ww-analyze --quant-source): W, Q(W) and E = W - Q(W) per
// layer, and their means per category and per stored type. Formats only; pipeline/quant_error computes.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "qspectra/pipeline/layer_result.hpp"
#include "qspectra/pipeline/quant_error.hpp"
#include "qspectra/report/table.hpp"

namespace qspectra::report {

// One row per layer: `quantized[i]` (ww_layers.csv's row) with `rows[i]` (same order, same size).
Table quant_error_table(const std::vector<pipeline::LayerResult>& quantized,
                        const std::vector<pipeline::QuantErrorRow>& rows);
// `layers` and the means of the table's summary columns over all layers, per category and per
// quantized type (finite values only; each mean with its count in `n`).
nlohmann::ordered_json quant_error_json(const Table& table);

}  // namespace qspectra::report
