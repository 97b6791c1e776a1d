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
  // Why this quantizer cannot take a tensor of this shape (a GGML type needs rows that are whole
  // blocks), empty when it can. apply() throws InputError with the same text.
  virtual std::string shape_problem(const std::vector<int64_t>& shape) const {
    (void)shape;
    return {};
  }
  // Quantize-dequantize in place. Throws InputError if a value is not finite or shape_problem().
  virtual void apply(TensorData& t) const = 0;
};

std::unique_ptr<Quantizer> make_quantizer(std::string_view spec);  // UsageError on a bad spec
std::unique_ptr<Quantizer> make_quantizer(const QuantSpec& spec);

}  // namespace qspectra::quant
