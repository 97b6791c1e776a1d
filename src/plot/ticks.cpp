#include "qspectra/plot/ticks.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace qspectra::plot {

double nice_step(double span, int target) {
  if (!(span > 0) || !std::isfinite(span)) return 1.0;
  const double raw = span / std::max(1, target);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag;
  // The nearest of 1, 2, 5, 10 on a log scale (geometric midpoints).
  double nice = 10;
  if (f < 1.4142) nice = 1;
  else if (f < 3.1623) nice = 2;
  else if (f < 7.0711) nice = 5;
  return nice * mag;
}

AxisRange nice_linear_range(double lo, double hi, int target) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return {0, 1};
  if (lo > hi) std::swap(lo, hi);
  if (hi - lo < 1e-12 * std::max(1.0, std::fabs(hi))) {
    const double pad = lo == 0 ? 1.0 : 0.5 * std::fabs(lo);
    lo -= pad;
    hi += pad;
  }
  const double step = nice_step(hi - lo, target);
  return {std::floor(lo / step + 1e-9) * step, std::ceil(hi / step - 1e-9) * step};
}

std::string format_tick_number(double v, int decimals) {
  if (v == 0) return "0";
  const double a = std::fabs(v);
  if (a >= 1e6 || a < 1e-4) {
    std::string s = fmt::format("{:.2g}", v);
    return s;
  }
  std::string s = fmt::format("{:.{}f}", v, std::max(0, decimals));
  if (s == "-0") s = "0";
  return s;
}

std::vector<Tick> linear_ticks(double lo, double hi, int target) {
  std::vector<Tick> out;
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return out;
  const double step = nice_step(hi - lo, target);
  const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  const double eps = step * 1e-6;
  for (double k = std::ceil((lo - eps) / step); k * step <= hi + eps; k += 1) {
    double v = k * step;
    if (std::fabs(v) < eps) v = 0;
    out.push_back({v, format_tick_number(v, decimals), true});
    if (out.size() > 100) break;
  }
  return out;
}

AxisRange log_decade_range(double lo, double hi) {
  if (!(lo > 0) || !(hi > 0) || !std::isfinite(lo) || !std::isfinite(hi)) return {1, 10};
  if (lo > hi) std::swap(lo, hi);
  double a = std::floor(std::log10(lo) + 1e-9), b = std::ceil(std::log10(hi) - 1e-9);
  if (b <= a) b = a + 1;
  return {std::pow(10.0, a), std::pow(10.0, b)};
}

std::vector<Tick> log_ticks(double lo, double hi) {
  std::vector<Tick> out;
  if (!(lo > 0) || !(hi > lo) || !std::isfinite(hi)) return out;
  const double tol = 1e-9;
  const int k0 = static_cast<int>(std::floor(std::log10(lo) + tol));
  const int k1 = static_cast<int>(std::ceil(std::log10(hi) - tol));
  const double decades = std::log10(hi) - std::log10(lo);
  const int every = decades > 16 ? 3 : decades > 9 ? 2 : 1;
  const bool label_minors = decades < 2.0 - tol;
  const bool draw_minors = decades <= 12;
  auto inside = [&](double v) { return v >= lo * (1 - tol) && v <= hi * (1 + tol); };
  for (int k = k0; k <= k1; ++k) {
    const double base = std::pow(10.0, k);
    if (inside(base))
      out.push_back({base, (k % every == 0) ? fmt::format("10^{}", k) : std::string(), true});
    if (!draw_minors) continue;
    for (int m = 2; m <= 9; ++m) {
      const double v = m * base;
      if (!inside(v)) continue;
      std::string label;
      if (label_minors && (m == 2 || m == 5)) label = format_tick_number(v, std::max(0, -k));
      out.push_back({v, label, false});
    }
  }
  return out;
}

}  // namespace qspectra::plot
