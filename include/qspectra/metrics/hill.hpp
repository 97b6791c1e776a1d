#pragma once
// Alpha-Hill (METRICS.md §11): k = floor(k_frac*n) clamped to [1, n-1], threshold = (k+1)-th largest,
// alpha_hill = 1 + k / sum ln(lambda / threshold); plus the papers' alpha_mid (WWFit MLE at the median).
#include <cstdint>
#include <limits>
#include <span>

namespace qspectra::metrics {

struct HillResult {
  int64_t n_evals = 0;   // evals > 1e-5
  double k_frac = 0.1;
  int64_t k = 0;
  double threshold = std::numeric_limits<double>::quiet_NaN();
  double alpha_hill = std::numeric_limits<double>::quiet_NaN();
  int64_t mid_index = -1;
  double mid_xmin = std::numeric_limits<double>::quiet_NaN();
  double alpha_mid = std::numeric_limits<double>::quiet_NaN();
  double D_mid = std::numeric_limits<double>::quiet_NaN();
};

// `evals`: all eigenvalues, ascending (the > 1e-5 filter is applied inside). NaNs when n < 2.
HillResult alpha_hill(std::span<const double> evals, double k_frac = 0.1);

}  // namespace qspectra::metrics
