#include "qspectra/metrics/summary.hpp"

#include <cmath>

#include "numeric.hpp"
#include "qspectra/metrics/spectrum_extras.hpp"

namespace qspectra::metrics {

namespace {
// pandas Series.mean(): NaN skipped (filled with 0 for the sum, not counted), +-inf kept.
double pandas_mean(const std::vector<double>& v) {
  std::vector<double> filled(v.size());
  std::size_t count = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    filled[i] = std::isnan(v[i]) ? 0.0 : v[i];
    count += std::isnan(v[i]) ? 0 : 1;
  }
  if (count == 0) return kNaN;
  return detail::np_sum(filled) / static_cast<double>(count);
}
}  // namespace

Summary summarize(const std::vector<const LayerMetrics*>& layers, int64_t non_finite_layers) {
  Summary s;
  s.num_layers = static_cast<int64_t>(layers.size());
  s.non_finite = non_finite_layers;
  if (layers.empty()) return s;
  std::vector<double> log_norm, alpha, alpha_weighted, log_alpha_norm, log_spectral_norm, stable_rank, mp_softrank;
  bool any_mp = false;
  for (const LayerMetrics* l : layers) {
    log_norm.push_back(l->log_norm);
    alpha.push_back(l->fit.alpha);
    alpha_weighted.push_back(l->alpha_weighted);
    log_alpha_norm.push_back(l->log_alpha_norm);
    log_spectral_norm.push_back(l->log_spectral_norm);
    stable_rank.push_back(l->stable_rank);
    mp_softrank.push_back(l->mp ? l->mp->mp_softrank : kNaN);
    any_mp = any_mp || l->mp.has_value();

    const double a = l->fit.alpha;
    if (l->fit.status == "failed") {
      ++s.failed;
    } else if (a >= 2.0 && a <= 6.0) {
      ++s.alpha_in_2_6;
    } else if (a < 2.0) {
      ++s.alpha_below_2;
    } else if (a > 6.0) {
      ++s.alpha_above_6;
    }
  }
  auto add = [&](const char* key, const std::vector<double>& v) {
    s.means[key] = pandas_mean(v);
    int64_t nan = 0, inf = 0;
    for (double x : v) nan += std::isnan(x), inf += std::isinf(x);
    s.nan_left_out[key] = nan;
    s.infinite_kept[key] = inf;
  };
  add("log_norm", log_norm);
  add("alpha", alpha);
  add("alpha_weighted", alpha_weighted);
  add("log_alpha_norm", log_alpha_norm);
  add("log_spectral_norm", log_spectral_norm);
  add("stable_rank", stable_rank);
  if (any_mp) add("mp_softrank", mp_softrank);
  std::vector<double> ok;
  for (const LayerMetrics* l : layers)
    if (l->fit.status == "success" && !std::isnan(l->fit.alpha)) ok.push_back(l->fit.alpha);
  if (!ok.empty()) {
    s.alpha_median = percentile(ok, 50.0);
    const double q75 = percentile(ok, 75.0), q25 = percentile(ok, 25.0);
    s.alpha_iqr = (std::isinf(q75) && q75 == q25) ? 0.0 : q75 - q25;
  }
  return s;
}

}  // namespace qspectra::metrics
