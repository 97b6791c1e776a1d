#include "qspectra/metrics/hill.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "qspectra/metrics/powerlaw.hpp"

namespace qspectra::metrics {

namespace {
// Neumaier-compensated sum (the reference uses math.fsum; this agrees to the last bit or two).
double compensated_sum(const std::vector<double>& v) {
  double s = 0, c = 0;
  for (double x : v) {
    const double t = s + x;
    c += std::fabs(s) >= std::fabs(x) ? (s - t) + x : (x - t) + s;
    s = t;
  }
  return s + c;
}
}  // namespace

HillResult alpha_hill(std::span<const double> evals, double k_frac) {
  HillResult r;
  r.k_frac = k_frac;
  std::vector<double> x;
  x.reserve(evals.size());
  for (double v : evals)
    if (v > kEvalsThresh) x.push_back(v);
  if (!std::is_sorted(x.begin(), x.end())) std::sort(x.begin(), x.end());
  const auto n = static_cast<int64_t>(x.size());
  r.n_evals = n;
  if (n < 2) return r;

  // Alpha-Hill: k top eigenvalues over the (k+1)-th largest.
  int64_t k = static_cast<int64_t>(std::floor(k_frac * static_cast<double>(n)));
  k = std::clamp<int64_t>(k, 1, n - 1);
  r.k = k;
  r.threshold = x[static_cast<std::size_t>(n - k - 1)];
  std::vector<double> logs;
  logs.reserve(static_cast<std::size_t>(k));
  for (int64_t j = n - k; j < n; ++j) logs.push_back(std::log(x[static_cast<std::size_t>(j)] / r.threshold));
  r.alpha_hill = 1.0 + static_cast<double>(k) / compensated_sum(logs);

  // alpha_mid: WWFit's MLE and KS distance at the fixed xmin = the median (index floor(n/2)).
  const int64_t i0 = n / 2;
  r.mid_index = i0;
  r.mid_xmin = x[static_cast<std::size_t>(i0)];
  const double m = static_cast<double>(n - i0);
  const double lx0 = std::log(r.mid_xmin);
  double s = 0;
  for (int64_t j = n - 1; j >= i0; --j) s += std::log(x[static_cast<std::size_t>(j)]);
  r.alpha_mid = 1.0 + m / (s - m * lx0);
  if (!std::isfinite(r.alpha_mid)) {
    r.D_mid = std::numeric_limits<double>::quiet_NaN();  // hill.csv: no KS distance for an infinite alpha
  } else if (r.alpha_mid > 1.0) {
    double D = 0;
    for (int64_t t = 0; t < n - i0; ++t)
      D = std::max(D, std::fabs(1.0 - std::pow(x[static_cast<std::size_t>(i0 + t)] / r.mid_xmin, 1.0 - r.alpha_mid) -
                                static_cast<double>(t) / m));
    r.D_mid = D;
  } else {
    r.D_mid = 1.0;
  }
  return r;
}

}  // namespace qspectra::metrics
