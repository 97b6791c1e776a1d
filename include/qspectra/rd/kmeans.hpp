#pragma once
// k-means for vector quantization: k-means++ seeding, then Lloyd iterations until no label changes
// (at most max_iter). kmeans() skips nearest-centroid searches that Yinyang distance bounds prove
// useless; kmeans_ref() is the plain brute-force version it is tested against (same seeding).
// Deterministic for a given seed whatever the thread count: threads only split per-point work,
// sums are accumulated sequentially in index order. RNG: std::mt19937_64 (a fixed sequence).
#include <cstdint>
#include <span>
#include <vector>

namespace qspectra::rd {

struct KMeansOptions {
  uint64_t seed = 0;
  int max_iter = 50;
  int threads = 1;
};

struct KMeansResult {
  std::vector<double> centroids;  // k x dim, row-major
  std::vector<int32_t> labels;    // nearest centroid of each input vector (for the final centroids)
  int iterations = 0;
  bool converged = false;
};

// `vectors` holds n = size/dim vectors row-major; requires 1 <= k <= n (InternalError otherwise).
// An empty cluster keeps its previous centroid.
KMeansResult kmeans(std::span<const double> vectors, int dim, int k, const KMeansOptions& opt);
KMeansResult kmeans_ref(std::span<const double> vectors, int dim, int k, const KMeansOptions& opt);

// Index of the nearest centroid (lowest index on ties) for each vector.
void assign_nearest(std::span<const double> vectors, int dim, std::span<const double> centroids,
                    std::span<int32_t> labels, int threads);
void assign_nearest_ref(std::span<const double> vectors, int dim, std::span<const double> centroids,
                        std::span<int32_t> labels, int threads);

}  // namespace qspectra::rd
