#include "qspectra/rd/interpolate.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace qspectra::rd;

TEST(RateAtDistortion, LogLinearInterpolation) {
  const std::vector<double> rates = {4, 2, 3}, mses = {1e-4, 1e-2, 1e-3};  // any order
  const auto r = rate_at_distortion(rates, mses, 3e-3, 1.0);
  ASSERT_EQ(r.status, Coverage::Ok);
  EXPECT_NEAR(r.rate, 2 + std::log(0.3) / std::log(0.1), 1e-12);
  EXPECT_NEAR(r.shannon_rate, 0.5 * std::log2(1 / 3e-3), 1e-12);
  EXPECT_NEAR(r.gap_bits, r.rate - r.shannon_rate, 1e-12);
  EXPECT_DOUBLE_EQ(rate_at_distortion(rates, mses, 1e-3, 1.0).rate, 3.0);  // on a point
  EXPECT_DOUBLE_EQ(rate_at_distortion(rates, mses, 1e-4, 1.0).rate, 4.0);  // on the end point
}

TEST(RateAtDistortion, OutOfRangeIsAStatusNotAnException) {
  const std::vector<double> rates = {2, 3}, mses = {1e-2, 1e-3};
  EXPECT_EQ(rate_at_distortion(rates, mses, 1e-1, 1.0).status, Coverage::InsufficientCoverage);
  EXPECT_EQ(rate_at_distortion(rates, mses, 1e-5, 1.0).status, Coverage::InsufficientCoverage);
  EXPECT_EQ(coverage_name(Coverage::InsufficientCoverage), "insufficient coverage");
  EXPECT_EQ(rate_at_distortion(rates, mses, 0.0, 1.0).status, Coverage::InvalidTarget);
  EXPECT_EQ(rate_at_distortion(rates, mses, 1e-2, 0.0).status, Coverage::InvalidTarget);
  EXPECT_EQ(rate_at_distortion({}, {}, 1e-2, 1.0).status, Coverage::InsufficientCoverage);
  // an exact (mse 0) point and a NaN point are ignored rather than breaking the logs
  const std::vector<double> r2 = {2, 3, 8, 9}, m2 = {1e-2, 1e-3, 0.0, NAN};
  EXPECT_EQ(rate_at_distortion(r2, m2, 1e-6, 1.0).status, Coverage::InsufficientCoverage);
  EXPECT_EQ(rate_at_distortion(r2, m2, 5e-3, 1.0).status, Coverage::Ok);
}
