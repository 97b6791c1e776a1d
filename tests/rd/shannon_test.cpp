#include "qspectra/rd/shannon.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "qspectra/rd/moments.hpp"

using namespace qspectra::rd;

TEST(Shannon, BoundAndRate) {
  EXPECT_DOUBLE_EQ(shannon_distortion(2.0, 0), 2.0);
  EXPECT_DOUBLE_EQ(shannon_distortion(2.0, 3), 2.0 / 64);
  EXPECT_DOUBLE_EQ(shannon_rate(2.0, 2.0 / 64), 3.0);
  EXPECT_EQ(shannon_rate(1.0, 1.5), 0.0);
  EXPECT_TRUE(std::isnan(shannon_rate(1.0, 0.0)));
  EXPECT_TRUE(std::isnan(shannon_rate(0.0, 0.1)));
}

TEST(Shannon, GapBits) {
  EXPECT_DOUBLE_EQ(gap_bits(0.04, 0.01), 1.0);
  EXPECT_DOUBLE_EQ(gap_bits(0.01, 0.01), 0.0);
  EXPECT_EQ(gap_bits(0.0, 0.01), -INFINITY);  // lossless: no crash
  EXPECT_TRUE(std::isnan(gap_bits(0.1, 0.0)));
  EXPECT_TRUE(std::isnan(gap_bits(NAN, 0.1)));
}

TEST(Moments, VarianceAndExcessKurtosis) {
  const std::vector<double> x = {1, 2, 3, 4};
  const auto m = weight_moments(x);
  EXPECT_DOUBLE_EQ(m.mean, 2.5);
  EXPECT_DOUBLE_EQ(m.variance, 1.25);
  EXPECT_NEAR(m.kurtosis, (0.25 * (2 * 5.0625 + 2 * 0.0625)) / (1.25 * 1.25) - 3, 1e-12);
  EXPECT_TRUE(std::isnan(weight_moments(std::vector<double>{3, 3}).kurtosis));
  EXPECT_EQ(weight_moments(std::vector<double>{}).n, 0);
}
