// Integer-grid quantizers (sym, usym, asym, clip): one scale (and zero point) per block, all
// arithmetic in float32 as the reference fixtures and the notebooks do (MANIFEST.json's rule).
#include <algorithm>
#include <cmath>

#include "spec_quantizer.hpp"

namespace qspectra::quant::detail {
namespace {

float block_absmax(std::span<const double> v) {
  float m = 0;
  for (double x : v) m = std::max(m, std::fabs(float(x)));
  return m;
}

// q = clip(rint(w/scale), -qmax, qmax), w' = q*scale; `limit` is the absmax the grid spans
// (the block's absmax, or the clip threshold). A zero scale leaves the (zero) values alone.
void sym_block(std::span<double> v, int bits, float limit) {
  const float qmax = float((1 << (bits - 1)) - 1);
  const float scale = limit / qmax;
  if (scale == 0) return;  // all-zero block (or a limit so small the scale underflows)
  for (double& x : v) {
    float q = std::nearbyint(float(x) / scale);  // round half to even (default FP environment)
    if (q < -qmax) q = -qmax;                    // comparisons keep -0.0, like numpy's clip
    if (q > qmax) q = qmax;
    x = double(q * scale);
  }
}

// Mid-rise grid +-(k+1/2)*scale, k = 0..2^(B-1)-1: exactly 2^B levels, the outermost at +-absmax.
// A value on a threshold k*scale goes to the level above it (floor).
void usym_block(std::span<double> v, int bits, float absmax) {
  const float half = float(1 << (bits - 1));
  const float scale = absmax / (half - 0.5f);
  if (scale == 0) return;
  for (double& x : v) {
    float k = std::floor(float(x) / scale);
    k = std::clamp(k, -half, half - 1);
    x = double((k + 0.5f) * scale);
  }
}

// Affine grid over [min(lo,0), max(hi,0)] (zero always representable, as PyTorch's observers):
// scale = range/(2^B-1), zp = rint(-lo/scale), q = clip(rint(w/scale)+zp, 0, 2^B-1), w' = (q-zp)*scale.
void asym_block(std::span<double> v, int bits) {
  float lo = 0, hi = 0;
  for (double x : v) {
    lo = std::min(lo, float(x));
    hi = std::max(hi, float(x));
  }
  const float qmax = float((1 << bits) - 1);
  const float scale = (hi - lo) / qmax;
  if (scale == 0) return;
  const float zp = std::clamp(std::nearbyint(-lo / scale), 0.0f, qmax);
  for (double& x : v) {
    float q = std::clamp(std::nearbyint(float(x) / scale) + zp, 0.0f, qmax);
    x = double((q - zp) * scale);
  }
}

double stddev(std::span<const double> v) {
  double mean = 0;
  for (double x : v) mean += x;
  mean /= double(v.size());
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  return std::sqrt(ss / double(v.size()));  // population std, as numpy's np.std
}

class IntegerGrid final : public SpecQuantizer {
public:
  using SpecQuantizer::SpecQuantizer;

protected:
  void apply_checked(TensorData& t) const override {
    const QuantSpec& s = qspec();
    require_float32_range(t.values, spec());
    for (const Block& b : make_blocks(t.shape, s.granularity, s.group)) {
      std::span<double> v(t.values.data() + b.begin, size_t(b.length));
      switch (s.kind) {
        case QuantKind::Sym: sym_block(v, s.bits, block_absmax(v)); break;
        case QuantKind::USym: usym_block(v, s.bits, block_absmax(v)); break;
        case QuantKind::Asym: asym_block(v, s.bits); break;
        case QuantKind::Clip:
          sym_block(v, s.bits, std::min(block_absmax(v), float(s.clip_sigmas * stddev(v))));
          break;
        default: break;
      }
    }
  }
};

}  // namespace

std::unique_ptr<Quantizer> make_integer_grid_quantizer(const QuantSpec& s) {
  return std::make_unique<IntegerGrid>(s);
}

}  // namespace qspectra::quant::detail
