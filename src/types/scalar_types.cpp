// Row functions of the plain scalar types (one element per "block"): exact widening to float64,
// conversion to float32 as ggml does it (F32 copy, F16/BF16 exact, integers rounded to nearest),
// and the F32/F16/BF16 "quantizers" (ggml_fp32_to_fp16_row / ggml_fp32_to_bf16_row_ref).
#include <bit>
#include <cmath>
#include <limits>

#include "qspectra/types/fp8.hpp"
#include "row_functions.hpp"

namespace qspectra::types {

double f8_e4m3_to_double(uint8_t bits) {
  const bool neg = bits & 0x80;
  const int exp = (bits >> 3) & 0xF;
  const int man = bits & 0x7;
  double v;
  if (exp == 0xF && man == 0x7)
    v = std::numeric_limits<double>::quiet_NaN();  // the only NaN, and no infinities
  else if (exp == 0)
    v = std::ldexp(man, -9);  // subnormal: man * 2^(1-7-3)
  else
    v = std::ldexp(man + 8, exp - 10);
  return neg ? -v : v;
}

double f8_e5m2_to_double(uint8_t bits) { return fp16_to_fp32(static_cast<uint16_t>(bits << 8)); }

namespace detail {
namespace {

uint64_t le64(const std::byte* p) { return le32(p) | (static_cast<uint64_t>(le32(p + 4)) << 32); }

// One loop for every scalar type: `load` reads one element at `p` and returns its value.
template <class Out, std::size_t Stride, class Load>
void each(const std::byte* src, Out* dst, std::size_t n, Load load) {
  for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<Out>(load(src + i * Stride));
}

double f64_at(const std::byte* p) { return std::bit_cast<double>(le64(p)); }
float f32_at(const std::byte* p) { return std::bit_cast<float>(le32(p)); }
float f16_at(const std::byte* p) { return fp16_to_fp32(le16(p)); }
float bf16_at(const std::byte* p) { return bf16_to_fp32(le16(p)); }
double e4m3_at(const std::byte* p) { return types::f8_e4m3_to_double(u8(p)); }
double e5m2_at(const std::byte* p) { return types::f8_e5m2_to_double(u8(p)); }
int8_t i8_at(const std::byte* p) { return static_cast<int8_t>(u8(p)); }
uint8_t u8_at(const std::byte* p) { return u8(p); }
int16_t i16_at(const std::byte* p) { return static_cast<int16_t>(le16(p)); }
uint16_t u16_at(const std::byte* p) { return le16(p); }
int32_t i32_at(const std::byte* p) { return static_cast<int32_t>(le32(p)); }
uint32_t u32_at(const std::byte* p) { return le32(p); }
int64_t i64_at(const std::byte* p) { return static_cast<int64_t>(le64(p)); }
uint64_t u64_at(const std::byte* p) { return le64(p); }
int bool_at(const std::byte* p) { return u8(p) ? 1 : 0; }

}  // namespace

void f64_to_float(const std::byte* s, float* d, std::size_t n) { each<float, 8>(s, d, n, f64_at); }
void f32_to_float(const std::byte* s, float* d, std::size_t n) { each<float, 4>(s, d, n, f32_at); }
void f16_to_float(const std::byte* s, float* d, std::size_t n) { each<float, 2>(s, d, n, f16_at); }
void bf16_to_float(const std::byte* s, float* d, std::size_t n) { each<float, 2>(s, d, n, bf16_at); }
void f8_e4m3_to_float(const std::byte* s, float* d, std::size_t n) { each<float, 1>(s, d, n, e4m3_at); }
void f8_e5m2_to_float(const std::byte* s, float* d, std::size_t n) { each<float, 1>(s, d, n, e5m2_at); }
void i8_to_float(const std::byte* s, float* d, std::size_t n) { each<float, 1>(s, d, n, i8_at); }
void u8_to_float(const std::byte* s, float* d, std::size_t n) { each<float, 1>(s, d, n, u8_at); }
void i16_to_float(const std::byte* s, float* d, std::size_t n) { each<float, 2>(s, d, n, i16_at); }
void u16_to_float(const std::byte* s, float* d, std::size_t n) { each<float, 2>(s, d, n, u16_at); }
void i32_to_float(const std::byte* s, float* d, std::size_t n) { each<float, 4>(s, d, n, i32_at); }
void u32_to_float(const std::byte* s, float* d, std::size_t n) { each<float, 4>(s, d, n, u32_at); }
void i64_to_float(const std::byte* s, float* d, std::size_t n) { each<float, 8>(s, d, n, i64_at); }
void u64_to_float(const std::byte* s, float* d, std::size_t n) { each<float, 8>(s, d, n, u64_at); }
void bool_to_float(const std::byte* s, float* d, std::size_t n) { each<float, 1>(s, d, n, bool_at); }

void f64_to_double(const std::byte* s, double* d, std::size_t n) { each<double, 8>(s, d, n, f64_at); }
void f32_to_double(const std::byte* s, double* d, std::size_t n) { each<double, 4>(s, d, n, f32_at); }
void f16_to_double(const std::byte* s, double* d, std::size_t n) { each<double, 2>(s, d, n, f16_at); }
void bf16_to_double(const std::byte* s, double* d, std::size_t n) { each<double, 2>(s, d, n, bf16_at); }
void f8_e4m3_to_double(const std::byte* s, double* d, std::size_t n) { each<double, 1>(s, d, n, e4m3_at); }
void f8_e5m2_to_double(const std::byte* s, double* d, std::size_t n) { each<double, 1>(s, d, n, e5m2_at); }
void i8_to_double(const std::byte* s, double* d, std::size_t n) { each<double, 1>(s, d, n, i8_at); }
void u8_to_double(const std::byte* s, double* d, std::size_t n) { each<double, 1>(s, d, n, u8_at); }
void i16_to_double(const std::byte* s, double* d, std::size_t n) { each<double, 2>(s, d, n, i16_at); }
void u16_to_double(const std::byte* s, double* d, std::size_t n) { each<double, 2>(s, d, n, u16_at); }
void i32_to_double(const std::byte* s, double* d, std::size_t n) { each<double, 4>(s, d, n, i32_at); }
void u32_to_double(const std::byte* s, double* d, std::size_t n) { each<double, 4>(s, d, n, u32_at); }
void i64_to_double(const std::byte* s, double* d, std::size_t n) { each<double, 8>(s, d, n, i64_at); }  // rounds beyond 2^53
void u64_to_double(const std::byte* s, double* d, std::size_t n) { each<double, 8>(s, d, n, u64_at); }
void bool_to_double(const std::byte* s, double* d, std::size_t n) { each<double, 1>(s, d, n, bool_at); }

void float_to_f32(const float* s, std::byte* d, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) put32(d + 4 * i, std::bit_cast<uint32_t>(s[i]));
}
void float_to_f16(const float* s, std::byte* d, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) put16(d + 2 * i, fp32_to_fp16(s[i]));
}
void float_to_bf16(const float* s, std::byte* d, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) put16(d + 2 * i, fp32_to_bf16(s[i]));
}

}  // namespace detail
}  // namespace qspectra::types
