// bitsandbytes' NF4 / FP4: absmax per block of G consecutive elements of the flattened tensor,
// x * (1/absmax) mapped to the nearest code, w' = code * absmax, all in float32 as its kernels.
#include <cmath>

#include "qspectra/quant/codebooks.hpp"
#include "spec_quantizer.hpp"

namespace qspectra::quant {

const std::array<float, 16>& nf4_codebook() {
  // bitsandbytes csrc/kernels.cu nf4_dequantization_lut / functional.get_4bit_type("nf4").
  static const std::array<float, 16> c = {
      -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
      -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
      0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
      0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f};
  return c;
}

const std::array<float, 16>& fp4_codebook() {
  // get_4bit_type("fp4"): [0, 0.0625, 8, 12, 4, 6, 2, 3, -0, -0.0625, -8, -12, -4, -6, -2, -3] / 12
  // in float32 (sign bit 8, then 2 exponent bits and 1 mantissa bit).
  static const std::array<float, 16> c = [] {
    const float raw[16] = {0.0f, 0.0625f, 8.0f, 12.0f, 4.0f, 6.0f, 2.0f, 3.0f,
                           -0.0f, -0.0625f, -8.0f, -12.0f, -4.0f, -6.0f, -2.0f, -3.0f};
    std::array<float, 16> out{};
    for (int i = 0; i < 16; ++i) out[i] = raw[i] / 12.0f;
    return out;
  }();
  return c;
}

namespace {

// Midpoints between consecutive sorted codes, rounded to float32 as bitsandbytes' decision trees.
template <size_t N>
std::array<float, N - 1> midpoints(const std::array<float, N>& sorted) {
  std::array<float, N - 1> m{};
  for (size_t i = 0; i + 1 < N; ++i) m[i] = float((double(sorted[i]) + double(sorted[i + 1])) / 2);
  return m;
}

template <size_t N>
float nearest(float x, const std::array<float, N>& sorted, const std::array<float, N - 1>& mid) {
  size_t i = 0;
  while (i < N - 1 && x > mid[i]) ++i;  // strictly above a midpoint goes up
  return sorted[i];
}

}  // namespace

float nf4_round(float x) {
  static const auto& sorted = nf4_codebook();  // already ascending
  static const auto mid = midpoints(sorted);
  return nearest(x, sorted, mid);
}

float fp4_round(float x) {
  static const std::array<float, 8> mags = [] {
    const auto& c = fp4_codebook();  // codes 0..7 are the non-negative values
    std::array<float, 8> m = {c[0], c[1], c[6], c[7], c[4], c[5], c[2], c[3]};
    return m;  // ascending: 0, 0.0625, 2, 3, 4, 6, 8, 12 (/12)
  }();
  static const auto mid = midpoints(mags);
  const float m = nearest(std::fabs(x), mags, mid);
  return std::signbit(x) ? -m : m;
}

namespace detail {
namespace {

class Bnb4 final : public SpecQuantizer {
public:
  using SpecQuantizer::SpecQuantizer;

protected:
  void apply_checked(TensorData& t) const override {
    require_float32_range(t.values, spec());
    const bool nf4 = qspec().kind == QuantKind::NF4;
    for (const Block& b : make_blocks(t.shape, qspec().granularity, qspec().group)) {
      std::span<double> v(t.values.data() + b.begin, size_t(b.length));
      float absmax = 0;
      for (double x : v) absmax = std::max(absmax, std::fabs(float(x)));
      if (absmax == 0) continue;  // all-zero block stays zero
      const float inv = 1.0f / absmax;
      for (double& x : v) {
        // bitsandbytes multiplies by the reciprocal; divide only if it overflows (subnormal absmax)
        const float n = std::isfinite(inv) ? float(x) * inv : float(x) / absmax;
        x = double((nf4 ? nf4_round(n) : fp4_round(n)) * absmax);
      }
    }
  }
};

}  // namespace

std::unique_ptr<Quantizer> make_bnb4_quantizer(const QuantSpec& s) {
  return std::make_unique<Bnb4>(s);
}

}  // namespace detail
}  // namespace qspectra::quant
