#include "qspectra/metrics/spectrum_extras.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "numeric.hpp"

namespace qspectra::metrics {

namespace {
constexpr double kNaNx = std::numeric_limits<double>::quiet_NaN();

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}
}  // namespace

DetX detx_constraint(std::span<const double> evals) {
  DetX d;
  const auto n = static_cast<int64_t>(evals.size());
  if (n == 0) return d;
  const double scale = static_cast<double>(n) / detail::np_sum(evals);  // Wscale^2 = n / sum
  double prod = 1.0;
  for (int64_t i = n - 1; i >= 1; --i) {
    const double r = scale * evals[static_cast<std::size_t>(i)];
    prod *= r;
    if (prod < 1.0) {
      d.num = n - i;
      d.val_unrescaled = r;
      d.val = r / scale;  // un_rescale_eigenvalues: the original eigenvalue up to rounding
      return d;
    }
  }
  return d;  // no such idx: detX_num = 0, values NaN
}

double jensen_shannon_distance(std::span<const double> p, std::span<const double> q) {
  if (p.size() != q.size() || p.empty()) return kNaNx;
  const double sp = detail::np_sum(p), sq = detail::np_sum(q);
  if (!(sp > 0) || !(sq > 0)) return kNaNx;  // scipy: 0/0 -> NaN (e.g. an all-zero matrix)
  double kl_p = 0, kl_q = 0;
  std::vector<double> tp(p.size()), tq(q.size());
  for (std::size_t i = 0; i < p.size(); ++i) {
    const double a = p[i] / sp, b = q[i] / sq, m = (a + b) / 2;
    tp[i] = a > 0 ? a * std::log(a / m) : 0.0;
    tq[i] = b > 0 ? b * std::log(b / m) : 0.0;
  }
  kl_p = detail::np_sum(tp);
  kl_q = detail::np_sum(tq);
  return std::sqrt((kl_p + kl_q) / 2);
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return kNaNx;
  std::sort(v.begin(), v.end());
  const double pos = q / 100.0 * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  if (frac == 0) return v[lo];
  if (std::isinf(v[lo]) || std::isinf(v[hi])) return frac < 0.5 ? v[lo] : v[hi];
  return v[lo] + (v[hi] - v[lo]) * frac;
}

uint64_t layer_seed(uint64_t run_seed, std::string_view name, uint64_t stream) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : name) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return splitmix64(splitmix64(run_seed) ^ h ^ splitmix64(stream + 0x5851F42D4C957F2Dull));
}

BootstrapResult bootstrap_alpha(std::span<const double> evals, const PowerLawFit& fit, const FitOptions& options,
                                int resamples, uint64_t seed, double level) {
  BootstrapResult b;
  std::vector<double> x;
  for (double v : evals)
    if (v > kEvalsThresh) x.push_back(v);
  if (resamples <= 0 || x.size() < 2 || fit.status != "success") return b;
  std::mt19937_64 rng(seed);
  std::vector<double> alphas, sample(x.size());
  alphas.reserve(static_cast<std::size_t>(resamples));
  FitOptions o = options;
  o.keep_trace = false;
  int64_t stable = 0;
  const double k = static_cast<double>(fit.num_pl_spikes);
  for (int r = 0; r < resamples; ++r) {
    for (auto& s : sample) s = x[static_cast<std::size_t>(rng() % x.size())];
    std::sort(sample.begin(), sample.end());
    const PowerLawFit f = fit_powerlaw(sample, o);
    ++b.resamples;
    if (f.status != "success" || std::isnan(f.alpha)) {
      ++b.failed;
      continue;
    }
    alphas.push_back(f.alpha);
    if (k > 0 && f.num_pl_spikes > 0 && std::fabs(std::log10(static_cast<double>(f.num_pl_spikes) / k)) <= 1.0)
      ++stable;
  }
  const double tail = (1.0 - level) / 2.0 * 100.0;
  b.ci_low = percentile(alphas, tail);
  b.ci_high = percentile(alphas, 100.0 - tail);
  b.xmin_stability = static_cast<double>(stable) / static_cast<double>(b.resamples);
  return b;
}

}  // namespace qspectra::metrics
