// GGML's first-generation block types: 32 elements per block, one fp16 scale (and a min for the
// _1 variants). Written from ggml-org/ggml @ d99724f (ggml-quants.c, ggml-common.h); the float
// operations keep ggml's order so quantized bytes and dequantized floats match bit for bit.
//
// Block layouts (little-endian, packed):
//   q4_0  18 B: d fp16 | qs[16]        element j in low nibble of qs[j], element j+16 in high nibble; x = (q-8)*d
//   q4_1  20 B: d fp16 | m fp16 | qs[16]                          same nibbles; x = q*d + m
//   q5_0  22 B: d fp16 | qh u32 | qs[16]  low 4 bits as q4_0, bit 4 of element j in qh bit j; x = (q-16)*d
//   q5_1  24 B: d fp16 | m fp16 | qh u32 | qs[16]                 x = q*d + m
//   q8_0  34 B: d fp16 | qs[32] int8                              x = q*d
#include <algorithm>
#include <cfloat>
#include <cmath>

#include "row_functions.hpp"

namespace qspectra::types::detail {
namespace {

constexpr std::size_t kQK = 32;

void min_max(const float* x, float& min, float& max) {
  min = FLT_MAX;
  max = -FLT_MAX;
  for (std::size_t j = 0; j < kQK; ++j) {
    if (x[j] < min) min = x[j];
    if (x[j] > max) max = x[j];
  }
}

}  // namespace

void dequantize_q4_0(const std::byte* src, float* y, std::size_t n) {
  for (std::size_t b = 0; b < n / kQK; ++b, src += 18, y += kQK) {
    const float d = half_at(src);
    const std::byte* qs = src + 2;
    for (std::size_t j = 0; j < kQK / 2; ++j) {
      const int x0 = (u8(qs + j) & 0x0F) - 8;
      const int x1 = (u8(qs + j) >> 4) - 8;
      y[j] = static_cast<float>(x0) * d;
      y[j + kQK / 2] = static_cast<float>(x1) * d;
    }
  }
}

void dequantize_q4_1(const std::byte* src, float* y, std::size_t n) {
  for (std::size_t b = 0; b < n / kQK; ++b, src += 20, y += kQK) {
    const float d = half_at(src);
    const float m = half_at(src + 2);
    const std::byte* qs = src + 4;
    for (std::size_t j = 0; j < kQK / 2; ++j) {
      y[j] = static_cast<float>(u8(qs + j) & 0x0F) * d + m;
      y[j + kQK / 2] = static_cast<float>(u8(qs + j) >> 4) * d + m;
    }
  }
}

void dequantize_q5_0(const std::byte* src, float* y, std::size_t n) {
  for (std::size_t b = 0; b < n / kQK; ++b, src += 22, y += kQK) {
    const float d = half_at(src);
    const uint32_t qh = le32(src + 2);
    const std::byte* qs = src + 6;
    for (std::size_t j = 0; j < kQK / 2; ++j) {
      const unsigned xh0 = ((qh >> j) << 4) & 0x10;
      const unsigned xh1 = (qh >> (j + 12)) & 0x10;
      const int x0 = static_cast<int>((u8(qs + j) & 0x0F) | xh0) - 16;
      const int x1 = static_cast<int>((u8(qs + j) >> 4) | xh1) - 16;
      y[j] = static_cast<float>(x0) * d;
      y[j + kQK / 2] = static_cast<float>(x1) * d;
    }
  }
}

void dequantize_q5_1(const std::byte* src, float* y, std::size_t n) {
  for (std::size_t b = 0; b < n / kQK; ++b, src += 24, y += kQK) {
    const float d = half_at(src);
    const float m = half_at(src + 2);
    const uint32_t qh = le32(src + 4);
    const std::byte* qs = src + 8;
    for (std::size_t j = 0; j < kQK / 2; ++j) {
      const unsigned xh0 = ((qh >> j) << 4) & 0x10;
      const unsigned xh1 = (qh >> (j + 12)) & 0x10;
      y[j] = static_cast<float>((u8(qs + j) & 0x0F) | xh0) * d + m;
      y[j + kQK / 2] = static_cast<float>((u8(qs + j) >> 4) | xh1) * d + m;
    }
  }
}

void dequantize_q8_0(const std::byte* src, float* y, std::size_t n) {
  for (std::size_t b = 0; b < n / kQK; ++b, src += 34, y += kQK) {
    const float d = half_at(src);
    for (std::size_t j = 0; j < kQK; ++j) y[j] = static_cast<float>(static_cast<int8_t>(u8(src + 2 + j))) * d;
  }
}

// Quantizers: ggml truncates `x*id + 8.5f` (resp. 16.5f, 0.5f) toward zero, i.e. rounds half up
// after the shift; each product is rounded to float before the add.
void quantize_q4_0(const float* x, std::byte* dst, std::size_t n) {
  for (std::size_t b = 0; b < n / kQK; ++b, x += kQK, dst += 18) {
    float amax, max;
    signed_absmax(x, kQK, amax, max);
    const float d = max / -8;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    put16(dst, fp32_to_fp16(d));
    for (std::size_t j = 0; j < kQK / 2; ++j) {
      const float x0 = x[j] * id;
      const float x1 = x[j + kQK / 2] * id;
      const int q0 = std::min<int>(15, ggml_float_to_int8(x0 + 8.5f));
      const int q1 = std::min<int>(15, ggml_float_to_int8(x1 + 8.5f));
      put8(dst + 2 + j, static_cast<unsigned>(q0) | (static_cast<unsigned>(q1) << 4));
    }
  }
}

void quantize_q4_1(const float* x, std::byte* dst, std::size_t n) {
  for (std::size_t b = 0; b < n / kQK; ++b, x += kQK, dst += 20) {
    float min, max;
    min_max(x, min, max);
    const float d = (max - min) / 15;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    put16(dst, fp32_to_fp16(d));
    put16(dst + 2, fp32_to_fp16(min));
    for (std::size_t j = 0; j < kQK / 2; ++j) {
      const float x0 = (x[j] - min) * id;
      const float x1 = (x[j + kQK / 2] - min) * id;
      const int q0 = std::min<int>(15, ggml_float_to_int8(x0 + 0.5f));
      const int q1 = std::min<int>(15, ggml_float_to_int8(x1 + 0.5f));
      put8(dst + 4 + j, static_cast<unsigned>(q0) | (static_cast<unsigned>(q1) << 4));
    }
  }
}

void quantize_q5_0(const float* x, std::byte* dst, std::size_t n) {
  for (std::size_t b = 0; b < n / kQK; ++b, x += kQK, dst += 22) {
    float amax, max;
    signed_absmax(x, kQK, amax, max);
    const float d = max / -16;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    put16(dst, fp32_to_fp16(d));
    uint32_t qh = 0;
    for (std::size_t j = 0; j < kQK / 2; ++j) {
      const float x0 = x[j] * id;
      const float x1 = x[j + kQK / 2] * id;
      const unsigned q0 = static_cast<unsigned>(std::min<int>(31, ggml_float_to_int8(x0 + 16.5f)));
      const unsigned q1 = static_cast<unsigned>(std::min<int>(31, ggml_float_to_int8(x1 + 16.5f)));
      put8(dst + 6 + j, (q0 & 0x0F) | ((q1 & 0x0F) << 4));
      qh |= ((q0 & 0x10u) >> 4) << j;
      qh |= ((q1 & 0x10u) >> 4) << (j + kQK / 2);
    }
    put32(dst + 2, qh);
  }
}

void quantize_q5_1(const float* x, std::byte* dst, std::size_t n) {
  for (std::size_t b = 0; b < n / kQK; ++b, x += kQK, dst += 24) {
    float min, max;
    min_max(x, min, max);
    const float d = (max - min) / 31;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    put16(dst, fp32_to_fp16(d));
    put16(dst + 2, fp32_to_fp16(min));
    uint32_t qh = 0;
    for (std::size_t j = 0; j < kQK / 2; ++j) {
      const float x0 = (x[j] - min) * id;
      const float x1 = (x[j + kQK / 2] - min) * id;
      const unsigned q0 = static_cast<uint8_t>(ggml_float_to_int8(x0 + 0.5f));  // ggml does not clamp here
      const unsigned q1 = static_cast<uint8_t>(ggml_float_to_int8(x1 + 0.5f));
      put8(dst + 8 + j, (q0 & 0x0F) | ((q1 & 0x0F) << 4));
      qh |= ((q0 & 0x10u) >> 4) << j;
      qh |= ((q1 & 0x10u) >> 4) << (j + kQK / 2);
    }
    put32(dst + 4, qh);
  }
}

void quantize_q8_0(const float* x, std::byte* dst, std::size_t n) {
  for (std::size_t b = 0; b < n / kQK; ++b, x += kQK, dst += 34) {
    float amax = 0.0f;
    for (std::size_t j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    put16(dst, fp32_to_fp16(d));
    // roundf: half away from zero
    for (std::size_t j = 0; j < kQK; ++j) put8(dst + 2 + j, static_cast<uint8_t>(ggml_float_to_int8(std::round(x[j] * id))));
  }
}

}  // namespace qspectra::types::detail
