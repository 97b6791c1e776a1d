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
  EXPECT_NE(a.centroids, kmeans(x, 2, 16, {43, 30, 1}).centroids);
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
}
