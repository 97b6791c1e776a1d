// Known answers for a memoryless Gaussian source (Max 1960; Gersho & Gray).
#include <gtest/gtest.h>

#include <cmath>

#include "gaussian.hpp"
#include "qspectra/quant/error_stats.hpp"
#include "qspectra/quant/quantizer.hpp"
#include "qspectra/rd/methods.hpp"

using namespace qspectra;

namespace {
const std::vector<double>& sample() {
  static const auto x = gaussian_sample(200000, 12345);
  return x;
}
}  // namespace

TEST(GaussianKnownAnswers, LloydMaxReachesTheOptimalMse) {
  const double optimum[] = {0.3634, 0.1175, 0.03454, 0.009497};  // mse / sigma^2 at 1..4 bits
  const std::vector<int64_t> shape{int64_t(sample().size())};
  for (int b = 1; b <= 4; ++b) {
    const auto p = rd::run_rd_method("lloyd_max", b, sample(), shape);
    ASSERT_FALSE(p.skipped);
    EXPECT_NEAR(p.mse / p.variance, optimum[b - 1], 0.01 * optimum[b - 1]) << b << " bits";
  }
}

TEST(GaussianKnownAnswers, LloydMaxGapToShannon) {
  const std::vector<int64_t> shape{int64_t(sample().size())};
  EXPECT_NEAR(rd::run_rd_method("lloyd_max", 1, sample(), shape).gap_bits, 0.270, 0.005);
  EXPECT_NEAR(rd::run_rd_method("lloyd_max", 4, sample(), shape).gap_bits, 0.641, 0.005);
}

TEST(GaussianKnownAnswers, FineUniformQuantizerIsDeltaSquaredOver12) {
  TensorData t{{int64_t(sample().size())}, sample()};
  float absmax = 0;
  for (double v : t.values) absmax = std::max(absmax, std::fabs(float(v)));
  const double delta = double(absmax / 2047.0f);  // sym:12, qmax 2047
  quant::make_quantizer("sym:12")->apply(t);
  const double mse = quant::error_stats(sample(), t.values).mse;
  EXPECT_NEAR(mse, delta * delta / 12, 0.01 * delta * delta / 12);
}
