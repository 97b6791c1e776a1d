#pragma once
// Comparing two analyses (baseline vs fine-tuned): the summary means side by side and the layers
// joined by name. Formatting lives in report/compare.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "qspectra/pipeline/analyze.hpp"

namespace qspectra::pipeline {

// The compared metrics: WW's summary means (log_norm, alpha, alpha_weighted, log_alpha_norm,
// log_spectral_norm, stable_rank).
const std::vector<std::string>& compared_metrics();
// A layer's value of a compared metric; NaN when the layer was not analysed (non-finite weights).
double compared_value(const LayerResult& layer, const std::string& metric);

enum class Presence { Both, BaselineOnly, FinetunedOnly };
std::string_view presence_name(Presence p);  // "both", "baseline_only", "finetuned_only"

struct LayerChange {
  const LayerResult* baseline = nullptr;   // null when the layer is only in the fine-tuned model
  const LayerResult* finetuned = nullptr;  // null when it is only in the baseline
  Presence presence = Presence::Both;
  std::vector<double> delta;               // per compared_metrics(): finetuned - baseline (NaN unless both)
  const LayerResult& any() const { return finetuned ? *finetuned : *baseline; }
};

struct MeanChange {
  std::string metric;
  double baseline = 0, finetuned = 0, change = 0;  // change = finetuned - baseline
};

struct Comparison {
  std::vector<MeanChange> means;    // one per compared_metrics(), each side over all its layers
  std::vector<LayerChange> layers;  // union of both sides, in natural name order
  std::size_t in_both = 0, baseline_only = 0, finetuned_only = 0;
  bool partial() const { return baseline_only + finetuned_only > 0; }
};

// Points into both results (they must outlive the Comparison). Throws InputError (naming
// `baseline_label`) when the two have no layer name in common: nothing would be compared.
Comparison compare_analyses(const AnalysisResult& baseline, const AnalysisResult& finetuned,
                            const std::string& baseline_label = "--base");

}  // namespace qspectra::pipeline
