// MXFP4 (OCP microscaling FP4), as ggml stores it: 32 E2M1 values sharing one E8M0 exponent.
// Written from ggml-org/ggml @ d99724f (ggml-quants.c, ggml-common.h, ggml-impl.h).
//
// Block layout (17 B): e u8 | qs[16]; element j: low nibble of qs[j], element j+16: high nibble.
// ggml keeps the E2M1 codes doubled as integers (kvalues_mxfp4 = 2 x {0, .5, 1, 1.5, 2, 3, 4, 6}
// with sign) and halves the scale instead: x = kvalues[q] * 2^(e - 128).
#include <cmath>

#include "row_functions.hpp"

namespace qspectra::types::detail {
namespace {

constexpr int8_t kValues[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};
constexpr std::size_t kQK = 32;

// GGML_E8M0_TO_FP32_HALF: 2^(e-128), built from bits (subnormal for e < 2).
float e8m0_half(uint8_t e) {
  const uint32_t bits = e < 2 ? (0x00200000u << e) : (static_cast<uint32_t>(e - 1) << 23);
  return std::bit_cast<float>(bits);
}

int best_index(float x, float d) {
  int best = 0;
  float best_err = std::fabs(kValues[0] * d - x);
  for (int i = 1; i < 16; ++i) {
    const float err = std::fabs(kValues[i] * d - x);
    if (err < best_err) {
      best = i;
      best_err = err;
    }
  }
  return best;
}

}  // namespace

void dequantize_mxfp4(const std::byte* src, float* y, std::size_t n) {
  for (std::size_t b = 0; b < n / kQK; ++b, src += 17, y += kQK) {
    const float d = e8m0_half(u8(src));
    for (std::size_t j = 0; j < kQK / 2; ++j) {
      const unsigned q = u8(src + 1 + j);
      y[j] = static_cast<float>(kValues[q & 0xF]) * d;
      y[j + kQK / 2] = static_cast<float>(kValues[q >> 4]) * d;
    }
  }
}

void quantize_mxfp4(const float* x, std::byte* dst, std::size_t n) {
  for (std::size_t b = 0; b < n / kQK; ++b, x += kQK, dst += 17) {
    float amax = 0.0f;
    for (std::size_t j = 0; j < kQK; ++j)
      if (amax < std::fabs(x[j])) amax = std::fabs(x[j]);
    // The float log2f matters: just below a power of two it can round up to the integer
    // (amax = nextafter(2^-10, 0) gives e = 115 where the exact exponent gives 114); ggml does this.
    const uint8_t e =
        amax > 0.0f ? static_cast<uint8_t>(static_cast<int>(std::floor(std::log2(amax)) - 2 + 127)) : uint8_t{0};
    const float d = e8m0_half(e);
    put8(dst, e);
    for (std::size_t j = 0; j < kQK / 2; ++j) {
      const unsigned q0 = static_cast<unsigned>(best_index(x[j], d));
      const unsigned q1 = static_cast<unsigned>(best_index(x[j + kQK / 2], d));
      put8(dst + 1 + j, q0 | (q1 << 4));
    }
  }
}

}  // namespace qspectra::types::detail
