// k-means++ seeding (Arthur & Vassilvitskii 2007).
#include <cmath>
#include <limits>

#include "kmeans_detail.hpp"

namespace qspectra::rd::detail {
namespace {

// The squared distances are summed per fixed block of points, so the draw costs O(n / block +
// block) instead of a pass over all n points, and the sums (hence the picks) do not depend on
// the thread count.
constexpr size_t kBlock = 4096;

// The index drawn for r in [0, total): the first point whose running sum of d2 exceeds r, among
// points with d2 > 0 (a point at distance 0 is already a centre).
size_t draw(const std::vector<double>& d2, const std::vector<double>& block_sum, double r) {
  const size_t n = d2.size(), nb = block_sum.size();
  double acc = 0;
  size_t b = 0;
  while (b + 1 < nb && acc + block_sum[b] <= r) acc += block_sum[b++];
  for (size_t i = b * kBlock; i < n; ++i) {  // rounding may push r past this block: go on
    acc += d2[i];
    if (acc > r && d2[i] > 0) return i;
  }
  for (size_t i = n; i-- > 0;)  // r beyond the running sum by rounding: the last positive point
    if (d2[i] > 0) return i;
  return 0;
}

}  // namespace

std::vector<double> kmeanspp(std::span<const double> v, int dim, int k, Rng& rng, int threads) {
  const size_t n = v.size() / size_t(dim), nb = (n + kBlock - 1) / kBlock;
  std::vector<double> c;
  c.reserve(size_t(k) * size_t(dim));
  auto add = [&](size_t i) { c.insert(c.end(), v.begin() + i * dim, v.begin() + (i + 1) * dim); };
  add(rng.below(n));
  std::vector<double> d2(n, std::numeric_limits<double>::infinity()), block_sum(nb);
  with_dim(dim, [&](auto D) {
    for (int j = 1; j < k; ++j) {
      const double* last = c.data() + size_t(j - 1) * dim;
      parallel_ranges(nb, threads, [&](size_t b0, size_t b1) {
        for (size_t b = b0; b < b1; ++b) {
          double s = 0;
          for (size_t i = b * kBlock, e = std::min(n, (b + 1) * kBlock); i < e; ++i) {
            d2[i] = std::min(d2[i], dist2(&v[i * dim], last, D));
            s += d2[i];
          }
          block_sum[b] = s;
        }
      }, /*min_per_thread=*/4);
      double total = 0;
      for (double s : block_sum) total += s;
      // total == 0: every point already is a centre, duplicates are unavoidable
      add(total > 0 ? draw(d2, block_sum, rng.uniform() * total) : rng.below(n));
    }
  });
  return c;
}

}  // namespace qspectra::rd::detail
