#pragma once
// Internal: the common base of every quantizer (spec string, bits-per-weight table, input checks)
// and the constructors make_quantizer dispatches to.
#include <memory>
#include <span>

#include "qspectra/quant/quantizer.hpp"

namespace qspectra::quant::detail {

class SpecQuantizer : public Quantizer {
public:
  explicit SpecQuantizer(QuantSpec s) : spec_(std::move(s)) {}
  std::string spec() const override { return spec_.canonical(); }
  bool is_precision_cast() const override { return spec_.kind == QuantKind::Cast; }
  double bits_per_weight(const std::vector<int64_t>& shape) const override;
  void apply(TensorData& t) const final;

protected:
  virtual void apply_checked(TensorData& t) const = 0;  // values known finite
  const QuantSpec& qspec() const { return spec_; }

private:
  QuantSpec spec_;
};

// The float32 quantizers need values representable in float32 as well as finite.
void require_float32_range(std::span<const double> v, const std::string& spec);

std::unique_ptr<Quantizer> make_cast_quantizer(const QuantSpec& s);
std::unique_ptr<Quantizer> make_integer_grid_quantizer(const QuantSpec& s);  // sym usym asym clip
std::unique_ptr<Quantizer> make_bnb4_quantizer(const QuantSpec& s);          // nf4 fp4
std::unique_ptr<Quantizer> make_lloyd_quantizer(const QuantSpec& s);
std::unique_ptr<Quantizer> make_ggml_quantizer(const QuantSpec& s);          // q4_k, iq4_xs, ...

}  // namespace qspectra::quant::detail
