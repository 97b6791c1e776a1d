// The sweep's per-variant statistics: WW alpha summary (failed fits and non-analysed layers left out),
// Alpha-Hill describe(), and the comparison with the baseline.
#include <gtest/gtest.h>

#include <cmath>

#include "qspectra/pipeline/sweep.hpp"

namespace qspectra::pipeline {
namespace {

LayerResult layer(double alpha, double hill, const std::string& fit_status = "success",
                  const std::string& status = "success") {
  LayerResult l;
  l.status = status;
  l.metrics.fit.status = fit_status;
  l.metrics.fit.alpha = fit_status == "failed" ? -1.0 : alpha;
  l.metrics.hill.alpha_hill = hill;
  return l;
}

SweepResult sweep() {
  SweepResult r;
  r.variants = {"fp32", "sym:4"};
  r.layers = {{layer(3.0, 2.5), layer(1.5, 2.0)},
              {layer(5.0, 3.5), layer(7.0, 4.0)},
              {layer(4.0, 3.0), layer(0, 1.0, "failed")},
              {layer(2.0, 2.0), layer(0, NAN, "failed", kStatusNonFinite)}};
  return r;
}

TEST(SweepStatistics, WwAlphaSummaryLeavesOutFailedAndNotAnalysed) {
  const auto s = ww_alpha_summary(sweep());
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].variant, "fp32");
  EXPECT_EQ(s[0].stats.count, 4);
  EXPECT_DOUBLE_EQ(s[0].stats.mean, 3.5);
  EXPECT_DOUBLE_EQ(s[0].stats.median, 3.5);
  EXPECT_EQ(s[0].in_2_6, 4);
  EXPECT_EQ(s[1].stats.count, 2);  // the failed fit (-1) and the non_finite layer are not in the stats
  EXPECT_DOUBLE_EQ(s[1].stats.mean, 4.25);
  EXPECT_DOUBLE_EQ(s[1].stats.min, 1.5);
  EXPECT_EQ(s[1].below_2, 1);
  EXPECT_EQ(s[1].above_6, 1);
  EXPECT_EQ(s[1].in_2_6, 0);
}

TEST(SweepStatistics, AlphaHillAndComparison) {
  const auto r = sweep();
  const auto h = alpha_hill_statistics(r);
  EXPECT_EQ(h[1].stats.count, 3);  // the non_finite layer's NaN left out
  EXPECT_DOUBLE_EQ(h[0].stats.mean, 2.75);
  const auto c = compare_variants(r, 0);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_DOUBLE_EQ(c[0].change_pct, 0.0);
  EXPECT_DOUBLE_EQ(c[0].pearson_alpha, 1.0);
  EXPECT_EQ(c[1].failed, 1);
  EXPECT_EQ(c[1].non_finite, 1);
  EXPECT_EQ(c[1].layers_analysed, 3);
  // WW's summary mean: the failed fit takes part with -1, the non_finite layer does not
  EXPECT_DOUBLE_EQ(c[1].mean_alpha, (1.5 + 7.0 - 1.0) / 3);
  EXPECT_EQ(c[1].pearson_pairs, 3);
}

}  // namespace
}  // namespace qspectra::pipeline
