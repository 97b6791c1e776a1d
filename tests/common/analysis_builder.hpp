#pragma once
// Hand-made analysis results for tests of what consumes them (comparisons, reports).
#include <string>
#include <vector>

#include "qspectra/pipeline/analyze.hpp"

namespace qspectra::testing {

// A successfully fitted layer: alpha and log_norm as given, the other compared metrics fixed.
inline pipeline::LayerResult fitted_layer(const std::string& name, double alpha, double log_norm = 1.0) {
  pipeline::LayerResult r;
  r.info.name = name;
  r.info.category = "mlp_up";
  r.status = "success";
  r.metrics.fit.alpha = alpha;
  r.metrics.fit.status = "success";
  r.metrics.log_norm = log_norm;
  r.metrics.alpha_weighted = alpha * 0.5;
  r.metrics.log_alpha_norm = 1.0;
  r.metrics.log_spectral_norm = 0.5;
  r.metrics.stable_rank = 10.0;
  return r;
}

// An AnalysisResult holding `layers` and their summary (in the order given).
inline pipeline::AnalysisResult analysis_of(std::vector<pipeline::LayerResult> layers) {
  pipeline::AnalysisResult a;
  a.layers = std::move(layers);
  std::vector<const metrics::LayerMetrics*> ms;
  for (const auto& l : a.layers) ms.push_back(&l.metrics);
  a.summary = metrics::summarize(ms);
  return a;
}

}  // namespace qspectra::testing
