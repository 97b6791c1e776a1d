// detX, fingers, the xmin_peak window, the Jensen-Shannon distance, percentiles and the bootstrap
// interval of alpha, with answers known by hand or by construction.
#include "qspectra/metrics/spectrum_extras.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "qspectra/metrics/powerlaw.hpp"
#include "qspectra/metrics/summary.hpp"
#include "metrics_reference.hpp"

using namespace qspectra::metrics;

namespace {

using qspectra::testing::kTiny;

double uniform01(std::mt19937_64& rng) { return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53; }

// n draws of a Pareto density p(x) ~ x^-alpha, x >= 1, ascending.
std::vector<double> pareto(std::size_t n, double alpha, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<double> x(n);
  for (auto& v : x) v = std::pow(uniform01(rng), -1.0 / (alpha - 1.0));
  std::sort(x.begin(), x.end());
  return x;
}

// WW's detX on the tiny layer (reference synthetic-small/variants/detx): prod of the rescaled top 7 < 1.
TEST(DetX, TinyLayerAsWeightWatcher) {
  const DetX d = detx_constraint(kTiny);
  EXPECT_EQ(d.num, 7);
  EXPECT_NEAR(d.val, 0.033640204888880199, 1e-15);
  EXPECT_NEAR(d.val_unrescaled, 0.099548576846465869, 1e-14);
}

// No tail product below 1 (every rescaled eigenvalue is 1): detX_num = 0, values NaN.
TEST(DetX, NoTailProductBelowOneGivesZero) {
  const std::vector<double> ev(8, 2.0);
  const DetX d = detx_constraint(ev);
  EXPECT_EQ(d.num, 0);
  EXPECT_TRUE(std::isnan(d.val));
  EXPECT_TRUE(std::isnan(d.val_unrescaled));
}

TEST(JensenShannon, KnownValues) {
  const std::vector<double> a = {1, 2, 3}, b = {2, 4, 6}, p = {1, 0}, q = {0, 1};
  EXPECT_NEAR(jensen_shannon_distance(a, b), 0.0, 1e-12);  // same after normalisation
  EXPECT_NEAR(jensen_shannon_distance(p, q), std::sqrt(std::log(2.0)), 1e-15);
  const std::vector<double> zero = {0, 0};
  EXPECT_TRUE(std::isnan(jensen_shannon_distance(zero, zero)));  // an all-zero matrix has no distribution
}

TEST(Percentile, LinearInterpolationAsNumpy) {
  EXPECT_DOUBLE_EQ(percentile({4, 1, 3, 2}, 50), 2.5);
  EXPECT_DOUBLE_EQ(percentile({4, 1, 3, 2}, 25), 1.75);
  EXPECT_DOUBLE_EQ(percentile({1, 2, 3, 4, 5}, 75), 4.0);
  EXPECT_TRUE(std::isnan(percentile({}, 50)));
}

TEST(LayerSeed, DependsOnSeedNameAndStream) {
  EXPECT_EQ(layer_seed(1, "a"), layer_seed(1, "a"));
  EXPECT_NE(layer_seed(1, "a"), layer_seed(2, "a"));
  EXPECT_NE(layer_seed(1, "a"), layer_seed(1, "b"));
  EXPECT_NE(layer_seed(1, "a", 1), layer_seed(1, "a", 2));
}

// The tiny layer's fullest log bin is the first one (every bin holds at most one value), so the window
// [log10(0.95 peak), 1.5 peak] holds only the smallest eigenvalue, which powerlaw drops: failed, as WW.
TEST(XminPeak, TinyLayerFailsAsWeightWatcher) {
  const auto w = xmin_peak_window(kTiny);
  EXPECT_DOUBLE_EQ(w.peak, std::pow(10.0, std::log10(kTiny.front())));
  EXPECT_DOUBLE_EQ(w.high, 1.5 * w.peak);
  FitOptions o;
  o.fix_fingers = FixFingers::XminPeak;
  const auto f = fit_powerlaw(kTiny, o);
  EXPECT_EQ(f.status, "failed");
  EXPECT_EQ(count_fingers(kTiny, f), -1);
}

// Without a cap on the window (xmin_max above lambda_max) xmin_peak searches every unique value but the
// largest, as the default fit does: on tie-free data it picks the same xmin (xmax NaN, as powerlaw).
TEST(XminPeak, WideWindowEqualsDefaultFit) {
  const auto x = pareto(500, 3.0, 7);
  FitOptions o;
  o.fix_fingers = FixFingers::XminPeak;
  o.xmin_max = 1e300;
  const auto a = fit_powerlaw(x, o), b = fit_powerlaw(x);
  EXPECT_EQ(a.xmin, b.xmin);
  EXPECT_NEAR(a.alpha, b.alpha, 1e-12 * b.alpha);
  EXPECT_NEAR(a.D, b.D, 1e-12);
  EXPECT_TRUE(std::isnan(a.xmax));
}

// fingers: eigenvalues above xmin * m^(1/(alpha-1)). Three planted outliers far above a Pareto tail are
// counted; the clean tail has at most one such value.
TEST(Fingers, CountsPlantedOutliers) {
  auto x = pareto(1000, 3.0, 11);
  const auto clean = fit_powerlaw(x);
  ASSERT_EQ(clean.status, "success");
  EXPECT_LE(count_fingers(x, clean), 1);
  const double top = x.back();
  for (double f : {1e3, 2e3, 3e3}) x.push_back(top * f);
  const auto fit = fit_powerlaw(x);
  EXPECT_EQ(count_fingers(x, fit), 3);
}

// Known answer (issue): 1000 eigenvalues with a Pareto density of exponent 3; the 95% percentile bootstrap
// of the whole fit covers 3 and is narrower than 1.5; same seed, same interval.
TEST(Bootstrap, ParetoExponentThreeIsCovered) {
  const auto x = pareto(1000, 3.0, 2024);
  const auto fit = fit_powerlaw(x);
  ASSERT_EQ(fit.status, "success");
  const auto b = bootstrap_alpha(x, fit, {}, 200, 99);
  EXPECT_EQ(b.resamples, 200);
  EXPECT_LE(b.ci_low, 3.0);
  EXPECT_GE(b.ci_high, 3.0);
  EXPECT_LT(b.ci_high - b.ci_low, 1.5);
  EXPECT_GT(b.xmin_stability, 0.5);
  EXPECT_LE(b.xmin_stability, 1.0);
  std::printf("Pareto(3), n=1000: alpha %.4f, 95%% CI [%.4f, %.4f], xmin_stability %.3f\n", fit.alpha, b.ci_low,
              b.ci_high, b.xmin_stability);
  const auto again = bootstrap_alpha(x, fit, {}, 200, 99);
  EXPECT_EQ(again.ci_low, b.ci_low);
  EXPECT_EQ(again.ci_high, b.ci_high);
}

TEST(Bootstrap, FailedFitGivesNaN) {
  const std::vector<double> one = {1.0};
  const auto fit = fit_powerlaw(one);
  const auto b = bootstrap_alpha(one, fit, {}, 50, 1);
  EXPECT_TRUE(std::isnan(b.ci_low));
  EXPECT_TRUE(std::isnan(b.xmin_stability));
}

// Median and IQR of alpha over successful fits (failed fits' -1 left out).
TEST(SummaryAlphaSpread, MedianAndIqrOfSuccessfulFits) {
  std::vector<LayerMetrics> ls(5);
  const double alphas[] = {2.0, 3.0, 4.0, 10.0, -1.0};
  std::vector<const LayerMetrics*> ptrs;
  for (int i = 0; i < 5; ++i) {
    ls[i].fit.alpha = alphas[i];
    ls[i].fit.status = i == 4 ? "failed" : "success";
    ptrs.push_back(&ls[i]);
  }
  const auto s = summarize(ptrs);
  EXPECT_DOUBLE_EQ(s.alpha_median, 3.5);
  EXPECT_DOUBLE_EQ(s.alpha_iqr, 5.5 - 2.75);
}

}  // namespace
