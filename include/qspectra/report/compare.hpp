#pragma once
// ww-analyze --base's outputs: a pipeline::Comparison (baseline vs fine-tuned) as JSON and as a
// per-layer table.
#include <string>

#include <nlohmann/json.hpp>

#include "qspectra/pipeline/compare.hpp"
#include "qspectra/report/table.hpp"

namespace qspectra::report {

// {"baseline": {metric: mean}, "finetuned": {...}, "changes": {metric: finetuned - baseline},
//  "layers": {"in_both", "baseline_only", "finetuned_only", "baseline_only_names", "finetuned_only_names"}}
nlohmann::ordered_json compare_json(const pipeline::Comparison& c);

// name, block, category, presence (both|baseline_only|finetuned_only), then for each compared metric
// <m>_baseline, <m>_finetuned, <m>_delta. Rows in natural name order.
Table compare_table(const pipeline::Comparison& c);

// One line for the terminal when the layer sets differ ("12 layers in both; 3 only in the baseline
// (e.g. ...); ..."); empty when they are the same.
std::string overlap_text(const pipeline::Comparison& c);

}  // namespace qspectra::report
