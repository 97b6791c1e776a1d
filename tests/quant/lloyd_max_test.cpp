#include "qspectra/quant/lloyd_max.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>

#include "qspectra/quant/quantizer.hpp"

using namespace qspectra;
using namespace qspectra::quant;

TEST(LloydMax, FastMatchesReference) {
  std::mt19937_64 g(7);
  std::vector<double> x;
  for (int i = 0; i < 3000; ++i) x.push_back(std::ldexp(double(g() >> 11), -53) * (i % 3 ? 1 : -4));
  for (int L : {1, 2, 4, 16}) {
    const auto a = lloyd_max(x, L), b = lloyd_max_ref(x, L);
    ASSERT_EQ(a.levels.size(), size_t(L));
    EXPECT_EQ(a.iterations, b.iterations) << L;
    EXPECT_EQ(a.converged, b.converged);
    for (int j = 0; j < L; ++j) EXPECT_NEAR(a.levels[j], b.levels[j], 1e-12) << L << " " << j;
  }
}

TEST(LloydMax, PercentileInitAndFixedPoint) {
  // Two well separated clusters at 2 levels: the levels are the cluster means.
  std::vector<double> x = {-1.1, -1.0, -0.9, 2.0, 2.1, 2.2};
  const auto r = lloyd_max(x, 2);
  EXPECT_TRUE(r.converged);
  EXPECT_NEAR(r.levels[0], -1.0, 1e-15);
  EXPECT_NEAR(r.levels[1], 2.1, 1e-15);
  // constant data: every level equals the constant, nothing breaks
  const auto c = lloyd_max(std::vector<double>(10, 0.5), 4);
  for (double v : c.levels) EXPECT_EQ(v, 0.5);
  EXPECT_TRUE(lloyd_max(std::vector<double>{}, 4).levels.empty());
}

TEST(LloydMax, QuantizeToLevelsTiesGoUp) {
  std::vector<double> v = {-5, 0.5, 0.49, 1.5, 9};
  const std::vector<double> levels = {0, 1, 2};
  quantize_to_levels(v, levels);
  EXPECT_EQ(v, (std::vector<double>{0, 1, 0, 2, 2}));
}

TEST(LloydMax, Quantizer) {
  TensorData t{{4, 25}, {}};
  for (int i = 0; i < 100; ++i) t.values.push_back(std::sin(i * 1.3) * 3);
  const auto orig = t.values;
  make_quantizer("lloyd:2")->apply(t);
  EXPECT_EQ(std::set<double>(t.values.begin(), t.values.end()).size(), 4u);
  const auto r = lloyd_max(orig, 4);
  std::vector<double> expect = orig;
  quantize_to_levels(expect, r.levels);
  EXPECT_EQ(t.values, expect);
}
