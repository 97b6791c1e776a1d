#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "qspectra/metrics/summary.hpp"

using namespace qspectra::metrics;

TEST(Summary, CountsAndPandasMeans) {
  auto layer = [](double alpha, const char* status, double log_norm) {
    LayerMetrics m;
    m.fit.alpha = alpha;
    m.fit.status = status;
    m.log_norm = log_norm;
    m.alpha_weighted = alpha;
    m.log_alpha_norm = 1;
    m.log_spectral_norm = 1;
    m.stable_rank = 2;
    return m;
  };
  const double inf = std::numeric_limits<double>::infinity();
  LayerMetrics a = layer(2.0, "success", 1), b = layer(6.0, "success", kNaN), c = layer(1.5, "success", 3),
               d = layer(inf, "success", 2), e = layer(-1, "failed", -inf);
  d.alpha_weighted = -inf;
  e.alpha_weighted = inf;
  const auto s = summarize({&a, &b, &c, &d, &e}, 2);
  EXPECT_EQ(s.num_layers, 5);
  EXPECT_EQ(s.alpha_in_2_6, 2);
  EXPECT_EQ(s.alpha_below_2, 1);
  EXPECT_EQ(s.alpha_above_6, 1);
  EXPECT_EQ(s.failed, 1);
  EXPECT_EQ(s.non_finite, 2);
  EXPECT_EQ(s.means.at("alpha"), inf);                  // inf kept
  EXPECT_TRUE(std::isnan(s.means.at("alpha_weighted")));  // +inf and -inf
  EXPECT_EQ(s.means.at("log_norm"), -inf);
  EXPECT_EQ(s.means.at("stable_rank"), 2);
  EXPECT_EQ(s.means.count("mp_softrank"), 0u);
  LayerMetrics f = layer(3, "success", 1), g = layer(3, "success", kNaN);
  const auto s2 = summarize({&f, &g});
  EXPECT_EQ(s2.means.at("log_norm"), 1.0);  // NaN skipped, not counted
  EXPECT_TRUE(summarize({}).means.empty());
}
