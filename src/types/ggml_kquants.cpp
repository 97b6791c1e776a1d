// GGML's K-quants: 256-element super-blocks of 16 or 32-element sub-blocks whose scales (and mins)
// are themselves quantized against fp16 super-block scales. Written from ggml-org/ggml @ d99724f
// (ggml-quants.c: quantize_row_q*_K_ref, dequantize_row_q*_K and their helpers).
//
// Exactness: this file is compiled with -ffp-contract=off (src/CMakeLists.txt) and every float
// expression keeps ggml's order of operations. ggml-base is built without FMA on x86-64; a fused
// a*b+c changes the chosen scales in a fraction of blocks, so it must not happen here either.
//
// Block layouts (little-endian, packed; QK_K = 256):
//   q2_K  84 B: scales[16] (low nibble scale, high nibble min, per 16) | qs[64] (2-bit) | d fp16 | dmin fp16
//               x = d*(sc&15)*q - dmin*(sc>>4)
//   q3_K 110 B: hmask[32] (bit 2 of q) | qs[64] (bits 0-1) | scales[12] (16 x 6-bit, biased by 32) | d fp16
//               x = d*(sc-32)*(q-4)
//   q4_K 144 B: d fp16 | dmin fp16 | scales[12] (8 x 6-bit scale + 8 x 6-bit min) | qs[128] (4-bit)
//               x = d*sc*q - dmin*m
//   q5_K 176 B: d fp16 | dmin fp16 | scales[12] | qh[32] (bit 4 of q) | qs[128] (bits 0-3)
//   q6_K 210 B: ql[128] (bits 0-3) | qh[64] (bits 4-5) | scales[16] int8 | d fp16
//               x = d*sc*(q-32)
// The 2-bit planes of q2_K/q3_K: within each 128-element half, byte l of the 32 holds elements
// l, l+32, l+64, l+96 at bit 0, 2, 4, 6. q4_K/q5_K: within each 64, low nibble = element l, high =
// l+32. q3_K hmask: element j's high bit is bit j/32 of hmask[j%32].
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "row_functions.hpp"

namespace qspectra::types::detail {
namespace {

constexpr int QK_K = 256;

int clampi(int v, int lo, int hi) { return std::max(lo, std::min(hi, v)); }

// q4_K / q5_K: 6-bit scale and min of sub-block j from the 12 packed bytes.
void scale_min_k4(int j, const uint8_t* q, uint8_t& d, uint8_t& m) {
  if (j < 4) {
    d = q[j] & 63;
    m = q[j + 4] & 63;
  } else {
    d = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    m = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

void pack_scale_min_k4(int j, uint8_t ls, uint8_t lm, uint8_t* scales) {
  if (j < 4) {
    scales[j] = ls;
    scales[j + 4] = lm;
  } else {
    scales[j + 4] = static_cast<uint8_t>((ls & 0xF) | ((lm & 0xF) << 4));
    scales[j - 4] |= static_cast<uint8_t>((ls >> 4) << 6);
    scales[j] |= static_cast<uint8_t>((lm >> 4) << 6);
  }
}

// q3_K: signed 6-bit scale j (bias removed) from the 12 packed bytes.
int q3_scale(int j, const uint8_t* s) {
  const int low = j < 8 ? (s[j] & 0xF) : (s[j - 8] >> 4);
  return (low | (((s[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32;
}

void copy_in(const std::byte* src, uint8_t* dst, std::size_t n) { std::memcpy(dst, src, n); }
void copy_out(const uint8_t* src, std::byte* dst, std::size_t n) { std::memcpy(dst, src, n); }

// --- ggml's scale searches -------------------------------------------------------------------------

// Symmetric levels -nmax..nmax-1 with weights x^2 (rmse_type 1, no importance matrix): a first
// guess from the largest value, then 18 nudged inverse scales, keeping the best weighted fit.
float make_qx_quants(int n, int nmax, const float* x, int8_t* L) {
  float amax, max;
  signed_absmax(x, static_cast<std::size_t>(n), amax, max);
  if (amax < kGroupMaxEps) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    return 0.f;
  }
  float iscale = -nmax / max;
  float sumlx = 0;
  float suml2 = 0;
  for (int i = 0; i < n; ++i) {
    int l = nearest_int(iscale * x[i]);
    l = std::max(-nmax, std::min(nmax - 1, l));
    L[i] = static_cast<int8_t>(l + nmax);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * l;
    suml2 += w * l * l;
  }
  float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    iscale = -(nmax + 0.1f * is) / max;
    sumlx = suml2 = 0;
    for (int i = 0; i < n; ++i) {
      int l = nearest_int(iscale * x[i]);
      l = std::max(-nmax, std::min(nmax - 1, l));
      const float w = x[i] * x[i];
      sumlx += w * x[i] * l;
      suml2 += w * l * l;
    }
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; ++i) {
        const int l = nearest_int(iscale * x[i]);
        L[i] = static_cast<int8_t>(nmax + std::max(-nmax, std::min(nmax - 1, l)));
      }
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

// q3_K's search: start from the largest value, then up to 5 passes moving single levels while the
// weighted fit improves.
float make_q3_quants(int n, int nmax, const float* x, int8_t* L) {
  float amax, max;
  signed_absmax(x, static_cast<std::size_t>(n), amax, max);
  if (amax < kGroupMaxEps) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    return 0.f;
  }
  const float iscale = -nmax / max;
  float sumlx = 0;
  float suml2 = 0;
  for (int i = 0; i < n; ++i) {
    int l = nearest_int(iscale * x[i]);
    l = std::max(-nmax, std::min(nmax - 1, l));
    L[i] = static_cast<int8_t>(l);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * l;
    suml2 += w * l * l;
  }
  for (int itry = 0; itry < 5; ++itry) {
    int n_changed = 0;
    for (int i = 0; i < n; ++i) {
      const float w = x[i] * x[i];
      float slx = sumlx - w * x[i] * L[i];
      if (slx > 0) {
        float sl2 = suml2 - w * L[i] * L[i];
        int new_l = nearest_int(x[i] * sl2 / slx);
        new_l = std::max(-nmax, std::min(nmax - 1, new_l));
        if (new_l != L[i]) {
          slx += w * x[i] * new_l;
          sl2 += w * new_l * new_l;
          if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
            L[i] = static_cast<int8_t>(new_l);
            sumlx = slx;
            suml2 = sl2;
            ++n_changed;
          }
        }
      }
    }
    if (!n_changed) break;
  }
  for (int i = 0; i < n; ++i) L[i] = static_cast<int8_t>(L[i] + nmax);
  return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

// Asymmetric levels 0..nmax with a min: nstep+1 candidate inverse scales, each refit by weighted
// least squares for (scale, min); keeps the one with the lowest weighted error.
float make_qkx2_quants(int n, int nmax, const float* x, const float* weights, uint8_t* L, float* the_min,
                       uint8_t* Laux, float rmin, float rdelta, int nstep, bool use_mad) {
  float min = x[0];
  float max = x[0];
  float sum_w = weights[0];
  float sum_x = sum_w * x[0];
  for (int i = 1; i < n; ++i) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
    const float w = weights[i];
    sum_w += w;
    sum_x += w * x[i];
  }
  if (min > 0) min = 0;
  if (max == min) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    *the_min = -min;
    return 0.f;
  }
  float iscale = nmax / (max - min);
  float scale = 1 / iscale;
  float best_error = 0;
  for (int i = 0; i < n; ++i) {
    const int l = nearest_int(iscale * (x[i] - min));
    L[i] = static_cast<uint8_t>(std::max(0, std::min(nmax, l)));
    float diff = scale * L[i] + min - x[i];
    diff = use_mad ? std::fabs(diff) : diff * diff;
    const float w = weights[i];
    best_error += w * diff;
  }
  for (int is = 0; is <= nstep; ++is) {
    iscale = (rmin + rdelta * is + nmax) / (max - min);
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      int l = nearest_int(iscale * (x[i] - min));
      l = std::max(0, std::min(nmax, l));
      Laux[i] = static_cast<uint8_t>(l);
      const float w = weights[i];
      sum_l += w * l;
      sum_l2 += w * l * l;
      sum_xl += w * l * x[i];
    }
    const float D = sum_w * sum_l2 - sum_l * sum_l;
    if (D > 0) {
      float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
      float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
      if (this_min > 0) {
        this_min = 0;
        this_scale = sum_xl / sum_l2;
      }
      float cur_error = 0;
      for (int i = 0; i < n; ++i) {
        float diff = this_scale * Laux[i] + this_min - x[i];
        diff = use_mad ? std::fabs(diff) : diff * diff;
        const float w = weights[i];
        cur_error += w * diff;
      }
      if (cur_error < best_error) {
        for (int i = 0; i < n; ++i) L[i] = Laux[i];
        best_error = cur_error;
        scale = this_scale;
        min = this_min;
      }
    }
  }
  *the_min = -min;
  return scale;
}

// 2-bit planes shared by q2_K and q3_K.
void pack_2bit_planes(const uint8_t* L, uint8_t* qs) {
  for (int j = 0; j < QK_K; j += 128)
    for (int l = 0; l < 32; ++l)
      qs[j / 4 + l] = static_cast<uint8_t>(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
}

// q4_K and q5_K share everything but the level count, the search grid and the packing of q.
template <int Nmax>
void quantize_k4_block(const float* x, uint8_t* scales_out, uint16_t& d_out, uint16_t& dmin_out, uint8_t* L) {
  constexpr float kRmin = Nmax == 15 ? -1.f : -0.5f;
  constexpr int kNstep = Nmax == 15 ? 20 : 15;
  uint8_t Laux[32];
  float weights[32];
  float mins[QK_K / 32];
  float scales[QK_K / 32];
  float max_scale = 0;
  float max_min = 0;
  for (int j = 0; j < QK_K / 32; ++j) {
    float sum_x2 = 0;
    for (int l = 0; l < 32; ++l) sum_x2 += x[32 * j + l] * x[32 * j + l];
    const float av_x = std::sqrt(sum_x2 / 32);
    for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(x[32 * j + l]);
    scales[j] = make_qkx2_quants(32, Nmax, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, kRmin, 0.1f, kNstep, false);
    if (scales[j] > max_scale) max_scale = scales[j];
    if (mins[j] > max_min) max_min = mins[j];
  }
  const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
  const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
  for (int j = 0; j < QK_K / 32; ++j) {
    uint8_t ls = static_cast<uint8_t>(nearest_int(inv_scale * scales[j]));
    uint8_t lm = static_cast<uint8_t>(nearest_int(inv_min * mins[j]));
    ls = std::min<uint8_t>(63, ls);
    lm = std::min<uint8_t>(63, lm);
    pack_scale_min_k4(j, ls, lm, scales_out);
  }
  d_out = fp32_to_fp16(max_scale / 63.f);
  dmin_out = fp32_to_fp16(max_min / 63.f);
  for (int j = 0; j < QK_K / 32; ++j) {
    uint8_t sc, m;
    scale_min_k4(j, scales_out, sc, m);
    const float d = fp16_to_fp32(d_out) * sc;
    if (d == 0.0f) continue;
    const float dm = fp16_to_fp32(dmin_out) * m;
    for (int ii = 0; ii < 32; ++ii) {
      const int l = nearest_int((x[32 * j + ii] + dm) / d);
      L[32 * j + ii] = static_cast<uint8_t>(clampi(l, 0, Nmax));
    }
  }
}

}  // namespace

// --- dequantizers ----------------------------------------------------------------------------------

void dequantize_q2_k(const std::byte* src, float* y, std::size_t n) {
  for (std::size_t b = 0; b < n / QK_K; ++b, src += 84) {
    const std::byte* scales = src;
    const std::byte* q = src + 16;
    const float d = half_at(src + 80);
    const float min = half_at(src + 82);
    int is = 0;
    for (int half = 0; half < QK_K; half += 128) {
      int shift = 0;
      for (int j = 0; j < 4; ++j) {
        for (int part = 0; part < 2; ++part) {  // elements l and l+16 of the 32 bytes use separate scales
          const unsigned sc = u8(scales + is++);
          const float dl = d * static_cast<float>(sc & 0xF);
          const float ml = min * static_cast<float>(sc >> 4);
          for (int l = 0; l < 16; ++l)
            *y++ = dl * static_cast<float>((u8(q + l + 16 * part) >> shift) & 3) - ml;
        }
        shift += 2;
      }
      q += 32;
    }
  }
}

void dequantize_q3_k(const std::byte* src, float* y, std::size_t n) {
  for (std::size_t b = 0; b < n / QK_K; ++b, src += 110) {
    const std::byte* hm = src;
    const std::byte* q = src + 32;
    uint8_t packed[12];
    copy_in(src + 96, packed, 12);
    const float d_all = half_at(src + 108);
    int is = 0;
    unsigned m = 1;
    for (int half = 0; half < QK_K; half += 128) {
      int shift = 0;
      for (int j = 0; j < 4; ++j) {
        for (int part = 0; part < 2; ++part) {
          const float dl = d_all * static_cast<float>(q3_scale(is++, packed));
          for (int l = 0; l < 16; ++l) {
            const int lo = (u8(q + l + 16 * part) >> shift) & 3;
            const int hi = (u8(hm + l + 16 * part) & m) ? 0 : 4;
            *y++ = dl * static_cast<float>(lo - hi);
          }
        }
        shift += 2;
        m <<= 1;
      }
      q += 32;
    }
  }
}

void dequantize_q4_k(const std::byte* src, float* y, std::size_t n) {
  for (std::size_t b = 0; b < n / QK_K; ++b, src += 144) {
    const float d = half_at(src);
    const float min = half_at(src + 2);
    uint8_t scales[12];
    copy_in(src + 4, scales, 12);
    const std::byte* q = src + 16;
    for (int is = 0; is < 8; is += 2, q += 32) {
      uint8_t sc, m;
      scale_min_k4(is, scales, sc, m);
      const float d1 = d * sc;
      const float m1 = min * m;
      scale_min_k4(is + 1, scales, sc, m);
      const float d2 = d * sc;
      const float m2 = min * m;
      for (int l = 0; l < 32; ++l) *y++ = d1 * static_cast<float>(u8(q + l) & 0xF) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * static_cast<float>(u8(q + l) >> 4) - m2;
    }
  }
}

void dequantize_q5_k(const std::byte* src, float* y, std::size_t n) {
  for (std::size_t b = 0; b < n / QK_K; ++b, src += 176) {
    const float d = half_at(src);
    const float min = half_at(src + 2);
    uint8_t scales[12];
    copy_in(src + 4, scales, 12);
    const std::byte* qh = src + 16;
    const std::byte* ql = src + 48;
    unsigned u1 = 1, u2 = 2;
    for (int is = 0; is < 8; is += 2, ql += 32, u1 <<= 2, u2 <<= 2) {
      uint8_t sc, m;
      scale_min_k4(is, scales, sc, m);
      const float d1 = d * sc;
      const float m1 = min * m;
      scale_min_k4(is + 1, scales, sc, m);
      const float d2 = d * sc;
      const float m2 = min * m;
      for (int l = 0; l < 32; ++l)
        *y++ = d1 * static_cast<float>((u8(ql + l) & 0xF) + ((u8(qh + l) & u1) ? 16 : 0)) - m1;
      for (int l = 0; l < 32; ++l)
        *y++ = d2 * static_cast<float>((u8(ql + l) >> 4) + ((u8(qh + l) & u2) ? 16 : 0)) - m2;
    }
  }
}

void dequantize_q6_k(const std::byte* src, float* y, std::size_t n) {
  for (std::size_t b = 0; b < n / QK_K; ++b, src += 210) {
    const float d = half_at(src + 208);
    const std::byte* ql = src;
    const std::byte* qh = src + 128;
    const std::byte* sc = src + 192;
    for (int half = 0; half < QK_K; half += 128, y += 128, ql += 64, qh += 32, sc += 8) {
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const unsigned h = u8(qh + l);
        const int q1 = static_cast<int>((u8(ql + l) & 0xF) | (((h >> 0) & 3) << 4)) - 32;
        const int q2 = static_cast<int>((u8(ql + l + 32) & 0xF) | (((h >> 2) & 3) << 4)) - 32;
        const int q3 = static_cast<int>((u8(ql + l) >> 4) | (((h >> 4) & 3) << 4)) - 32;
        const int q4 = static_cast<int>((u8(ql + l + 32) >> 4) | (((h >> 6) & 3) << 4)) - 32;
        const auto s = [&](int k) { return static_cast<float>(static_cast<int8_t>(u8(sc + k))); };
        y[l + 0] = d * s(is + 0) * static_cast<float>(q1);
        y[l + 32] = d * s(is + 2) * static_cast<float>(q2);
        y[l + 64] = d * s(is + 4) * static_cast<float>(q3);
        y[l + 96] = d * s(is + 6) * static_cast<float>(q4);
      }
    }
  }
}

// --- quantizers (quantize_row_q*_K_ref) -----------------------------------------------------------

void quantize_q2_k(const float* x, std::byte* dst, std::size_t n) {
  for (std::size_t b = 0; b < n / QK_K; ++b, x += QK_K, dst += 84) {
    uint8_t L[QK_K];
    uint8_t Laux[16];
    float weights[16];
    float mins[QK_K / 16];
    float scales[QK_K / 16];
    uint8_t sc_bytes[QK_K / 16];
    const float q4scale = 15.f;
    float max_scale = 0;
    float max_min = 0;
    for (int j = 0; j < QK_K / 16; ++j) {
      for (int l = 0; l < 16; ++l) weights[l] = std::fabs(x[16 * j + l]);
      scales[j] = make_qkx2_quants(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], Laux, -0.5f, 0.1f, 15, true);
      if (scales[j] > max_scale) max_scale = scales[j];
      if (mins[j] > max_min) max_min = mins[j];
    }
    uint16_t d16 = 0, dmin16 = 0;
    if (max_scale > 0) {
      const float iscale = q4scale / max_scale;
      for (int j = 0; j < QK_K / 16; ++j) sc_bytes[j] = static_cast<uint8_t>(nearest_int(iscale * scales[j]));
      d16 = fp32_to_fp16(max_scale / q4scale);
    } else {
      for (int j = 0; j < QK_K / 16; ++j) sc_bytes[j] = 0;
      d16 = fp32_to_fp16(0.f);
    }
    if (max_min > 0) {
      const float iscale = q4scale / max_min;
      for (int j = 0; j < QK_K / 16; ++j) sc_bytes[j] |= static_cast<uint8_t>(nearest_int(iscale * mins[j]) << 4);
      dmin16 = fp32_to_fp16(max_min / q4scale);
    } else {
      dmin16 = fp32_to_fp16(0.f);
    }
    for (int j = 0; j < QK_K / 16; ++j) {
      const float d = fp16_to_fp32(d16) * (sc_bytes[j] & 0xF);
      if (d == 0.0f) continue;
      const float dm = fp16_to_fp32(dmin16) * (sc_bytes[j] >> 4);
      for (int ii = 0; ii < 16; ++ii) {
        const int l = nearest_int((x[16 * j + ii] + dm) / d);
        L[16 * j + ii] = static_cast<uint8_t>(clampi(l, 0, 3));
      }
    }
    uint8_t qs[QK_K / 4];
    pack_2bit_planes(L, qs);
    copy_out(sc_bytes, dst, 16);
    copy_out(qs, dst + 16, 64);
    put16(dst + 80, d16);
    put16(dst + 82, dmin16);
  }
}

void quantize_q3_k(const float* x, std::byte* dst, std::size_t n) {
  for (std::size_t b = 0; b < n / QK_K; ++b, x += QK_K, dst += 110) {
    int8_t L[QK_K];
    float scales[QK_K / 16];
    float max_scale = 0;
    float amax = 0;
    for (int j = 0; j < QK_K / 16; ++j) {
      scales[j] = make_q3_quants(16, 4, x + 16 * j, L + 16 * j);
      const float scale = std::fabs(scales[j]);
      if (scale > amax) {
        amax = scale;
        max_scale = scales[j];
      }
    }
    uint8_t packed[12] = {};
    uint16_t d16;
    if (max_scale != 0.0f) {
      const float iscale = -32.f / max_scale;
      for (int j = 0; j < QK_K / 16; ++j) {
        int8_t l = static_cast<int8_t>(nearest_int(iscale * scales[j]));
        l = static_cast<int8_t>(std::max<int>(-32, std::min<int>(31, l)) + 32);
        if (j < 8)
          packed[j] = static_cast<uint8_t>(l & 0xF);
        else
          packed[j - 8] |= static_cast<uint8_t>((l & 0xF) << 4);
        l = static_cast<int8_t>(l >> 4);
        packed[j % 4 + 8] |= static_cast<uint8_t>(l << (2 * (j / 4)));
      }
      d16 = fp32_to_fp16(1 / iscale);
    } else {
      d16 = fp32_to_fp16(0.f);
    }
    for (int j = 0; j < QK_K / 16; ++j) {
      const int sc = q3_scale(j, packed);
      const float d = fp16_to_fp32(d16) * sc;
      if (d == 0.0f) continue;
      for (int ii = 0; ii < 16; ++ii) {
        const int l = nearest_int(x[16 * j + ii] / d);
        L[16 * j + ii] = static_cast<int8_t>(clampi(l, -4, 3) + 4);
      }
    }
    uint8_t hmask[QK_K / 8] = {};
    uint8_t Lu[QK_K];
    int m = 0;
    uint8_t hm = 1;
    for (int j = 0; j < QK_K; ++j) {
      int l = L[j];
      if (l > 3) {
        hmask[m] |= hm;
        l -= 4;
      }
      Lu[j] = static_cast<uint8_t>(l);
      if (++m == QK_K / 8) {
        m = 0;
        hm = static_cast<uint8_t>(hm << 1);
      }
    }
    uint8_t qs[QK_K / 4];
    pack_2bit_planes(Lu, qs);
    copy_out(hmask, dst, 32);
    copy_out(qs, dst + 32, 64);
    copy_out(packed, dst + 96, 12);
    put16(dst + 108, d16);
  }
}

void quantize_q4_k(const float* x, std::byte* dst, std::size_t n) {
  for (std::size_t b = 0; b < n / QK_K; ++b, x += QK_K, dst += 144) {
    uint8_t L[QK_K];
    uint8_t scales[12] = {};
    uint16_t d16, dmin16;
    quantize_k4_block<15>(x, scales, d16, dmin16, L);
    uint8_t qs[QK_K / 2];
    for (int j = 0, o = 0; j < QK_K; j += 64, o += 32)
      for (int l = 0; l < 32; ++l) qs[o + l] = static_cast<uint8_t>(L[j + l] | (L[j + l + 32] << 4));
    put16(dst, d16);
    put16(dst + 2, dmin16);
    copy_out(scales, dst + 4, 12);
    copy_out(qs, dst + 16, 128);
  }
}

void quantize_q5_k(const float* x, std::byte* dst, std::size_t n) {
  for (std::size_t b = 0; b < n / QK_K; ++b, x += QK_K, dst += 176) {
    uint8_t L[QK_K];
    uint8_t scales[12] = {};
    uint16_t d16, dmin16;
    quantize_k4_block<31>(x, scales, d16, dmin16, L);
    uint8_t qh[QK_K / 8] = {};
    uint8_t ql[QK_K / 2];
    uint8_t m1 = 1, m2 = 2;
    for (int nn = 0, o = 0; nn < QK_K; nn += 64, o += 32) {
      for (int j = 0; j < 32; ++j) {
        int l1 = L[nn + j];
        if (l1 > 15) {
          l1 -= 16;
          qh[j] |= m1;
        }
        int l2 = L[nn + j + 32];
        if (l2 > 15) {
          l2 -= 16;
          qh[j] |= m2;
        }
        ql[o + j] = static_cast<uint8_t>(l1 | (l2 << 4));
      }
      m1 = static_cast<uint8_t>(m1 << 2);
      m2 = static_cast<uint8_t>(m2 << 2);
    }
    put16(dst, d16);
    put16(dst + 2, dmin16);
    copy_out(scales, dst + 4, 12);
    copy_out(qh, dst + 16, 32);
    copy_out(ql, dst + 48, 128);
  }
}

void quantize_q6_k(const float* x, std::byte* dst, std::size_t n) {
  for (std::size_t b = 0; b < n / QK_K; ++b, x += QK_K, dst += 210) {
    int8_t L[QK_K];
    float scales[QK_K / 16];
    float max_scale = 0;
    float max_abs_scale = 0;
    for (int ib = 0; ib < QK_K / 16; ++ib) {
      const float scale = make_qx_quants(16, 32, x + 16 * ib, L + 16 * ib);
      scales[ib] = scale;
      const float abs_scale = std::fabs(scale);
      if (abs_scale > max_abs_scale) {
        max_abs_scale = abs_scale;
        max_scale = scale;
      }
    }
    if (max_abs_scale < kGroupMaxEps) {  // all zero: ggml zeroes the whole block
      std::memset(dst, 0, 210);
      continue;
    }
    const float iscale = -128.f / max_scale;
    const uint16_t d16 = fp32_to_fp16(1 / iscale);
    int8_t sc[QK_K / 16];
    for (int ib = 0; ib < QK_K / 16; ++ib) sc[ib] = static_cast<int8_t>(std::min(127, nearest_int(iscale * scales[ib])));
    for (int j = 0; j < QK_K / 16; ++j) {
      const float d = fp16_to_fp32(d16) * sc[j];
      if (d == 0.0f) continue;
      for (int ii = 0; ii < 16; ++ii) {
        const int l = nearest_int(x[16 * j + ii] / d);
        L[16 * j + ii] = static_cast<int8_t>(clampi(l, -32, 31) + 32);
      }
    }
    uint8_t ql[QK_K / 2];
    uint8_t qh[QK_K / 4];
    for (int j = 0, o = 0, oh = 0; j < QK_K; j += 128, o += 64, oh += 32) {
      for (int l = 0; l < 32; ++l) {
        const int q1 = L[j + l + 0] & 0xF;
        const int q2 = L[j + l + 32] & 0xF;
        const int q3 = L[j + l + 64] & 0xF;
        const int q4 = L[j + l + 96] & 0xF;
        ql[o + l] = static_cast<uint8_t>(q1 | (q3 << 4));
        ql[o + l + 32] = static_cast<uint8_t>(q2 | (q4 << 4));
        qh[oh + l] = static_cast<uint8_t>((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) |
                                          ((L[j + l + 96] >> 4) << 6));
      }
    }
    copy_out(ql, dst, 128);
    copy_out(qh, dst + 128, 64);
    for (int i = 0; i < 16; ++i) put8(dst + 192 + i, static_cast<uint8_t>(sc[i]));
    put16(dst + 208, d16);
  }
}

}  // namespace qspectra::types::detail
