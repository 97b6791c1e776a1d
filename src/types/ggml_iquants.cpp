// GGML's 4-bit non-linear types: levels from the fixed 16-entry codebook kvalues_iq4nl, one fp16
// scale per 32 (iq4_nl), or 8 x 6-bit sub-scales under one fp16 scale per 256 (iq4_xs). Written from
// ggml-org/ggml @ d99724f (ggml-quants.c: quantize_row_iq4_nl_impl, dequantize_row_iq4_*).
// Compiled with -ffp-contract=off, ggml's order of float operations kept (see ggml_kquants.cpp).
//
// Block layouts (little-endian, packed):
//   iq4_nl  18 B: d fp16 | qs[16]   element j: low nibble of qs[j], element j+16: high nibble;
//                 x = d * kvalues[q]
//   iq4_xs 136 B: d fp16 | scales_h u16 (2 high bits of sub-scale ib at bit 2*ib) |
//                 scales_l[4] (low 4 bits, sub-block 2k in the low nibble of byte k, 2k+1 high) |
//                 qs[128] (16 bytes per 32-element sub-block, nibbles as iq4_nl);
//                 x = d * (ls - 32) * kvalues[q]
//
// Quantization: what ggml_quantize_chunk (and llama-quantize without an imatrix) runs for these
// types is quantize_iq4_nl / quantize_iq4_xs, i.e. the _impl search with ntry = 7 and weights x^2
// (not quantize_row_iq4_nl_ref, which uses ntry = -1). We reproduce that.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "row_functions.hpp"

namespace qspectra::types::detail {
namespace {

constexpr int8_t kValues[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
constexpr int kBlock = 32;
constexpr int kNtry = 7;

// Index of the codebook entry nearest to x (ties to the upper one), by bisection as ggml does.
int best_index(float x) {
  if (x <= kValues[0]) return 0;
  if (x >= kValues[15]) return 15;
  int ml = 0, mu = 15;
  while (mu - ml > 1) {
    const int mav = (ml + mu) / 2;
    if (x < kValues[mav])
      mu = mav;
    else
      ml = mav;
  }
  return x - kValues[mu - 1] < kValues[mu] - x ? mu - 1 : mu;
}

// One super-block of `super_size` elements (32 for iq4_nl, 256 for iq4_xs). Outputs the fp16 scale,
// the packed nibbles and, for iq4_xs, the sub-scales.
void quantize_super_block(int super_size, const float* x, uint16_t& dh, uint8_t* q4, uint16_t& scales_h,
                          uint8_t* scales_l) {
  float scales[256 / kBlock];
  float weight[kBlock];
  uint8_t L[256];

  // ggml computes sigma2 (used only with an importance matrix); nothing to do without one.
  std::memset(q4, 0, static_cast<std::size_t>(super_size / 2));
  dh = fp32_to_fp16(0.f);

  float max_scale = 0, amax_scale = 0;
  for (int ib = 0; ib < super_size / kBlock; ++ib) {
    const float* xb = x + ib * kBlock;
    uint8_t* Lb = L + ib * kBlock;
    for (int j = 0; j < kBlock; ++j) weight[j] = xb[j] * xb[j];
    float amax, max;
    signed_absmax(xb, kBlock, amax, max);
    if (amax < kGroupMaxEps) {
      scales[ib] = 0;
      continue;
    }
    float d = -max / kValues[0];
    float id = 1 / d;
    float sumqx = 0, sumq2 = 0;
    for (int j = 0; j < kBlock; ++j) {
      const float al = id * xb[j];
      const int l = best_index(al);
      Lb[j] = static_cast<uint8_t>(l);
      const float q = kValues[l];
      const float w = weight[j];
      sumqx += w * q * xb[j];
      sumq2 += w * q * q;
    }
    d = sumq2 > 0 ? sumqx / sumq2 : 0.f;
    float best = d * sumqx;
    for (int itry = -kNtry; itry <= kNtry; ++itry) {
      id = (itry + kValues[0]) / max;
      sumqx = sumq2 = 0;
      for (int j = 0; j < kBlock; ++j) {
        const float al = id * xb[j];
        const int l = best_index(al);
        const float q = kValues[l];
        const float w = weight[j];
        sumqx += w * q * xb[j];
        sumq2 += w * q * q;
      }
      if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
        d = sumqx / sumq2;
        best = d * sumqx;
      }
    }
    scales[ib] = d;
    const float abs_d = std::fabs(d);
    if (abs_d > amax_scale) {
      amax_scale = abs_d;
      max_scale = d;
    }
  }

  if (super_size / kBlock > 1) {
    scales_h = 0;
    const float d = -max_scale / 32;
    dh = fp32_to_fp16(d);
    const float id = d != 0.0f ? 1 / d : 0.f;
    for (int ib = 0; ib < super_size / kBlock; ++ib) {
      int l = nearest_int(id * scales[ib]);
      l = std::max(-32, std::min(31, l));
      const float dl = d * l;
      const float idl = dl != 0.0f ? 1 / dl : 0.f;
      uint8_t* Lb = L + ib * kBlock;
      const float* xb = x + ib * kBlock;
      for (int j = 0; j < kBlock; ++j) Lb[j] = static_cast<uint8_t>(best_index(idl * xb[j]));
      l += 32;
      const uint8_t l_l = static_cast<uint8_t>(l & 0xF);
      const uint8_t l_h = static_cast<uint8_t>(l >> 4);
      if (ib % 2 == 0)
        scales_l[ib / 2] = l_l;
      else
        scales_l[ib / 2] |= static_cast<uint8_t>(l_l << 4);
      scales_h = static_cast<uint16_t>(scales_h | (l_h << (2 * (ib % 8))));
    }
  } else {
    dh = fp32_to_fp16(scales[0]);
    const float id = scales[0] != 0.0f ? 1 / scales[0] : 0;
    for (int j = 0; j < super_size; ++j) L[j] = static_cast<uint8_t>(best_index(id * x[j]));
  }

  for (int i = 0; i < super_size / 32; ++i)
    for (int j = 0; j < 16; ++j) q4[16 * i + j] = static_cast<uint8_t>(L[32 * i + j] | (L[32 * i + 16 + j] << 4));
}

}  // namespace

void dequantize_iq4_nl(const std::byte* src, float* y, std::size_t n) {
  for (std::size_t b = 0; b < n / kBlock; ++b, src += 18, y += kBlock) {
    const float d = half_at(src);
    for (int j = 0; j < 16; ++j) {
      const unsigned q = u8(src + 2 + j);
      y[j] = d * kValues[q & 0xF];
      y[j + 16] = d * kValues[q >> 4];
    }
  }
}

void dequantize_iq4_xs(const std::byte* src, float* y, std::size_t n) {
  for (std::size_t b = 0; b < n / 256; ++b, src += 136) {
    const float d = half_at(src);
    const unsigned scales_h = le16(src + 2);
    const std::byte* scales_l = src + 4;
    const std::byte* qs = src + 8;
    for (int ib = 0; ib < 8; ++ib, y += 32, qs += 16) {
      const int ls = static_cast<int>(((u8(scales_l + ib / 2) >> (4 * (ib % 2))) & 0xF) | (((scales_h >> (2 * ib)) & 3) << 4));
      const float dl = d * static_cast<float>(ls - 32);
      for (int j = 0; j < 16; ++j) {
        y[j] = dl * kValues[u8(qs + j) & 0xF];
        y[j + 16] = dl * kValues[u8(qs + j) >> 4];
      }
    }
  }
}

void quantize_iq4_nl(const float* x, std::byte* dst, std::size_t n) {
  for (std::size_t b = 0; b < n / kBlock; ++b, x += kBlock, dst += 18) {
    uint16_t dh;
    uint8_t q4[16];
    uint16_t unused_h = 0;
    quantize_super_block(kBlock, x, dh, q4, unused_h, nullptr);
    put16(dst, dh);
    std::memcpy(dst + 2, q4, 16);
  }
}

void quantize_iq4_xs(const float* x, std::byte* dst, std::size_t n) {
  for (std::size_t b = 0; b < n / 256; ++b, x += 256, dst += 136) {
    uint16_t dh;
    uint16_t scales_h = 0;
    uint8_t scales_l[4] = {};
    uint8_t q4[128];
    quantize_super_block(256, x, dh, q4, scales_h, scales_l);
    put16(dst, dh);
    put16(dst + 2, scales_h);
    std::memcpy(dst + 4, scales_l, 4);
    std::memcpy(dst + 8, q4, 128);
  }
}

}  // namespace qspectra::types::detail
