// GGML's ternary types for BitNet b1.58 / TriLM weights: levels {-1, 0, +1} times one fp16 scale
// (the block's max |x|) per 256 elements. Written from ggml-org/ggml @ d99724f (ggml-quants.c).
//
// Block layouts (little-endian, packed):
//   tq1_0 54 B: qs[48] | qh[4] | d fp16. Five trits per byte as a base-3 fraction: the byte is
//               ceil(v * 256 / 243) for v = t0*81 + t1*27 + t2*9 + t3*3 + t4 (t = level+1), so trit n
//               is the integer part of (byte * 3^n mod 256) * 3 / 256. qs[0..31] hold elements
//               m + 32n (n < 5), qs[32..47] hold 160 + m + 16n, qh[0..3] hold 240 + j + 4n (4 trits).
//   tq2_0 66 B: qs[64] | d fp16. 2 bits per element: within each 128, byte m holds elements
//               m + 32n at bits 2n; stored value = level + 1.
#include <algorithm>
#include <cmath>

#include "row_functions.hpp"

namespace qspectra::types::detail {
namespace {

constexpr std::size_t QK_K = 256;
constexpr uint8_t kPow3[6] = {1, 3, 9, 27, 81, 243};

float absmax(const float* x) {
  float amax = 0.0f;
  for (std::size_t j = 0; j < QK_K; ++j) amax = std::max(amax, std::fabs(x[j]));
  return amax;
}

// Level + 1 (0, 1, 2) of one element; lroundf rounds half away from zero.
int trit(float x, float id) { return static_cast<int>(std::lround(x * id)) + 1; }

// Five (or four, then shifted) base-3 digits -> the byte that stores them as a fraction of 243.
uint8_t trits_to_byte(uint8_t q) { return static_cast<uint8_t>((static_cast<uint16_t>(q) * 256 + (243 - 1)) / 243); }

float trit_value(uint8_t byte, int n, float d) {
  const uint8_t q = static_cast<uint8_t>(byte * kPow3[n]);
  const int16_t xi = static_cast<int16_t>((static_cast<uint16_t>(q) * 3) >> 8);
  return static_cast<float>(xi - 1) * d;
}

}  // namespace

void dequantize_tq1_0(const std::byte* src, float* y, std::size_t n) {
  for (std::size_t b = 0; b < n / QK_K; ++b, src += 54) {
    const float d = half_at(src + 52);
    for (int k = 0; k < 5; ++k)
      for (int m = 0; m < 32; ++m) *y++ = trit_value(u8(src + m), k, d);
    for (int k = 0; k < 5; ++k)
      for (int m = 0; m < 16; ++m) *y++ = trit_value(u8(src + 32 + m), k, d);
    for (int k = 0; k < 4; ++k)
      for (int j = 0; j < 4; ++j) *y++ = trit_value(u8(src + 48 + j), k, d);
  }
}

void dequantize_tq2_0(const std::byte* src, float* y, std::size_t n) {
  for (std::size_t b = 0; b < n / QK_K; ++b, src += 66) {
    const float d = half_at(src + 64);
    for (int j = 0; j < 64; j += 32)
      for (int l = 0; l < 4; ++l)
        for (int m = 0; m < 32; ++m) {
          const int q = (u8(src + j + m) >> (l * 2)) & 3;
          *y++ = static_cast<float>(q - 1) * d;
        }
  }
}

void quantize_tq1_0(const float* x, std::byte* dst, std::size_t n) {
  for (std::size_t b = 0; b < n / QK_K; ++b, dst += 54) {
    const float d = absmax(x);
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    put16(dst + 52, fp32_to_fp16(d));
    for (int m = 0; m < 32; ++m) {
      uint8_t q = 0;
      for (int k = 0; k < 5; ++k) q = static_cast<uint8_t>(q * 3 + trit(x[m + k * 32], id));
      put8(dst + m, trits_to_byte(q));
    }
    x += 160;
    for (int m = 0; m < 16; ++m) {
      uint8_t q = 0;
      for (int k = 0; k < 5; ++k) q = static_cast<uint8_t>(q * 3 + trit(x[m + k * 16], id));
      put8(dst + 32 + m, trits_to_byte(q));
    }
    x += 80;
    for (int j = 0; j < 4; ++j) {
      uint8_t q = 0;
      for (int k = 0; k < 4; ++k) q = static_cast<uint8_t>(q * 3 + trit(x[j + k * 4], id));
      q = static_cast<uint8_t>(q * 3);  // the first value becomes the most significant of five trits
      put8(dst + 48 + j, trits_to_byte(q));
    }
    x += 16;
  }
}

void quantize_tq2_0(const float* x, std::byte* dst, std::size_t n) {
  for (std::size_t b = 0; b < n / QK_K; ++b, dst += 66) {
    const float d = absmax(x);
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    put16(dst + 64, fp32_to_fp16(d));
    for (int j = 0; j < 64; j += 32) {
      for (int m = 0; m < 32; ++m) {
        unsigned q = 0;
        for (int k = 0; k < 4; ++k) q += static_cast<unsigned>(trit(x[m + k * 32], id) & 3) << (2 * k);
        put8(dst + j + m, q);
      }
      x += 128;
    }
  }
}

}  // namespace qspectra::types::detail
