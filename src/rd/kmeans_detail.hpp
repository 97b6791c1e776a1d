#pragma once
// Internal pieces shared by the fast k-means (kmeans.cpp) and its brute-force reference
// (kmeans_ref.cpp): thread splitting, the distance kernel and k-means++ seeding.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <thread>
#include <vector>

#include "qspectra/rd/kmeans.hpp"
#include "random.hpp"

namespace qspectra::rd::detail {

// Runs fn(begin, end) over [0, n) split into one contiguous range per thread. Each index is
// written by exactly one call, so results do not depend on the thread count. Ranges are at least
// `min_per_thread` long (fewer threads otherwise) so a thread's start-up cost stays small.
template <class F>
void parallel_ranges(size_t n, int threads, F&& fn, size_t min_per_thread = 4096) {
  const size_t t =
      size_t(std::clamp<int64_t>(threads, 1, int64_t(std::max<size_t>(1, n / min_per_thread))));
  if (t <= 1) {
    fn(size_t(0), n);
    return;
  }
  std::vector<std::thread> pool;
  for (size_t i = 0; i < t; ++i) pool.emplace_back([&, i] { fn(n * i / t, n * (i + 1) / t); });
  for (auto& th : pool) th.join();
}

// Vector dimension, fixed at compile time for the common sizes so the distance loop unrolls.
template <int D>
struct FixedDim {
  constexpr int operator()() const { return D; }
};
struct RuntimeDim {
  int d;
  int operator()() const { return d; }
};

// Calls fn(dim_object) with a FixedDim for 1, 2, 4 and 8, a RuntimeDim otherwise.
template <class F>
decltype(auto) with_dim(int dim, F&& fn) {
  switch (dim) {
    case 1: return fn(FixedDim<1>{});
    case 2: return fn(FixedDim<2>{});
    case 4: return fn(FixedDim<4>{});
    case 8: return fn(FixedDim<8>{});
    default: return fn(RuntimeDim{dim});
  }
}

template <class Dim>
inline double dist2(const double* a, const double* b, Dim dim) {
  double s = 0;
  for (int j = 0; j < dim(); ++j) {
    const double t = a[j] - b[j];
    s += t * t;
  }
  return s;
}

// sum[c] and count[c] of the vectors labelled c, from scratch, accumulated in index order (the same
// floating-point sums for any thread count).
inline void cluster_sums(std::span<const double> x, int dim, std::span<const int32_t> labels,
                         std::vector<double>& sum, std::vector<int64_t>& count) {
  std::fill(sum.begin(), sum.end(), 0.0);
  std::fill(count.begin(), count.end(), 0);
  for (size_t i = 0; i < labels.size(); ++i) {
    const auto c = size_t(labels[i]);
    ++count[c];
    for (int j = 0; j < dim; ++j) sum[c * dim + j] += x[i * dim + j];
  }
}

using AssignFn = void (*)(std::span<const double>, int, std::span<const double>, std::span<int32_t>, int);

// Lloyd iterations with a full nearest-centroid search (`assign`) for every point: kmeans_ref, and
// kmeans for codebooks too small for bounds to pay off. Checks the arguments (InternalError).
KMeansResult lloyd_brute_force(std::span<const double> vectors, int dim, int k, const KMeansOptions& opt,
                               AssignFn assign);

// k-means++ seeding: first centre uniform, each next one drawn with probability proportional to
// the squared distance to the nearest centre chosen so far. Returns k x dim centroids row-major.
std::vector<double> kmeanspp(std::span<const double> v, int dim, int k, Rng& rng, int threads);

}  // namespace qspectra::rd::detail
