#include "qspectra/rd/kmeans.hpp"

#include <algorithm>
#include <limits>
#include <thread>

#include "qspectra/core/error.hpp"
#include "random.hpp"

namespace qspectra::rd {
namespace {

// Runs fn(begin, end) over [0, n) split into one contiguous range per thread. Each index is
// written by exactly one call, so results do not depend on the thread count.
template <class F>
void parallel_ranges(size_t n, int threads, F&& fn) {
  const size_t t = size_t(std::clamp<int64_t>(threads, 1, int64_t(std::max<size_t>(1, n / 4096))));
  if (t <= 1) {
    fn(size_t(0), n);
    return;
  }
  std::vector<std::thread> pool;
  for (size_t i = 0; i < t; ++i) pool.emplace_back([&, i] { fn(n * i / t, n * (i + 1) / t); });
  for (auto& th : pool) th.join();
}

inline double dist2(const double* a, const double* b, int dim) {
  double s = 0;
  for (int j = 0; j < dim; ++j) s += (a[j] - b[j]) * (a[j] - b[j]);
  return s;
}

// k-means++: first centre uniform, each next one drawn with probability proportional to the
// squared distance to the nearest centre chosen so far.
std::vector<double> kmeanspp(std::span<const double> v, int dim, int k, detail::Rng& rng, int threads) {
  const size_t n = v.size() / size_t(dim);
  std::vector<double> c;
  c.reserve(size_t(k) * size_t(dim));
  auto add = [&](size_t i) { c.insert(c.end(), v.begin() + i * dim, v.begin() + (i + 1) * dim); };
  add(rng.below(n));
  std::vector<double> d2(n, std::numeric_limits<double>::infinity());
  for (int j = 1; j < k; ++j) {
    const double* last = c.data() + size_t(j - 1) * dim;
    parallel_ranges(n, threads, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) d2[i] = std::min(d2[i], dist2(&v[i * dim], last, dim));
    });
    double total = 0;
    for (double x : d2) total += x;
    size_t pick = n;
    if (total > 0) {
      const double r = rng.uniform() * total;
      double acc = 0;
      size_t last_positive = 0;
      for (size_t i = 0; i < n && pick == n; ++i) {
        if (d2[i] > 0) last_positive = i;
        acc += d2[i];
        if (acc > r && d2[i] > 0) pick = i;
      }
      if (pick == n) pick = last_positive;  // rounding left r beyond the running sum
    } else {
      pick = rng.below(n);  // every point already is a centre: duplicates are unavoidable
    }
    add(pick);
  }
  return c;
}

}  // namespace

void assign_nearest(std::span<const double> vectors, int dim, std::span<const double> centroids,
                    std::span<int32_t> labels, int threads) {
  const size_t n = vectors.size() / size_t(dim), k = centroids.size() / size_t(dim);
  parallel_ranges(n, threads, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) {
      const double* x = &vectors[i * dim];
      double best = std::numeric_limits<double>::infinity();
      int32_t arg = 0;
      for (size_t c = 0; c < k; ++c) {
        const double d = dist2(x, &centroids[c * dim], dim);
        if (d < best) {
          best = d;
          arg = int32_t(c);
        }
      }
      labels[i] = arg;
    }
  });
}

KMeansResult kmeans(std::span<const double> vectors, int dim, int k, const KMeansOptions& opt) {
  if (dim < 1 || vectors.size() % size_t(dim) != 0) throw InternalError("kmeans: bad dimension");
  const size_t n = vectors.size() / size_t(dim);
  if (k < 1 || size_t(k) > n) throw InternalError("kmeans: need 1 <= k <= number of vectors");
  detail::Rng rng(opt.seed);
  KMeansResult r;
  r.centroids = kmeanspp(vectors, dim, k, rng, opt.threads);
  std::vector<int32_t> labels(n, -1), prev;
  std::vector<double> sum(size_t(k) * dim);
  std::vector<int64_t> count(static_cast<size_t>(k));
  for (r.iterations = 0; r.iterations < opt.max_iter; ++r.iterations) {
    assign_nearest(vectors, dim, r.centroids, labels, opt.threads);
    if (labels == prev) {
      r.converged = true;
      break;
    }
    std::fill(sum.begin(), sum.end(), 0.0);
    std::fill(count.begin(), count.end(), 0);
    for (size_t i = 0; i < n; ++i) {  // sequential: the same sums for any thread count
      ++count[size_t(labels[i])];
      for (int j = 0; j < dim; ++j) sum[size_t(labels[i]) * dim + j] += vectors[i * dim + j];
    }
    for (size_t c = 0; c < size_t(k); ++c)
      if (count[c])
        for (int j = 0; j < dim; ++j) r.centroids[c * dim + j] = sum[c * dim + j] / double(count[c]);
    prev = labels;
  }
  return r;
}

}  // namespace qspectra::rd
