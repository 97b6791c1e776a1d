#include "qspectra/quant/float_format.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "qspectra/quant/quantizer.hpp"

using namespace qspectra::quant;

namespace {

// Every finite non-negative value of a binary format, ascending (independent of the code under test).
std::vector<double> positive_values(const FloatFormatInfo& f) {
  std::vector<double> v;
  const int bias = 1 - f.min_exp;
  for (int e = 0; e < (1 << f.exp_bits); ++e)
    for (int m = 0; m < (1 << f.man_bits); ++m) {
      double x = e == 0 ? std::ldexp(double(m), 1 - bias - f.man_bits)
                        : std::ldexp(double((1 << f.man_bits) + m), e - bias - f.man_bits);
      if (x <= f.max_finite) v.push_back(x);
    }
  return v;
}

const FloatFormat kNarrow[] = {FloatFormat::FP16, FloatFormat::BF16, FloatFormat::FP8_E4M3,
                               FloatFormat::FP8_E5M2};

}  // namespace

TEST(FloatFormat, EveryValueRoundTripsAndMidpointsTieToEven) {
  for (FloatFormat f : kNarrow) {
    const auto& info = float_format_info(f);
    const auto v = positive_values(info);
    for (size_t i = 0; i + 1 < v.size(); ++i) {
      ASSERT_EQ(round_to_format(v[i], f), v[i]) << info.name;
      ASSERT_EQ(round_to_format(-v[i], f), -v[i]) << info.name;
      const double mid = (v[i] + v[i + 1]) / 2;  // exact in double
      // consecutive values alternate even/odd mantissa: the even one is at even index
      ASSERT_EQ(round_to_format(mid, f), i % 2 == 0 ? v[i] : v[i + 1]) << info.name << " " << mid;
      ASSERT_EQ(round_to_format(std::nextafter(mid, 0.0), f), v[i]) << info.name;
      ASSERT_EQ(round_to_format(std::nextafter(mid, 1e300), f), v[i + 1]) << info.name;
    }
  }
}

TEST(FloatFormat, KnownMaxima) {
  EXPECT_EQ(float_format_info(FloatFormat::FP16).max_finite, 65504.0);
  EXPECT_EQ(float_format_info(FloatFormat::BF16).max_finite, 3.3895313892515355e38);
  EXPECT_EQ(float_format_info(FloatFormat::FP8_E4M3).max_finite, 448.0);
  EXPECT_EQ(float_format_info(FloatFormat::FP8_E5M2).max_finite, 57344.0);
  EXPECT_EQ(positive_values(float_format_info(FloatFormat::FP16)).size(), 31u * 1024);
  EXPECT_EQ(positive_values(float_format_info(FloatFormat::FP8_E4M3)).size(), 127u);  // 0x00..0x7E
}

TEST(FloatFormat, OverflowPolicy) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(round_to_format(65519.0, FloatFormat::FP16), 65504.0);   // rounds down to max
  EXPECT_EQ(round_to_format(65520.0, FloatFormat::FP16), inf);       // tie to even -> 65536 -> inf
  EXPECT_EQ(round_to_format(-1e6, FloatFormat::FP16), -inf);
  EXPECT_EQ(round_to_format(1e39, FloatFormat::BF16), inf);
  EXPECT_EQ(round_to_format(1e39, FloatFormat::FP32), inf);
  EXPECT_EQ(round_to_format(1e300, FloatFormat::FP64), 1e300);
  EXPECT_EQ(round_to_format(470.0, FloatFormat::FP8_E4M3), 448.0);   // saturates, no NaN
  EXPECT_EQ(round_to_format(-1e9, FloatFormat::FP8_E4M3), -448.0);
  EXPECT_EQ(round_to_format(1e9, FloatFormat::FP8_E5M2), 57344.0);
}

TEST(FloatFormat, SubnormalsAndUnderflow) {
  EXPECT_EQ(round_to_format(std::ldexp(1.0, -24), FloatFormat::FP16), std::ldexp(1.0, -24));
  EXPECT_EQ(round_to_format(std::ldexp(1.0, -25), FloatFormat::FP16), 0.0);  // tie -> even (0)
  EXPECT_EQ(round_to_format(std::ldexp(1.5, -25), FloatFormat::FP16), std::ldexp(1.0, -24));
  EXPECT_EQ(round_to_format(std::ldexp(1.0, -9), FloatFormat::FP8_E4M3), std::ldexp(1.0, -9));
  EXPECT_TRUE(std::signbit(round_to_format(-1e-30, FloatFormat::FP16)));  // -0 keeps its sign
}

TEST(FloatFormat, Fp32IsTheHardwareCast) {
  for (double x : {0.1, 1.0 / 3, -2.5e-40, 3.4028235677973366e38})
    EXPECT_EQ(round_to_format(x, FloatFormat::FP32), double(float(x)));
}

TEST(FloatFormat, CastQuantizers) {
  for (const char* s : {"fp64", "fp32", "fp16", "bf16", "fp8_e4m3", "fp8_e5m2"}) {
    auto q = make_quantizer(s);
    EXPECT_TRUE(q->is_precision_cast());
    EXPECT_EQ(q->spec(), s);
  }
  EXPECT_EQ(make_quantizer("bf16")->bits_per_weight({4, 4}), 16.0);
  EXPECT_EQ(make_quantizer("fp8_e4m3")->bits_per_weight({4, 4}), 8.0);
  qspectra::TensorData t{{3}, {1.0 + 1.0 / 256, 1000.0, 0.1}};
  make_quantizer("bf16")->apply(t);
  EXPECT_EQ(t.values[0], 1.0);  // tie to even
  EXPECT_EQ(t.values[1], 1000.0);
  EXPECT_EQ(t.values[2], 0.10009765625);
}
