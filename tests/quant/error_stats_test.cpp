#include "qspectra/quant/error_stats.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "qspectra/core/error.hpp"

using namespace qspectra::quant;

TEST(ErrorStats, KnownValues) {
  const std::vector<double> x = {1, -2, 3, 4}, q = {1, -2, 2, 4.5};
  const auto s = error_stats(x, q);
  EXPECT_DOUBLE_EQ(s.mse, (1 + 0.25) / 4);
  EXPECT_DOUBLE_EQ(s.rmse, std::sqrt(1.25 / 4));
  EXPECT_DOUBLE_EQ(s.sqnr_db, 10 * std::log10((30.0 / 4) / (1.25 / 4)));
  EXPECT_EQ(s.max_err, 1.0);
  EXPECT_EQ(s.rel_max_err, 0.25);
  EXPECT_EQ(s.distinct_levels, 4);
}

TEST(ErrorStats, DegenerateCases) {
  const std::vector<double> z = {0, -0.0, 0};
  const auto s = error_stats(z, z);
  EXPECT_EQ(s.mse, 0);
  EXPECT_EQ(s.sqnr_db, std::numeric_limits<double>::infinity());
  EXPECT_EQ(s.rel_max_err, 0);
  EXPECT_EQ(s.distinct_levels, 1);  // -0 and +0 are one level
  const auto e = error_stats({}, {});
  EXPECT_EQ(e.mse, 0);
  EXPECT_EQ(e.distinct_levels, 0);
  const std::vector<double> a = {1, 2}, b = {1};
  EXPECT_THROW(error_stats(a, b), qspectra::InternalError);
  EXPECT_EQ(error_stats(std::vector<double>{0, 0}, std::vector<double>{1, 1}).sqnr_db,
            -std::numeric_limits<double>::infinity());
}

TEST(ErrorStats, CountDistinctMatchesReference) {
  std::vector<double> few, many;
  for (int i = 0; i < 200000; ++i) {
    few.push_back(double(i % 37) * 0.1);
    many.push_back(std::sin(double(i)));  // ~all distinct: exercises the sort fallback
  }
  EXPECT_EQ(count_distinct(few), 37);
  EXPECT_EQ(count_distinct(few), count_distinct_ref(few));
  EXPECT_EQ(count_distinct(many), count_distinct_ref(many));
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> odd = {inf, -inf, inf, std::bit_cast<double>(~uint64_t(0)), 1};
  EXPECT_EQ(count_distinct(odd), count_distinct_ref(odd));
}

TEST(ErrorStats, CountNonFinite) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(count_non_finite(std::vector<double>{1, inf, -inf, std::nan(""), 0}), 3);
  EXPECT_EQ(count_non_finite(std::vector<double>{}), 0);
}

TEST(ErrorStats, RelativeRmseAndAbsErrorQuantiles) {
  const std::vector<double> x = {1, -2, 3, 4}, q = {1, -2, 2, 4.5};
  const auto s = error_stats(x, q);
  EXPECT_DOUBLE_EQ(s.rms_original, std::sqrt(30.0 / 4));
  EXPECT_DOUBLE_EQ(s.rel_rmse, s.rmse / s.rms_original);
  // |e| sorted = 0, 0, 0.5, 1: median at h = 1.5 -> 0.25; p95 at h = 2.85 -> 0.5 + 0.85 * 0.5.
  const auto a = abs_error_quantiles(x, q);
  EXPECT_DOUBLE_EQ(a.median, 0.25);
  EXPECT_DOUBLE_EQ(a.p95, 0.925);
  const std::vector<double> one = {2}, one_q = {-1};
  EXPECT_EQ(abs_error_quantiles(one, one_q).p95, 3.0);
  EXPECT_EQ(abs_error_quantiles(one, one_q).median, 3.0);
  EXPECT_EQ(abs_error_quantiles({}, {}).median, 0.0);
  const std::vector<double> z = {0, 0};
  EXPECT_EQ(error_stats(z, z).rel_rmse, 0.0);
  EXPECT_THROW(abs_error_quantiles(x, one), qspectra::InternalError);
}
