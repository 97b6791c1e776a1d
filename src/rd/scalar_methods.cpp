// Scalar rd methods: the quant module's quantizers, plus the notebook's symmetric grid.
#include <cmath>

#include "qspectra/quant/lloyd_max.hpp"
#include "qspectra/quant/quantizer.hpp"
#include "random.hpp"
#include "rd_impl.hpp"

namespace qspectra::rd::detail {

Reconstruction reconstruct_spec(const std::string& spec, int bits, bool per_tensor,
                                std::span<const double> w, const std::vector<int64_t>& shape) {
  const auto q = quant::make_quantizer(spec);
  Reconstruction r;
  // A GGML type needs whole blocks per row: a layer that has none is a skipped point, with the reason.
  if (r.skip_reason = q->shape_problem(shape); !r.skip_reason.empty()) return r;
  TensorData t{shape, std::vector<double>(w.begin(), w.end())};
  q->apply(t);
  r.values = std::move(t.values);
  r.rate_with_codebook = q->bits_per_weight(shape);
  r.rate = per_tensor ? bits : r.rate_with_codebook;
  return r;
}

Reconstruction reconstruct_odd_levels_sym(int bits, std::span<const double> w) {
  // flat.astype(float32); scale = 2*max_abs/(2^B-1) (a Python float, applied in float32);
  // q = np.round(flat/scale)*scale: no clipping, so |k| reaches 2^(B-1) and there are 2^B+1 levels.
  float absmax = 0;
  for (double x : w) absmax = std::max(absmax, std::fabs(float(x)));
  Reconstruction r;
  r.values.assign(w.begin(), w.end());
  r.rate = bits;
  r.rate_with_codebook = bits + (w.empty() ? 0.0 : 16.0 / double(w.size()));
  const float scale = float(2.0 * double(absmax) / (std::ldexp(1.0, bits) - 1));
  if (scale == 0) return r;
  for (double& x : r.values) x = double(std::nearbyint(float(x) / scale) * scale);
  return r;
}

Reconstruction reconstruct_lloyd(int bits, std::span<const double> w, const RdOptions& opt) {
  std::vector<double> train;
  if (opt.sample > 0 && opt.sample < int64_t(w.size()))
    for (int64_t i : sample_indices(int64_t(w.size()), opt.sample, opt.seed)) train.push_back(w[size_t(i)]);
  const auto res = quant::lloyd_max(train.empty() ? w : std::span<const double>(train), 1 << bits);
  Reconstruction r;
  r.values.assign(w.begin(), w.end());
  quant::quantize_to_levels(r.values, res.levels);
  r.rate = bits;
  r.rate_with_codebook = bits + 16.0 * std::ldexp(1.0, bits) / double(w.size());
  r.converged = res.converged;
  return r;
}

}  // namespace qspectra::rd::detail
