// --bootstrap through the pipeline on a matrix built with a Pareto eigenvalue density of exponent 3
// (1000 eigenvalues: a diagonal 1000x1000 matrix with sqrt(lambda) on the diagonal): the 95% interval
// covers 3 and is narrower than 1.5; the same seed and layer name give the same interval.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "qspectra/pipeline/analyze.hpp"

namespace qspectra::pipeline {
namespace {

LayerResult run(const TensorData& t, uint64_t seed) {
  LayerResult tmpl;
  tmpl.info.name = "pareto.diag";
  tmpl.info.type = layers::LayerType::Dense;
  tmpl.info.N = tmpl.info.M = 1000;
  AnalyzeOptions o;
  o.bootstrap = 200;
  o.seed = seed;
  const auto backend = spectral::make_backend("auto");
  return analyze_tensor(tmpl, t, nullptr, *backend, o);
}

TEST(BootstrapMatrix, ParetoExponentThreeIntervalCoversThree) {
  std::mt19937_64 rng(3);
  TensorData t;
  t.shape = {1000, 1000};
  t.values.assign(1000 * 1000, 0.0);
  for (int i = 0; i < 1000; ++i) {
    const double u = (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53;
    t.values[static_cast<std::size_t>(i) * 1001] = std::sqrt(std::pow(u, -1.0 / 2.0));  // lambda ~ x^-3, x >= 1
  }
  const auto r = run(t, 42);
  ASSERT_EQ(r.status, "success");
  ASSERT_TRUE(r.metrics.bootstrap.has_value());
  const auto& b = *r.metrics.bootstrap;
  std::printf("Pareto(3) matrix: alpha %.4f, 95%% CI [%.4f, %.4f], xmin_stability %.3f\n", r.metrics.fit.alpha,
              b.ci_low, b.ci_high, b.xmin_stability);
  EXPECT_LE(b.ci_low, 3.0);
  EXPECT_GE(b.ci_high, 3.0);
  EXPECT_LT(b.ci_high - b.ci_low, 1.5);
  const auto again = run(t, 42);
  EXPECT_EQ(again.metrics.bootstrap->ci_low, b.ci_low);
  EXPECT_EQ(again.metrics.bootstrap->ci_high, b.ci_high);
  EXPECT_FALSE(r.metrics.randomized.has_value());  // only what was asked for
  EXPECT_FALSE(r.metrics.alpha_farms.has_value());
}

}  // namespace
}  // namespace qspectra::pipeline
