#include "qspectra/rd/kmeans.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "gaussian.hpp"
#include "qspectra/core/error.hpp"

using namespace qspectra::rd;

TEST(KMeans, ReproducibleForASeedAndAnyThreadCount) {
  const auto x = gaussian_sample(20000, 3);  // 10000 2-D vectors
  const auto a = kmeans(x, 2, 16, {42, 30, 1});
  const auto b = kmeans(x, 2, 16, {42, 30, 1});
  const auto c = kmeans(x, 2, 16, {42, 30, 4});
  EXPECT_EQ(a.centroids, b.centroids);
  EXPECT_EQ(a.centroids, c.centroids);
  EXPECT_EQ(a.iterations, c.iterations);
  EXPECT_EQ(a.labels, c.labels);
  EXPECT_NE(a.centroids, kmeans(x, 2, 16, {43, 30, 1}).centroids);
  const auto big1 = kmeans(x, 2, 128, {42, 30, 1});  // large codebook: the bounded search
  const auto big4 = kmeans(x, 2, 128, {42, 30, 4});
  EXPECT_EQ(big1.centroids, big4.centroids);
  EXPECT_EQ(big1.labels, big4.labels);
}

// The bounded search must reproduce the brute-force Lloyd iterations: same number of iterations,
// same labels, same centroids up to the order of floating-point sums (continuous data: no ties).
TEST(KMeans, MatchesBruteForceReference) {
  for (int dim : {1, 2, 3, 4, 8}) {
    for (int k : {1, 7, 64, 256}) {
      const auto x = gaussian_sample(size_t(6000 * dim), uint64_t(100 + dim));
      for (int iters : {3, 50}) {
        SCOPED_TRACE(testing::Message() << "dim " << dim << " k " << k << " max_iter " << iters);
        const auto fast = kmeans(x, dim, k, {7, iters, 2});
        const auto ref = kmeans_ref(x, dim, k, {7, iters, 2});
        EXPECT_EQ(fast.iterations, ref.iterations);
        EXPECT_EQ(fast.converged, ref.converged);
        EXPECT_EQ(fast.labels, ref.labels);
        ASSERT_EQ(fast.centroids.size(), ref.centroids.size());
        for (size_t i = 0; i < ref.centroids.size(); ++i) EXPECT_NEAR(fast.centroids[i], ref.centroids[i], 1e-12);
      }
    }
  }
}

// Weights stored in 16-bit formats repeat exactly: many points tie. Both versions must still reach
// the same quality (labels may differ on exact ties only).
TEST(KMeans, MatchesReferenceOnTiedData) {
  auto x = gaussian_sample(40000, 5);
  for (double& v : x) v = std::round(v * 16) / 16;  // ~100 distinct values: many duplicate 2-vectors
  const auto mse = [&](const KMeansResult& r) {
    double s = 0;
    for (size_t i = 0; i < r.labels.size(); ++i)
      for (int j = 0; j < 2; ++j) {
        const double d = x[2 * i + j] - r.centroids[size_t(r.labels[i]) * 2 + j];
        s += d * d;
      }
    return s / double(x.size());
  };
  for (int k : {32, 128}) {
    const auto f = kmeans(x, 2, k, {3, 50, 2});
    const auto r = kmeans_ref(x, 2, k, {3, 50, 2});
    EXPECT_NEAR(mse(f), mse(r), 1e-9 * mse(r)) << "k " << k;
  }
  const auto fast = kmeans(x, 2, 128, {3, 50, 2});
  std::vector<int32_t> check(fast.labels.size());  // returned labels are those of the final centroids
  assign_nearest_ref(x, 2, fast.centroids, check, 1);
  EXPECT_NEAR(mse(fast), [&] { auto r = fast; r.labels = check; return mse(r); }(), 1e-12);
}

TEST(KMeans, FastAssignmentEqualsReference) {
  const auto x = gaussian_sample(30000, 8);
  for (int dim : {1, 2, 3, 4, 8}) {
    const size_t n = x.size() / size_t(dim);
    std::vector<double> c(x.begin(), x.begin() + 20 * dim);
    std::vector<int32_t> a(n), b(n);
    assign_nearest(std::span(x).first(n * dim), dim, c, a, 3);
    assign_nearest_ref(std::span(x).first(n * dim), dim, c, b, 1);
    EXPECT_EQ(a, b) << "dim " << dim;
  }
}

TEST(KMeans, FindsSeparatedClusters) {
  // four tight clusters in 2-D around (+-10, +-10)
  const auto noise = gaussian_sample(8000, 9);
  std::vector<double> v;
  for (size_t i = 0; i < 4000; ++i) {
    v.push_back((i % 2 ? 10 : -10) + 0.1 * noise[2 * i]);
    v.push_back((i % 4 < 2 ? 10 : -10) + 0.1 * noise[2 * i + 1]);
  }
  const auto r = kmeans(v, 2, 4, {1, 50, 2});
  EXPECT_TRUE(r.converged);
  std::vector<std::pair<double, double>> c;
  for (int k = 0; k < 4; ++k) c.emplace_back(r.centroids[2 * k], r.centroids[2 * k + 1]);
  std::sort(c.begin(), c.end(), [](auto a, auto b) {  // by cluster, not by noise
    return std::pair(std::round(a.first), std::round(a.second)) < std::pair(std::round(b.first), std::round(b.second));
  });
  const std::pair<double, double> want[] = {{-10, -10}, {-10, 10}, {10, -10}, {10, 10}};
  for (int k = 0; k < 4; ++k) {
    EXPECT_NEAR(c[k].first, want[k].first, 0.02);
    EXPECT_NEAR(c[k].second, want[k].second, 0.02);
  }
}

TEST(KMeans, Preconditions) {
  const std::vector<double> v = {1, 2, 3, 4};
  EXPECT_THROW(kmeans(v, 2, 3, {}), qspectra::InternalError);  // 2 vectors, 3 centroids
  EXPECT_THROW(kmeans(v, 3, 1, {}), qspectra::InternalError);  // not a multiple of dim
  const auto r = kmeans(std::vector<double>(8, 1.0), 2, 4, {});  // identical points: no crash
  for (double c : r.centroids) EXPECT_EQ(c, 1.0);
  const auto none = kmeans(v, 2, 2, {0, 0, 1});  // no iteration: labels still match the seeds
  EXPECT_EQ(none.labels.size(), 2u);
  EXPECT_FALSE(none.converged);
}
