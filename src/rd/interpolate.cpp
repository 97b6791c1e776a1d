#include "qspectra/rd/interpolate.hpp"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "qspectra/core/error.hpp"
#include "qspectra/rd/shannon.hpp"

namespace qspectra::rd {

std::string_view coverage_name(Coverage c) {
  switch (c) {
    case Coverage::Ok: return "ok";
    case Coverage::InsufficientCoverage: return "insufficient coverage";
    case Coverage::InvalidTarget: return "invalid target";
    case Coverage::NonFinite: return "non_finite";
  }
  return "?";
}

RateAtDistortion rate_at_distortion(std::span<const double> rates, std::span<const double> mses,
                                    double target_d, double sigma2) {
  if (rates.size() != mses.size()) throw InternalError("rate_at_distortion: size mismatch");
  RateAtDistortion r;
  if (!(target_d > 0) || !(sigma2 > 0) || !std::isfinite(target_d) || !std::isfinite(sigma2)) return r;
  r.shannon_rate = shannon_rate(sigma2, target_d);
  std::vector<std::pair<double, double>> pts;  // (rate, log mse)
  for (size_t i = 0; i < rates.size(); ++i)
    if (std::isfinite(rates[i]) && std::isfinite(mses[i]) && mses[i] > 0)
      pts.emplace_back(rates[i], std::log(mses[i]));
  std::stable_sort(pts.begin(), pts.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  r.status = Coverage::InsufficientCoverage;
  const double lt = std::log(target_d);
  for (size_t i = 0; i + 1 < pts.size(); ++i) {
    const auto [r0, d0] = pts[i];
    const auto [r1, d1] = pts[i + 1];
    if ((d0 >= lt && d1 <= lt) || (d0 <= lt && d1 >= lt)) {
      const double t = d1 == d0 ? 0.0 : (lt - d0) / (d1 - d0);
      r.rate = r0 + t * (r1 - r0);
      r.gap_bits = r.rate - r.shannon_rate;
      r.status = Coverage::Ok;
      return r;
    }
  }
  // A single point that hits the target exactly still counts.
  if (pts.size() == 1 && pts[0].second == lt) {
    r.rate = pts[0].first;
    r.gap_bits = r.rate - r.shannon_rate;
    r.status = Coverage::Ok;
  }
  return r;
}

}  // namespace qspectra::rd
