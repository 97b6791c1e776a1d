#include "qspectra/quant/float_format.hpp"

#include <cmath>
#include <limits>

namespace qspectra::quant {
namespace {

// max finite = (2 - 2^-man) * 2^max_exp, except E4M3FN whose top mantissa pattern is NaN.
constexpr FloatFormatInfo kInfos[] = {
    {"fp64", 64, 11, 52, -1022, std::numeric_limits<double>::max(), false},
    {"fp32", 32, 8, 23, -126, double(std::numeric_limits<float>::max()), false},
    {"fp16", 16, 5, 10, -14, 65504.0, false},
    {"bf16", 16, 8, 7, -126, 0x1.FEp127, false},
    {"fp8_e4m3", 8, 4, 3, -6, 448.0, true},
    {"fp8_e5m2", 8, 5, 2, -14, 57344.0, true},
};

}  // namespace

const FloatFormatInfo& float_format_info(FloatFormat f) { return kInfos[static_cast<int>(f)]; }

double round_to_format(double x, FloatFormat f) {
  if (f == FloatFormat::FP64) return x;
  if (f == FloatFormat::FP32) return double(static_cast<float>(x));  // hardware RNE, IEEE overflow
  const auto& info = float_format_info(f);
  if (x == 0 || !std::isfinite(x)) return x;
  int e = 0;
  std::frexp(x, &e);                    // |x| = m * 2^e, m in [0.5, 1): exponent of x is e - 1
  int exp = std::max(e - 1, info.min_exp);  // below min_exp the spacing stays fixed (subnormals)
  // Scaling by powers of two is exact, so nearbyint does the whole RNE rounding.
  double y = std::ldexp(std::nearbyint(std::ldexp(x, info.man_bits - exp)), exp - info.man_bits);
  if (std::fabs(y) > info.max_finite)
    y = std::copysign(info.saturates ? info.max_finite : std::numeric_limits<double>::infinity(), x);
  return y;
}

}  // namespace qspectra::quant
