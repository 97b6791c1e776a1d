#include "qspectra/quant/lloyd_max.hpp"

#include <algorithm>
#include <cmath>

namespace qspectra::quant {
namespace {

// numpy.percentile's default (linear) at fraction f of the sorted data, with numpy's lerp.
double percentile_sorted(const std::vector<double>& s, double f) {
  const double pos = f * double(s.size() - 1);
  const size_t lo = size_t(std::floor(pos));
  const size_t hi = std::min(lo + 1, s.size() - 1);
  const double t = pos - double(lo), d = s[hi] - s[lo];
  return t >= 0.5 ? s[hi] - d * (1 - t) : s[lo] + d * t;
}

std::vector<double> percentile_init(const std::vector<double>& sorted, int L) {
  std::vector<double> c(static_cast<size_t>(L));
  for (int i = 0; i < L; ++i) c[size_t(i)] = percentile_sorted(sorted, double(i + 1) / double(L + 1));
  return c;
}

// usym:B's grid with L levels: +-(k+1/2) scale, scale = absmax/(L/2 - 1/2), outer levels +-absmax.
// L = 1: the single level 0.
std::vector<double> uniform_sym_init(const std::vector<double>& sorted, int L) {
  const double absmax = std::max(std::fabs(sorted.front()), std::fabs(sorted.back()));
  std::vector<double> c;
  if (L == 1) return {0.0};
  const int half = L / 2;
  const double scale = absmax / (double(half) - 0.5);
  for (int k = half - 1; k >= 0; --k) c.push_back(-(k + 0.5) * scale);
  for (int k = 0; k < L - half; ++k) c.push_back((k + 0.5) * scale);
  return c;
}

// asym:B's grid with L levels: L evenly spaced levels over [min(lo,0), max(hi,0)] with 0 on the grid.
std::vector<double> uniform_asym_init(const std::vector<double>& sorted, int L) {
  const double lo = std::min(sorted.front(), 0.0), hi = std::max(sorted.back(), 0.0);
  if (L == 1 || hi == lo) return std::vector<double>(size_t(L), lo);
  const double scale = (hi - lo) / double(L - 1);
  const double zp = std::clamp(std::nearbyint(-lo / scale), 0.0, double(L - 1));
  std::vector<double> c;
  for (int q = 0; q < L; ++q) c.push_back((double(q) - zp) * scale);
  return c;
}

// Mean squared error of quantizing the sorted data to its nearest level (levels ascending).
double mse_sorted(const std::vector<double>& s, const std::vector<double>& levels) {
  long double sum = 0;
  size_t j = 0;
  for (double x : s) {  // s ascending: the nearest level index never decreases
    while (j + 1 < levels.size() && x >= (levels[j] + levels[j + 1]) / 2) ++j;
    const long double d = (long double)x - levels[j];
    sum += d * d;
  }
  return double(sum / (long double)s.size());
}

// Lloyd steps cannot increase the mse in exact arithmetic; keep the starting grid should rounding
// ever make the final levels worse.
void keep_the_better(const std::vector<double>& sorted, LloydResult& r, const std::vector<double>& init,
                     double init_mse) {
  r.initial_mse = init_mse;
  r.mse = mse_sorted(sorted, r.levels);
  if (r.mse > init_mse) {
    r.levels = init;
    r.mse = init_mse;
  }
}

// Sum of sorted[0, i): long-double prefix at every 1024th element plus a short direct sum, so
// cell means stay accurate for tens of millions of values without an n-sized long double array.
class PrefixSums {
public:
  explicit PrefixSums(const std::vector<double>& s) : s_(s) {
    block_.push_back(0);
    long double acc = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      acc += s[i];
      if ((i + 1) % kBlock == 0) block_.push_back(acc);
    }
  }
  long double operator()(size_t i) const {
    long double acc = block_[i / kBlock];
    for (size_t k = (i / kBlock) * kBlock; k < i; ++k) acc += s_[k];
    return acc;
  }

private:
  static constexpr size_t kBlock = 1024;
  const std::vector<double>& s_;
  std::vector<long double> block_;
};

}  // namespace

namespace {

// Lloyd iterations from `init` (ascending levels) with the fast (prefix sums) or the direct cell means.
template <class Iterate>
LloydResult run_from(const std::vector<double>& sorted, LloydInit which, std::vector<double> init,
                     Iterate&& iterate) {
  LloydResult r;
  r.init = which;
  r.initial_mse = mse_sorted(sorted, init);
  r.levels = init;
  iterate(r);
  std::sort(r.levels.begin(), r.levels.end());
  keep_the_better(sorted, r, init, r.initial_mse);
  return r;
}

// Auto: Lloyd from the percentile grid and from the better of the two uniform grids; the lower final
// mse wins (the percentile run on ties). The result is never worse than either uniform grid (Lloyd
// steps do not increase the mse) nor than the notebook's percentile start.
template <class Iterate>
LloydResult run_lloyd(const std::vector<double>& sorted, int L, const LloydOptions& opt, Iterate&& iterate) {
  auto grid = [&](LloydInit k) {
    return k == LloydInit::Percentile   ? percentile_init(sorted, L)
           : k == LloydInit::UniformSym ? uniform_sym_init(sorted, L)
                                        : uniform_asym_init(sorted, L);
  };
  if (opt.init != LloydInit::Auto) return run_from(sorted, opt.init, grid(opt.init), iterate);
  auto sym = grid(LloydInit::UniformSym), asym = grid(LloydInit::UniformAsym);
  const bool sym_better = mse_sorted(sorted, sym) <= mse_sorted(sorted, asym);
  auto from_uniform = sym_better ? run_from(sorted, LloydInit::UniformSym, std::move(sym), iterate)
                                 : run_from(sorted, LloydInit::UniformAsym, std::move(asym), iterate);
  auto from_percentile = run_from(sorted, LloydInit::Percentile, grid(LloydInit::Percentile), iterate);
  return from_uniform.mse < from_percentile.mse ? from_uniform : from_percentile;
}

}  // namespace

LloydResult lloyd_max(std::span<const double> data, int n_levels, const LloydOptions& opt) {
  if (data.empty() || n_levels < 1) return {};
  std::vector<double> s(data.begin(), data.end());
  std::sort(s.begin(), s.end());
  const PrefixSums prefix(s);
  const size_t L = size_t(n_levels);
  return run_lloyd(s, n_levels, opt, [&](LloydResult& r) {
    std::vector<size_t> edge(L + 1, 0), prev;  // cell j holds sorted[edge[j], edge[j+1])
    edge[L] = s.size();
    for (r.iterations = 0; r.iterations < opt.max_iter; ++r.iterations) {
      for (size_t j = 1; j < L; ++j) {
        const double t = (r.levels[j - 1] + r.levels[j]) / 2;
        edge[j] = size_t(std::lower_bound(s.begin(), s.end(), t) - s.begin());  // x == t goes up
      }
      if (edge == prev) {  // same cells as last time: the levels cannot move any more
        r.converged = true;
        break;
      }
      for (size_t j = 0; j < L; ++j)
        if (edge[j + 1] > edge[j])  // an empty cell keeps its level (as the notebook)
          r.levels[j] = double((prefix(edge[j + 1]) - prefix(edge[j])) / (long double)(edge[j + 1] - edge[j]));
      prev = edge;
    }
  });
}

LloydResult lloyd_max_ref(std::span<const double> data, int n_levels, const LloydOptions& opt) {
  if (data.empty() || n_levels < 1) return {};
  std::vector<double> sorted(data.begin(), data.end());
  std::sort(sorted.begin(), sorted.end());
  const size_t L = size_t(n_levels);
  return run_lloyd(sorted, n_levels, opt, [&](LloydResult& r) {
    std::vector<size_t> count, prev;
    for (r.iterations = 0; r.iterations < opt.max_iter; ++r.iterations) {
      count.assign(L, 0);
      std::vector<long double> sum(L, 0);
      for (double x : data) {
        size_t j = 0;  // numpy.digitize: cell = number of thresholds <= x
        while (j + 1 < L && x >= (r.levels[j] + r.levels[j + 1]) / 2) ++j;
        ++count[j];
        sum[j] += x;
      }
      if (count == prev) {
        r.converged = true;
        break;
      }
      for (size_t j = 0; j < L; ++j)
        if (count[j]) r.levels[j] = double(sum[j] / (long double)count[j]);
      prev = count;
    }
  });
}

void quantize_to_levels(std::span<double> values, std::span<const double> levels) {
  if (levels.empty()) return;
  std::vector<double> mid(levels.size() - 1);
  for (size_t j = 0; j + 1 < levels.size(); ++j) mid[j] = (levels[j] + levels[j + 1]) / 2;
  for (double& x : values)
    x = levels[size_t(std::upper_bound(mid.begin(), mid.end(), x) - mid.begin())];
}

}  // namespace qspectra::quant
