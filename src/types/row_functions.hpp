#pragma once
// Private to the types module: the row functions the type table points at, and little-endian
// block field access (blocks are read from any address, written byte by byte).
#include <cstddef>
#include <bit>
#include <cmath>
#include <cstdint>

#include "qspectra/types/half.hpp"

namespace qspectra::types::detail {

inline uint8_t u8(const std::byte* p) { return std::to_integer<uint8_t>(*p); }
inline uint16_t le16(const std::byte* p) { return static_cast<uint16_t>(u8(p) | (u8(p + 1) << 8)); }
inline uint32_t le32(const std::byte* p) {
  return static_cast<uint32_t>(u8(p)) | (static_cast<uint32_t>(u8(p + 1)) << 8) |
         (static_cast<uint32_t>(u8(p + 2)) << 16) | (static_cast<uint32_t>(u8(p + 3)) << 24);
}
inline void put8(std::byte* p, unsigned v) { *p = static_cast<std::byte>(v & 0xFFu); }
inline void put16(std::byte* p, uint16_t v) {
  put8(p, v);
  put8(p + 1, v >> 8);
}
inline void put32(std::byte* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) put8(p + i, v >> (8 * i));
}
inline float half_at(const std::byte* p) { return fp16_to_fp32(le16(p)); }

// ggml's nearest_int: add 1.5 * 2^23 and read the mantissa; rounds half to even. |x| < 2^22.
inline int nearest_int(float x) {
  const float v = x + 12582912.f;
  const uint32_t i = std::bit_cast<uint32_t>(v);
  return static_cast<int>(i & 0x007FFFFFu) - 0x00400000;
}

// ggml's `(int8_t)f` as x86-64 executes it (cvttss2si, then the low byte): truncation toward zero,
// and INT_MIN (low byte 0) for NaN or values beyond int32, which a block of subnormal weights can
// produce (1/d overflows). Defined behaviour here, where a plain cast would be undefined.
inline int8_t ggml_float_to_int8(float f) {
  const int32_t i = (f > -2147483648.f && f < 2147483648.f) ? static_cast<int32_t>(f) : INT32_MIN;
  return static_cast<int8_t>(i);
}

// The value of largest magnitude among x[0..n) (the first one wins a tie) and that magnitude, as
// ggml's quantizers pick it: their group scale comes from the signed value.
inline void signed_absmax(const float* x, std::size_t n, float& amax, float& max) {
  amax = 0.0f;
  max = 0.0f;
  for (std::size_t j = 0; j < n; ++j) {
    const float ax = std::fabs(x[j]);
    if (ax > amax) {
      amax = ax;
      max = x[j];
    }
  }
}

// ggml's GROUP_MAX_EPS: a group whose largest magnitude is below it quantizes to zeros.
inline constexpr float kGroupMaxEps = 1e-15f;

// plain scalars (scalar_types.cpp)
void f32_to_float(const std::byte*, float*, std::size_t);
void f16_to_float(const std::byte*, float*, std::size_t);
void bf16_to_float(const std::byte*, float*, std::size_t);
void f64_to_float(const std::byte*, float*, std::size_t);
void i8_to_float(const std::byte*, float*, std::size_t);
void i16_to_float(const std::byte*, float*, std::size_t);
void i32_to_float(const std::byte*, float*, std::size_t);
void i64_to_float(const std::byte*, float*, std::size_t);
void u8_to_float(const std::byte*, float*, std::size_t);
void u16_to_float(const std::byte*, float*, std::size_t);
void u32_to_float(const std::byte*, float*, std::size_t);
void u64_to_float(const std::byte*, float*, std::size_t);
void bool_to_float(const std::byte*, float*, std::size_t);
void f8_e4m3_to_float(const std::byte*, float*, std::size_t);
void f8_e5m2_to_float(const std::byte*, float*, std::size_t);
void f64_to_double(const std::byte*, double*, std::size_t);
void f32_to_double(const std::byte*, double*, std::size_t);
void f16_to_double(const std::byte*, double*, std::size_t);
void bf16_to_double(const std::byte*, double*, std::size_t);
void f8_e4m3_to_double(const std::byte*, double*, std::size_t);
void f8_e5m2_to_double(const std::byte*, double*, std::size_t);
void i8_to_double(const std::byte*, double*, std::size_t);
void u8_to_double(const std::byte*, double*, std::size_t);
void i16_to_double(const std::byte*, double*, std::size_t);
void u16_to_double(const std::byte*, double*, std::size_t);
void i32_to_double(const std::byte*, double*, std::size_t);
void u32_to_double(const std::byte*, double*, std::size_t);
void i64_to_double(const std::byte*, double*, std::size_t);
void u64_to_double(const std::byte*, double*, std::size_t);
void bool_to_double(const std::byte*, double*, std::size_t);
void float_to_f32(const float*, std::byte*, std::size_t);
void float_to_f16(const float*, std::byte*, std::size_t);
void float_to_bf16(const float*, std::byte*, std::size_t);

// ggml_legacy.cpp
void dequantize_q4_0(const std::byte*, float*, std::size_t);
void dequantize_q4_1(const std::byte*, float*, std::size_t);
void dequantize_q5_0(const std::byte*, float*, std::size_t);
void dequantize_q5_1(const std::byte*, float*, std::size_t);
void dequantize_q8_0(const std::byte*, float*, std::size_t);
void quantize_q4_0(const float*, std::byte*, std::size_t);
void quantize_q4_1(const float*, std::byte*, std::size_t);
void quantize_q5_0(const float*, std::byte*, std::size_t);
void quantize_q5_1(const float*, std::byte*, std::size_t);
void quantize_q8_0(const float*, std::byte*, std::size_t);

// ggml_kquants.cpp
void dequantize_q2_k(const std::byte*, float*, std::size_t);
void dequantize_q3_k(const std::byte*, float*, std::size_t);
void dequantize_q4_k(const std::byte*, float*, std::size_t);
void dequantize_q5_k(const std::byte*, float*, std::size_t);
void dequantize_q6_k(const std::byte*, float*, std::size_t);
void quantize_q2_k(const float*, std::byte*, std::size_t);
void quantize_q3_k(const float*, std::byte*, std::size_t);
void quantize_q4_k(const float*, std::byte*, std::size_t);
void quantize_q5_k(const float*, std::byte*, std::size_t);
void quantize_q6_k(const float*, std::byte*, std::size_t);

// ggml_iquants.cpp
void dequantize_iq4_nl(const std::byte*, float*, std::size_t);
void dequantize_iq4_xs(const std::byte*, float*, std::size_t);
void quantize_iq4_nl(const float*, std::byte*, std::size_t);
void quantize_iq4_xs(const float*, std::byte*, std::size_t);

// ggml_ternary.cpp
void dequantize_tq1_0(const std::byte*, float*, std::size_t);
void dequantize_tq2_0(const std::byte*, float*, std::size_t);
void quantize_tq1_0(const float*, std::byte*, std::size_t);
void quantize_tq2_0(const float*, std::byte*, std::size_t);

// ggml_mxfp4.cpp
void dequantize_mxfp4(const std::byte*, float*, std::size_t);
void quantize_mxfp4(const float*, std::byte*, std::size_t);

}  // namespace qspectra::types::detail
