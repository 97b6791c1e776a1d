// Brute-force Lloyd k-means: the reference the fast kmeans() is tested against, and (with the
// unrolled assignment) kmeans() itself for small codebooks.
#include <limits>

#include "kmeans_detail.hpp"
#include "qspectra/core/error.hpp"
#include "qspectra/rd/kmeans.hpp"

namespace qspectra::rd {

void assign_nearest_ref(std::span<const double> vectors, int dim, std::span<const double> centroids,
                        std::span<int32_t> labels, int threads) {
  const size_t n = vectors.size() / size_t(dim), k = centroids.size() / size_t(dim);
  detail::parallel_ranges(n, threads, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) {
      double best = std::numeric_limits<double>::infinity();
      int32_t arg = 0;
      for (size_t c = 0; c < k; ++c) {
        const double d = detail::dist2(&vectors[i * dim], &centroids[c * dim], detail::RuntimeDim{dim});
        if (d < best) {
          best = d;
          arg = int32_t(c);
        }
      }
      labels[i] = arg;
    }
  });
}

namespace detail {

KMeansResult lloyd_brute_force(std::span<const double> vectors, int dim, int k, const KMeansOptions& opt,
                               AssignFn assign) {
  if (dim < 1 || vectors.size() % size_t(dim) != 0) throw InternalError("kmeans: bad dimension");
  const size_t n = vectors.size() / size_t(dim);
  if (k < 1 || size_t(k) > n) throw InternalError("kmeans: need 1 <= k <= number of vectors");
  Rng rng(opt.seed);
  KMeansResult r;
  r.centroids = kmeanspp(vectors, dim, k, rng, opt.threads);
  std::vector<int32_t> labels(n, -1), prev;
  std::vector<double> sum(size_t(k) * dim);
  std::vector<int64_t> count(static_cast<size_t>(k));
  for (r.iterations = 0; r.iterations < opt.max_iter; ++r.iterations) {
    assign(vectors, dim, r.centroids, labels, opt.threads);
    if (labels == prev) {
      r.converged = true;
      break;
    }
    cluster_sums(vectors, dim, labels, sum, count);
    for (size_t c = 0; c < size_t(k); ++c)
      if (count[c])
        for (int j = 0; j < dim; ++j) r.centroids[c * dim + j] = sum[c * dim + j] / double(count[c]);
    prev = labels;
  }
  if (!r.converged) assign(vectors, dim, r.centroids, labels, opt.threads);
  r.labels = std::move(labels);
  return r;
}

}  // namespace detail

KMeansResult kmeans_ref(std::span<const double> vectors, int dim, int k, const KMeansOptions& opt) {
  return detail::lloyd_brute_force(vectors, dim, k, opt, assign_nearest_ref);
}

}  // namespace qspectra::rd
