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

LloydResult lloyd_max(std::span<const double> data, int n_levels, const LloydOptions& opt) {
  LloydResult r;
  if (data.empty() || n_levels < 1) return r;
  std::vector<double> s(data.begin(), data.end());
  std::sort(s.begin(), s.end());
  const PrefixSums prefix(s);
  r.levels = percentile_init(s, n_levels);
  const size_t L = size_t(n_levels);
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
  std::sort(r.levels.begin(), r.levels.end());
  return r;
}

LloydResult lloyd_max_ref(std::span<const double> data, int n_levels, const LloydOptions& opt) {
  LloydResult r;
  if (data.empty() || n_levels < 1) return r;
  std::vector<double> sorted(data.begin(), data.end());
  std::sort(sorted.begin(), sorted.end());
  r.levels = percentile_init(sorted, n_levels);
  const size_t L = size_t(n_levels);
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
  std::sort(r.levels.begin(), r.levels.end());
  return r;
}

void quantize_to_levels(std::span<double> values, std::span<const double> levels) {
  if (levels.empty()) return;
  std::vector<double> mid(levels.size() - 1);
  for (size_t j = 0; j + 1 < levels.size(); ++j) mid[j] = (levels[j] + levels[j + 1]) / 2;
  for (double& x : values)
    x = levels[size_t(std::upper_bound(mid.begin(), mid.end(), x) - mid.begin())];
}

}  // namespace qspectra::quant
