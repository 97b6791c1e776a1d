#pragma once
// Fake quantisation (quantize-dequantize) of one weight tensor, built from a spec string.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "qspectra/core/tensor.hpp"
#include "qspectra/quant/spec.hpp"

namespace qspectra::quant {

class Quantizer {
public:
  virtual ~Quantizer() = default;
  virtual std::string spec() const = 0;          // canonical spec string
  virtual bool is_precision_cast() const = 0;
  // Effective bits per weight for a tensor of this shape, including scale / zero-point / codebook
  // storage (16-bit scales unless docs/quantizers.md states otherwise).
  virtual double bits_per_weight(const std::vector<int64_t>& shape) const = 0;
  // Why this quantizer's own format cannot take a tensor of this shape (a GGML type needs rows that
  // are whole blocks), empty when it can. apply() then runs what spec_for() names (llama-quantize's
  // fallback type); rate-distortion, which measures the type's own curve, skips such a point.
  virtual std::string shape_problem(const std::vector<int64_t>& shape) const {
    (void)shape;
    return {};
  }
  // The spec that apply() and bits_per_weight() really use for a tensor of this shape: spec(), or
  // "q4_k->q5_0" / "q8_0->f16" when a GGML type falls back (docs/quantizers.md).
  virtual std::string spec_for(const std::vector<int64_t>& shape) const {
    (void)shape;
    return spec();
  }
  // Quantize-dequantize in place. Throws InputError if a value is not finite.
  virtual void apply(TensorData& t) const = 0;
};

std::unique_ptr<Quantizer> make_quantizer(std::string_view spec);  // UsageError on a bad spec
std::unique_ptr<Quantizer> make_quantizer(const QuantSpec& spec);

}  // namespace qspectra::quant
