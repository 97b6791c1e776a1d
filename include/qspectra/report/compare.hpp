#pragma once
// Comparing two analysed models (baseline vs fine-tuned): summary changes as in seed 002, and a
// per-layer table joined by name.
#include <nlohmann/json.hpp>

#include "qspectra/pipeline/analyze.hpp"
#include "qspectra/report/table.hpp"

namespace qspectra::report {

// {"baseline": {metric: mean}, "finetuned": {...}, "changes": {metric: finetuned - baseline}}
nlohmann::ordered_json compare_json(const pipeline::AnalysisResult& baseline,
                                    const pipeline::AnalysisResult& finetuned);

// name, category, presence (both|baseline_only|finetuned_only), then for each compared metric
// <m>_baseline, <m>_finetuned, <m>_delta. Rows: finetuned order, then baseline-only layers.
Table compare_table(const pipeline::AnalysisResult& baseline, const pipeline::AnalysisResult& finetuned);

}  // namespace qspectra::report
