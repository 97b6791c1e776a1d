// lloyd:B — a Lloyd-Max codebook of 2^B levels designed on the tensor itself (float64 arithmetic).
#include "qspectra/quant/lloyd_max.hpp"
#include "spec_quantizer.hpp"

namespace qspectra::quant::detail {
namespace {

class LloydQuantizer final : public SpecQuantizer {
public:
  using SpecQuantizer::SpecQuantizer;

protected:
  void apply_checked(TensorData& t) const override {
    const LloydResult r = lloyd_max(t.values, 1 << qspec().bits);
    quantize_to_levels(t.values, r.levels);
  }
};

}  // namespace

std::unique_ptr<Quantizer> make_lloyd_quantizer(const QuantSpec& s) {
  return std::make_unique<LloydQuantizer>(s);
}

}  // namespace qspectra::quant::detail
