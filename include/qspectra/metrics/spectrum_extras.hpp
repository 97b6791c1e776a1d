#pragma once
// Optional per-layer numbers computed from eigenvalues (docs/metrics.md): WW's detX constraint, the
// Jensen-Shannon distance of --randomize, the bootstrap interval of alpha, and order statistics.
#include <cstdint>
#include <limits>
#include <span>
#include <string_view>
#include <vector>

#include "qspectra/metrics/powerlaw.hpp"

namespace qspectra::metrics {

// WW's detX=True (RMT_Util.detX_constraint on rescaled evals): l' = l * n / sum(l); going down from
// idx = n-1 to 1, the first idx with prod_{j>=idx} l'_j < 1 gives detX_num = n - idx, detX_val = l_idx
// and detX_val_unrescaled = l'_idx (WW's names, kept). No such idx: detX_num = 0 and both values NaN
// (WW's loop would report n and l_1 there; the spec of this option says 0).
struct DetX {
  int64_t num = 0;
  double val = std::numeric_limits<double>::quiet_NaN(), val_unrescaled = std::numeric_limits<double>::quiet_NaN();
};
DetX detx_constraint(std::span<const double> evals_ascending);

// sqrt of the Jensen-Shannon divergence (natural log) between p and q, each normalised to sum 1 and
// compared index by index (scipy.stats.entropy semantics; WW's jensen_shannon_distance).
double jensen_shannon_distance(std::span<const double> p, std::span<const double> q);

// numpy.percentile (linear interpolation) of values (any order); NaN when empty.
double percentile(std::vector<double> values, double q);

// 64-bit seed for one layer from the run seed and the layer name (FNV-1a of the name mixed with
// splitmix64), so results do not depend on thread count or layer order.
uint64_t layer_seed(uint64_t run_seed, std::string_view name, uint64_t stream = 0);

// Percentile bootstrap of the whole power-law fit (xmin choice included): resample the eigenvalues
// > 1e-5 with replacement (same count), refit with `options`, keep successful alphas.
struct BootstrapResult {
  double ci_low = kNaNBootstrap(), ci_high = kNaNBootstrap();
  double xmin_stability = kNaNBootstrap();  // fraction of resamples with |log10(k_b / k)| <= 1
  int64_t resamples = 0, failed = 0;
  static constexpr double kNaNBootstrap() { return std::numeric_limits<double>::quiet_NaN(); }
};
BootstrapResult bootstrap_alpha(std::span<const double> evals, const PowerLawFit& fit, const FitOptions& options,
                                int resamples, uint64_t seed, double level = 0.95);

}  // namespace qspectra::metrics
