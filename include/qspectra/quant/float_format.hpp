#pragma once
// Precision casts: round a float64 value to a narrower binary floating-point format and widen it back.
// Rounding is IEEE round-to-nearest, ties to even, with gradual underflow (subnormals kept).
// Overflow policy (see docs/quantizers.md):
//   fp32, fp16, bf16: IEEE, a value beyond the largest finite one (after rounding) becomes +-inf,
//                     exactly as numpy/torch casts do.
//   fp8_e4m3 (E4M3FN, no inf) and fp8_e5m2: saturate to +-max finite ("satfinite", as NVIDIA's
//                     cvt.satfinite and the usual fp8 scaling recipes). torch's plain .to() would
//                     give NaN (e4m3fn) or inf (e5m2) instead.
#include <string_view>

namespace qspectra::quant {

enum class FloatFormat { FP64, FP32, FP16, BF16, FP8_E4M3, FP8_E5M2 };

struct FloatFormatInfo {
  std::string_view name;   // spec name: "fp16", "fp8_e4m3", ...
  int bits;                // storage bits per value
  int exp_bits;
  int man_bits;            // explicit mantissa bits
  int min_exp;             // exponent of the smallest normal (1 - bias)
  double max_finite;
  bool saturates;          // overflow -> +-max_finite (true) or +-inf (false)
};

const FloatFormatInfo& float_format_info(FloatFormat f);

// x must be finite. Returns the nearest value of the format (as float64), overflow per policy.
double round_to_format(double x, FloatFormat f);

}  // namespace qspectra::quant
