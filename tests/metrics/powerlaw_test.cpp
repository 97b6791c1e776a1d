#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "qspectra/metrics/hill.hpp"
#include "qspectra/metrics/powerlaw.hpp"
#include "metrics_reference.hpp"

using namespace qspectra::metrics;

namespace {

using qspectra::testing::kTiny;

double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

TEST(PowerLaw, WorkedExampleTiny) {
  FitOptions o;
  o.keep_trace = true;
  const auto f = fit_powerlaw(kTiny, o);
  EXPECT_EQ(f.status, "success");
  EXPECT_EQ(f.xmin_index, 6);
  EXPECT_EQ(f.n_fitted, 10);
  EXPECT_EQ(f.xmin, 0.48806231263739885);
  EXPECT_NEAR(f.alpha, 3.6442444229955306, 1e-14);
  EXPECT_NEAR(f.D, 0.16363922208263293, 1e-15);
  EXPECT_NEAR(f.sigma, 1.3221222114977653, 1e-14);
  EXPECT_EQ(f.num_pl_spikes, 4);
  EXPECT_EQ(f.xmax, 1.2323638180564431);
  EXPECT_EQ(f.warning, "");
  ASSERT_EQ(f.trace.size(), 9u);
  const double alphas[] = {1.1772890908841842, 1.3165253482591512, 1.3213229532827309,
                           1.4626518456909654, 1.8100891027326738, 1.8792909614992803,
                           3.6442444229955306, 4.062921150007146,  4.864530550219826};
  const double Ds[] = {0.3236273493034926, 0.2947259762962257,  0.3276664284321764,
                       0.3058859778238801, 0.34167805560697334, 0.4004713742993164,
                       0.16363922208263293, 0.23232705800396436, 0.3646647167633874};
  for (int i = 0; i < 9; ++i) {
    EXPECT_NEAR(f.trace[i].alpha, alphas[i], 1e-14) << i;
    EXPECT_NEAR(f.trace[i].D, Ds[i], 1e-15) << i;
    EXPECT_EQ(f.trace[i].n_tail, 10 - i);
  }
}

TEST(Hill, WorkedExampleTiny) {
  const auto h = alpha_hill(kTiny);
  EXPECT_EQ(h.k, 1);
  EXPECT_EQ(h.threshold, 0.7344795280391019);
  EXPECT_NEAR(h.alpha_hill, 2.9322652751099127, 1e-14);
  EXPECT_EQ(h.mid_index, 5);
  EXPECT_NEAR(h.alpha_mid, 1.8792909614992803, 1e-14);
  const auto h2 = alpha_hill(kTiny, 0.3);  // configurable k_frac
  EXPECT_EQ(h2.k, 3);
  EXPECT_EQ(h2.threshold, kTiny[6]);
  EXPECT_TRUE(std::isnan(alpha_hill(std::vector<double>{0.0, 1.0}).alpha_hill));  // one value above 1e-5
}

// The optimised fit (suffix sums + early exit) against the plain O(n^2) reference on random spectra.
TEST(PowerLaw, OptimisedMatchesReference) {
  std::mt19937_64 rng(1234);
  for (int rep = 0; rep < 30; ++rep) {
    const int n = 20 + static_cast<int>(rng() % 600);
    std::vector<double> ev(static_cast<std::size_t>(n));
    const double shape = 0.5 + 3 * uniform01(rng);
    for (auto& v : ev) {
      const double u = uniform01(rng);
      v = rep % 3 == 0 ? std::exp(4 * (u - 0.5) * shape) : std::pow(1 - u, -1.0 / shape) * 1e-3;
      if (rep % 5 == 0 && u < 0.1) v = 1e-7;  // some below the 1e-5 threshold
    }
    std::sort(ev.begin(), ev.end());
    const auto a = fit_powerlaw(ev);
    const auto b = fit_powerlaw_ref(ev);
    ASSERT_EQ(a.xmin_index, b.xmin_index) << rep;
    EXPECT_NEAR(a.alpha, b.alpha, 1e-12 * b.alpha) << rep;
    EXPECT_NEAR(a.D, b.D, 1e-13) << rep;
    EXPECT_EQ(a.num_pl_spikes, b.num_pl_spikes);
    EXPECT_EQ(a.n_fitted, b.n_fitted);
    FitOptions o;
    o.keep_trace = true;  // no early exit: same answer
    const auto c = fit_powerlaw(ev, o);
    EXPECT_EQ(c.xmin_index, a.xmin_index);
    EXPECT_EQ(c.D, a.D);
  }
}

// Known answer: eigenvalues drawn from a Pareto density ~ x^-alpha give back alpha within 3 standard
// errors (sigma = (alpha-1)/sqrt(n_tail)), n = 2000.
class ParetoKnownAnswer : public ::testing::TestWithParam<double> {};
TEST_P(ParetoKnownAnswer, RecoversAlpha) {
  const double alpha = GetParam();
  std::mt19937_64 rng(static_cast<uint64_t>(alpha * 1000) + 7);
  std::vector<double> ev(2000);
  for (auto& v : ev) v = 0.01 * std::pow(1.0 - uniform01(rng), -1.0 / (alpha - 1.0));  // inverse CDF, xmin 0.01
  std::sort(ev.begin(), ev.end());
  const auto f = fit_powerlaw(ev);
  ASSERT_EQ(f.status, "success");
  EXPECT_LE(std::fabs(f.alpha - alpha), 3 * f.sigma) << "alpha_hat " << f.alpha << " sigma " << f.sigma;
  EXPECT_GT(f.num_pl_spikes, 50);
}
INSTANTIATE_TEST_SUITE_P(Alphas, ParetoKnownAnswer, ::testing::Values(1.5, 2.0, 3.0, 4.0, 6.0));

// §5.4 degenerate cases.
TEST(PowerLaw, FailedWhenFewerThanTwoAboveThreshold) {
  for (const std::vector<double>& ev : {std::vector<double>(16, 0.0), std::vector<double>{1e-20, 1e-9, 6000.0},
                                        std::vector<double>{}}) {
    const auto f = fit_powerlaw(ev);
    EXPECT_EQ(f.status, "failed");
    EXPECT_EQ(f.alpha, -1);
    EXPECT_EQ(f.D, -1);
    EXPECT_EQ(f.sigma, -1);
    EXPECT_EQ(f.xmin, -1);
    EXPECT_EQ(f.num_pl_spikes, -1);
    EXPECT_TRUE(std::isnan(f.xmax));
    EXPECT_EQ(f.warning, "over-trained");
  }
}

TEST(PowerLaw, TwoValuesSingleCandidate) {
  const std::vector<double> ev = {1e-9, 643.2794701908249, 6006.720529809175};
  const auto f = fit_powerlaw(ev);
  EXPECT_EQ(f.status, "success");
  EXPECT_EQ(f.xmin_index, 0);
  EXPECT_DOUBLE_EQ(f.alpha, 1 + 2 / std::log(6006.720529809175 / 643.2794701908249));
  EXPECT_EQ(f.num_pl_spikes, 2);
}

TEST(PowerLaw, AllEqualGivesInfiniteAlpha) {
  const std::vector<double> ev(32, 0.25);
  const auto f = fit_powerlaw(ev);
  EXPECT_EQ(f.status, "success");
  EXPECT_EQ(f.alpha, std::numeric_limits<double>::infinity());
  EXPECT_EQ(f.D, 0.5);
  EXPECT_EQ(f.xmin, 0.25);
  EXPECT_EQ(f.num_pl_spikes, 32);
  EXPECT_EQ(f.warning, "under-trained");
}

TEST(PowerLaw, ClipXmaxOnTiny) {
  FitOptions o;
  o.fix_fingers = FixFingers::ClipXmax;
  const auto f = fit_powerlaw(kTiny, o);
  // variants/fix_fingers-clip_xmax: layers.4.tiny 3.64 -> 1.387 with one finger
  EXPECT_EQ(f.status, "success");
  EXPECT_NEAR(f.alpha, 1.3872833284955275, 1e-13);
  EXPECT_NEAR(f.raw_alpha, 3.6442444229955306, 1e-14);
  EXPECT_EQ(f.num_fingers, 1);
  EXPECT_EQ(f.num_pl_spikes, 9);
  EXPECT_EQ(f.xmax, 0.58300583426578845);
  // Too few values for WW's refits: the fit fails as WW's does.
  const auto g = fit_powerlaw(std::vector<double>{1, 2, 3, 4, 5}, o);
  EXPECT_EQ(g.status, "failed");
}

TEST(PowerLaw, Warnings) {
  EXPECT_EQ(alpha_warning(1.99), "over-trained");
  EXPECT_EQ(alpha_warning(2.0), "");
  EXPECT_EQ(alpha_warning(6.0), "");
  EXPECT_EQ(alpha_warning(6.01), "under-trained");
  EXPECT_EQ(alpha_warning(std::numeric_limits<double>::infinity()), "under-trained");
}

}  // namespace
