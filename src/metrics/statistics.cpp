#include "qspectra/metrics/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace qspectra::metrics {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double quantile_sorted(const std::vector<double>& v, double q) {
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}
}  // namespace

Describe describe(std::span<const double> values) {
  std::vector<double> v;
  for (double x : values)
    if (std::isfinite(x)) v.push_back(x);
  Describe d{0, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
  d.count = static_cast<int64_t>(v.size());
  if (v.empty()) return d;
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (double x : v) sum += x;
  d.mean = sum / static_cast<double>(v.size());
  if (v.size() > 1) {
    double ss = 0;
    for (double x : v) ss += (x - d.mean) * (x - d.mean);
    d.std = std::sqrt(ss / static_cast<double>(v.size() - 1));
  }
  d.min = v.front();
  d.max = v.back();
  d.median = quantile_sorted(v, 0.5);
  d.q25 = quantile_sorted(v, 0.25);
  d.q75 = quantile_sorted(v, 0.75);
  return d;
}

double pearson(std::span<const double> x, std::span<const double> y, int64_t* pairs) {
  std::vector<std::pair<double, double>> p;
  for (std::size_t i = 0; i < std::min(x.size(), y.size()); ++i)
    if (std::isfinite(x[i]) && std::isfinite(y[i])) p.emplace_back(x[i], y[i]);
  if (pairs) *pairs = static_cast<int64_t>(p.size());
  if (p.size() < 2) return kNaN;
  double mx = 0, my = 0;
  for (auto [a, b] : p) mx += a, my += b;
  mx /= static_cast<double>(p.size());
  my /= static_cast<double>(p.size());
  double sxy = 0, sxx = 0, syy = 0;
  for (auto [a, b] : p) {
    sxy += (a - mx) * (b - my);
    sxx += (a - mx) * (a - mx);
    syy += (b - my) * (b - my);
  }
  if (sxx == 0 || syy == 0) return kNaN;
  return sxy / std::sqrt(sxx * syy);
}

}  // namespace qspectra::metrics
