// sym / usym / asym / clip: grids, rounding ties, layouts, degenerate blocks, bits per weight.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "qspectra/quant/error_stats.hpp"
#include "qspectra/quant/quantizer.hpp"

using namespace qspectra;
using namespace qspectra::quant;

namespace {

TensorData apply(const char* spec, TensorData t) {
  make_quantizer(spec)->apply(t);
  return t;
}

std::set<double> levels(const TensorData& t) { return {t.values.begin(), t.values.end()}; }

TensorData ramp(std::vector<int64_t> shape, double lo, double hi) {
  TensorData t{shape, {}};
  const int64_t n = t.numel();
  for (int64_t i = 0; i < n; ++i) t.values.push_back(lo + (hi - lo) * double(i) / double(n - 1));
  return t;
}

}  // namespace

TEST(Sym, GridAndSeedRule) {
  // absmax 7 at 4 bits: qmax 7, scale 1; ties 0.5 -> 0, 1.5 -> 2, 2.5 -> 2 (half to even), -3.5 -> -4
  auto t = apply("sym:4", {{8}, {0.5, 1.5, 2.5, -3.5, 7, -7, 6.4, -0.2}});
  EXPECT_EQ(t.values, (std::vector<double>{0, 2, 2, -4, 7, -7, 6, -0.0}));
  EXPECT_TRUE(std::signbit(t.values[7]));  // rint(-0.2) = -0, kept as numpy does
  auto r = apply("sym:3", ramp({1000}, -1, 1));
  EXPECT_EQ(levels(r).size(), 7u);  // 2^B - 1 levels
}

TEST(Sym, Float32Arithmetic) {
  // 0.1 is not a float: the scale, quotients and products are float32 operations.
  auto t = apply("sym:8", {{2}, {0.1, 0.05}});
  const float scale = 0.1f / 127.0f;
  EXPECT_EQ(t.values[0], double(std::nearbyint(0.1f / scale) * scale));
  EXPECT_EQ(t.values[1], double(std::nearbyint(0.05f / scale) * scale));
}

TEST(Sym, PerChannelAndGroupLayouts) {
  // qmax 1 at 2 bits: each value becomes 0 or +-absmax of its block (0.5 ties to 0)
  TensorData t{{2, 4}, {1, 2, 3, 4, 100, 200, 300, 400}};
  EXPECT_EQ(apply("sym:2:channel", t).values, (std::vector<double>{0, 0, 4, 4, 0, 0, 400, 400}));
  EXPECT_EQ(apply("sym:2", t).values, (std::vector<double>{0, 0, 0, 0, 0, 0, 400, 400}));
  // groups of 3 within rows of 4: blocks [0,3) [3,4) [4,7) [7,8); a lone element is exact
  TensorData g{{2, 4}, {0.3, 1, 0.5, 0.125, 1, 0.26, 0.1, -5}};
  EXPECT_EQ(apply("sym:2:g3", g).values, (std::vector<double>{0, 1, 0, 0.125, 1, 0, 0, -5}));
  // conv kernel [out, in, kh, kw]: a channel is out, groups run along in*kh*kw
  TensorData conv{{2, 1, 2, 2}, {1, 0.4, 0.6, 0.2, 8, 4, 4.4, 0}};
  EXPECT_EQ(apply("sym:2:channel", conv).values, (std::vector<double>{1, 0, 1, 0, 8, 0, 8, 0}));
  EXPECT_EQ(apply("sym:2:g2", conv).values, (std::vector<double>{1, 0, 0.6f, 0, 8, 0, 4.4f, 0}));
}

TEST(Sym, AllZeroRowAndOutlier) {
  TensorData t{{2, 3}, {0, 0, 0, 0.5, -0.25, 1e6}};
  auto q = apply("sym:8:channel", t);
  EXPECT_EQ(q.values[0], 0.0);
  EXPECT_EQ(q.values[2], 0.0);
  EXPECT_EQ(count_non_finite(q.values), 0);
  EXPECT_FLOAT_EQ(q.values[5], 1e6);  // the outlier is the absmax
  EXPECT_EQ(q.values[3], 0.0);  // the rest collapse to 0 under its scale
  auto z = apply("sym:4:g2", {{4}, {0, 0, 0, 0}});
  EXPECT_EQ(z.values, (std::vector<double>{0, 0, 0, 0}));
}

TEST(USym, ExactlyTwoToTheBLevelsMidRise) {
  for (int b : {1, 2, 3, 5}) {
    auto q = apply(("usym:" + std::to_string(b)).c_str(), ramp({4096}, -1, 1));
    EXPECT_EQ(levels(q).size(), size_t(1) << b) << b;
    EXPECT_FLOAT_EQ(*levels(q).rbegin(), 1.0f);
    EXPECT_FLOAT_EQ(*levels(q).begin(), -1.0f);
    EXPECT_EQ(levels(q).count(0.0), 0u);  // mid-rise: zero is not a level
  }
  // 2 bits, absmax 3: scale 2, levels +-1, +-3; threshold 0 and +-2 go up
  auto t = apply("usym:2", {{6}, {0, 2, -2, 1.9, -3, 3}});
  EXPECT_EQ(t.values, (std::vector<double>{1, 3, -1, 1, -3, 3}));
  EXPECT_EQ(apply("usym:3", {{2}, {0, 0}}).values, (std::vector<double>{0, 0}));
}

TEST(Asym, ZeroPointGrid) {
  // [0, 15] at 4 bits: scale 1, zero point 0: integers exact
  auto t = apply("asym:4", ramp({16}, 0, 15));
  EXPECT_EQ(t.values, ramp({16}, 0, 15).values);
  // [-1, 2]: range includes 0, scale 3/15, zp = rint(5) = 5, zero exact
  auto a = apply("asym:4", {{4}, {-1, 2, 0, 0.15}});
  EXPECT_FLOAT_EQ(a.values[0], -1.0f);
  EXPECT_FLOAT_EQ(a.values[1], 2.0f);
  EXPECT_EQ(a.values[2], 0.0);
  EXPECT_FLOAT_EQ(a.values[3], 0.2f);
  EXPECT_LE(levels(apply("asym:3", ramp({1000}, -0.3, 1.7))).size(), 8u);
  // a constant positive row: range [0, c], c is exact
  auto c = apply("asym:2:channel", {{2, 2}, {5, 5, 0, 0}});
  EXPECT_FLOAT_EQ(c.values[0], 5.0f);
  EXPECT_EQ(c.values[2], 0.0);
}

TEST(Clip, ClipsAtKSigma) {
  TensorData t = ramp({1001}, -1, 1);
  t.values.back() = 50;  // one huge outlier
  auto q = apply("clip:4:3s", t);
  double sd = 0, mean = 0;
  for (double v : t.values) mean += v / 1001;
  for (double v : t.values) sd += (v - mean) * (v - mean) / 1001;
  const float limit = float(3 * std::sqrt(sd));
  EXPECT_FLOAT_EQ(q.values.back(), limit);   // clipped to the top level
  EXPECT_LE(levels(q).size(), 15u);
  const double step = limit / 7.0;
  for (size_t i = 0; i + 1 < t.values.size(); ++i) ASSERT_LE(std::fabs(q.values[i] - t.values[i]), step / 2 * 1.0001);
}

TEST(IntegerGrid, BitsPerWeight) {
  const std::vector<int64_t> shape{300, 1000};
  EXPECT_DOUBLE_EQ(make_quantizer("sym:8")->bits_per_weight(shape), 8 + 16.0 / 300000);
  EXPECT_DOUBLE_EQ(make_quantizer("sym:8:channel")->bits_per_weight(shape), 8 + 16.0 / 1000);
  EXPECT_DOUBLE_EQ(make_quantizer("sym:4:g128")->bits_per_weight(shape), 4 + 16.0 * 300 * 8 / 300000);
  EXPECT_DOUBLE_EQ(make_quantizer("sym:4:g128")->bits_per_weight({10, 1280}), 4 + 16.0 / 128);
  EXPECT_DOUBLE_EQ(make_quantizer("asym:4:g128")->bits_per_weight({10, 1280}), 4 + 20.0 / 128);
  EXPECT_DOUBLE_EQ(make_quantizer("usym:3")->bits_per_weight({16}), 3 + 1.0);
  EXPECT_DOUBLE_EQ(make_quantizer("clip:4:3s")->bits_per_weight({4, 4}), 5.0);
  EXPECT_DOUBLE_EQ(make_quantizer("nf4")->bits_per_weight({64, 64}), 4.5);
  EXPECT_DOUBLE_EQ(make_quantizer("lloyd:2")->bits_per_weight({8, 8}), 2 + 1.0);
  EXPECT_DOUBLE_EQ(make_quantizer("sym:4")->bits_per_weight({0, 5}), 4.0);
}
