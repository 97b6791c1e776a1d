#include "qspectra/metrics/layer_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "numeric.hpp"
#include "qspectra/metrics/mp_fit.hpp"

namespace qspectra::metrics {

namespace {
constexpr double kEntropyEpsilon = 1e-10;  // RMT_Util EPSILON (CPU)
constexpr double kFloat64Eps = std::numeric_limits<double>::epsilon();
}  // namespace

LayerMetrics compute_layer_metrics(const LayerSpectrum& spectrum, const MetricsOptions& options) {
  LayerMetrics r;
  const std::vector<double>& ev = spectrum.evals;
  const std::span<const double> evs(ev);
  r.N = spectrum.N;
  r.M = spectrum.M;
  r.rf = spectrum.rf;
  r.num_evals = static_cast<int64_t>(ev.size());
  r.Q = r.M > 0 ? static_cast<double>(r.N) / static_cast<double>(r.M) : kNaN;
  r.sv_max = spectrum.sv_max;
  r.sv_min = spectrum.sv_min;
  r.rank_loss = spectrum.rank_loss;

  // §4
  if (!ev.empty()) r.lambda_max = *std::max_element(ev.begin(), ev.end());
  for (double v : ev) r.weak_rank_loss += v < options.tolerance ? 1 : 0;

  // §5
  r.fit = fit_powerlaw(evs, options.fit);
  r.fingers = count_fingers(evs, r.fit);
  if (options.detx && !ev.empty()) r.detx = detx_constraint(evs);

  // §6 (all eigenvalues; alpha = -1 for a failed fit)
  if (!ev.empty()) {
    const double alpha = r.fit.alpha;
    r.norm = detail::np_sum(evs);
    r.log_norm = std::log10(r.norm);
    r.spectral_norm = r.lambda_max;
    r.log_spectral_norm = std::log10(r.spectral_norm);
    r.alpha_weighted = alpha * r.log_spectral_norm;
    std::vector<double> powed(ev.size());
    for (std::size_t i = 0; i < ev.size(); ++i) powed[i] = std::pow(ev[i], alpha);
    r.log_alpha_norm = std::log10(detail::np_sum(powed));
    r.stable_rank = r.norm / r.spectral_norm;

    // hard rank on singular values s = sqrt(evals), tolerance max(s) * N * eps
    double smax = 0;
    for (double v : ev) smax = std::max(smax, std::sqrt(v));
    const double tol = smax * static_cast<double>(r.N) * kFloat64Eps;
    int64_t rank = 0;
    for (double v : ev) rank += std::sqrt(v) > tol ? 1 : 0;
    r.matrix_rank = rank;

    // entropy (RMT_Util.matrix_entropy, which squares sqrt(evals) again): p = s^2 / sum(s^2) + EPS,
    // -sum p ln p / ln(rank + EPS)
    std::vector<double> s2(ev.size()), plogp(ev.size());
    for (std::size_t i = 0; i < ev.size(); ++i) {
      const double s = std::sqrt(ev[i]);
      s2[i] = s * s;
    }
    const double s2sum = detail::np_sum(s2);
    for (std::size_t i = 0; i < ev.size(); ++i) {
      const double p = s2[i] / s2sum + kEntropyEpsilon;
      plogp[i] = p * std::log(p);
    }
    r.entropy = -detail::np_sum(plogp) / std::log(static_cast<double>(rank) + kEntropyEpsilon);
  }

  // §11
  r.hill = alpha_hill(evs, options.k_frac);

  // §7
  if (options.mp_fit) r.mp = fit_marchenko_pastur(evs, r.Q, r.M);
  return r;
}

}  // namespace qspectra::metrics
