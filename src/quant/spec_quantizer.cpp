#include "spec_quantizer.hpp"

#include <cmath>
#include <fmt/format.h>
#include <limits>

#include "qspectra/core/error.hpp"

namespace qspectra::quant::detail {

double SpecQuantizer::bits_per_weight(const std::vector<int64_t>& shape) const {
  const QuantSpec& s = spec_;
  int64_t n = 1;
  for (auto d : shape) n *= d;
  if (s.kind == QuantKind::Cast || n == 0) return s.bits;
  const double blocks = double(block_count(shape, s.granularity, s.group));
  switch (s.kind) {
    case QuantKind::Sym:
    case QuantKind::USym:
    case QuantKind::Clip: return s.bits + 16.0 * blocks / double(n);             // fp16 scale
    case QuantKind::Asym: return s.bits + (16.0 + s.bits) * blocks / double(n);  // + B-bit zero point
    case QuantKind::NF4:
    case QuantKind::FP4: return 4.0 + 32.0 * blocks / double(n);  // bitsandbytes keeps fp32 absmax
    case QuantKind::Lloyd: return s.bits + 16.0 * std::ldexp(1.0, s.bits) / double(n);  // fp16 levels
    case QuantKind::Cast:
    case QuantKind::Ggml: break;  // the GGML quantizer overrides this (its type depends on the shape)
  }
  return s.bits;
}

void SpecQuantizer::apply(TensorData& t) const {
  for (size_t i = 0; i < t.values.size(); ++i)
    if (!std::isfinite(t.values[i]))
      throw InputError("", fmt::format("quantizer {}: non-finite value {} at index {}", spec(),
                                       t.values[i], i));
  apply_checked(t);
}

void require_float32_range(std::span<const double> v, const std::string& spec) {
  constexpr double kMax = std::numeric_limits<float>::max();
  for (size_t i = 0; i < v.size(); ++i)
    if (std::fabs(v[i]) > kMax)
      throw InputError("", fmt::format("quantizer {}: value {} at index {} is outside the float32 "
                                       "range its arithmetic uses", spec, v[i], i));
}

}  // namespace qspectra::quant::detail
