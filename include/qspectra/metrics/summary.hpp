#pragma once
// The model summary: WW's get_summary() means (§9) plus the counts users look at.
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "qspectra/metrics/layer_metrics.hpp"

namespace qspectra::metrics {

struct Summary {
  // Plain means over analysed layers as pandas computes them: NaN skipped, +-inf kept, failed fits
  // take part with alpha = -1. Keys: log_norm, alpha, alpha_weighted, log_alpha_norm,
  // log_spectral_norm, stable_rank (+ mp_softrank when an MP fit ran).
  std::map<std::string, double> means;
  int64_t num_layers = 0;        // layers whose metrics were computed (non_finite excluded)
  int64_t alpha_in_2_6 = 0;      // 2 <= alpha <= 6
  int64_t alpha_below_2 = 0;     // successful fits with alpha < 2
  int64_t alpha_above_6 = 0;     // alpha > 6 (inf included)
  int64_t failed = 0;            // status failed
  int64_t non_finite = 0;        // layers skipped for NaN/Inf weights (passed in)
  // Per mean key: analysed layers whose value is NaN (left out, as pandas does), and layers whose
  // value is +-inf (kept, as pandas does, so the mean is not finite).
  std::map<std::string, int64_t> nan_left_out, infinite_kept;
  // Median and interquartile range (q75 - q25, numpy's linear percentiles) of alpha over the layers
  // whose fit succeeded (failed fits' -1 and NaN left out, +inf kept); NaN when there is none.
  double alpha_median = std::numeric_limits<double>::quiet_NaN();
  double alpha_iqr = std::numeric_limits<double>::quiet_NaN();
};

Summary summarize(const std::vector<const LayerMetrics*>& layers, int64_t non_finite_layers = 0);

}  // namespace qspectra::metrics
