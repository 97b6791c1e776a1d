// describe() and pearson() as pandas computes them.
#include "qspectra/metrics/statistics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace qspectra::metrics {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(Describe, MatchesPandasOverFiniteValues) {
  // pd.Series([1, 2, 3, 4, 10, nan, inf]).replace(inf, nan).describe()
  const std::vector<double> v = {1, 2, 3, 4, 10, kNaN, std::numeric_limits<double>::infinity()};
  const auto d = describe(v);
  EXPECT_EQ(d.count, 5);
  EXPECT_DOUBLE_EQ(d.mean, 4.0);
  EXPECT_NEAR(d.std, 3.5355339059327378, 1e-15);  // sample std, ddof = 1
  EXPECT_EQ(d.min, 1.0);
  EXPECT_EQ(d.q25, 2.0);
  EXPECT_EQ(d.median, 3.0);
  EXPECT_EQ(d.q75, 4.0);
  EXPECT_EQ(d.max, 10.0);
  const auto one = describe(std::vector<double>{5.0});
  EXPECT_EQ(one.count, 1);
  EXPECT_TRUE(std::isnan(one.std));
  EXPECT_TRUE(std::isnan(describe(std::vector<double>{kNaN}).mean));
}

TEST(Pearson, OverFinitePairs) {
  int64_t pairs = 0;
  EXPECT_NEAR(pearson(std::vector<double>{1, 2, 3, kNaN}, std::vector<double>{2, 4, 6.5, 8}, &pairs), 0.99794871578867330, 1e-14);
  EXPECT_EQ(pairs, 3);
  EXPECT_NEAR(pearson(std::vector<double>{1, 2, 3}, std::vector<double>{3, 2, 1}), -1.0, 1e-15);
  EXPECT_TRUE(std::isnan(pearson(std::vector<double>{1, 1, 1}, std::vector<double>{1, 2, 3})));  // zero variance
  EXPECT_TRUE(std::isnan(pearson(std::vector<double>{1}, std::vector<double>{1})));
}

}  // namespace
}  // namespace qspectra::metrics
