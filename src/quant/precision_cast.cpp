// Precision casts as quantizers: every value rounded to the format (float_format.hpp).
#include "qspectra/quant/float_format.hpp"
#include "spec_quantizer.hpp"

namespace qspectra::quant::detail {
namespace {

class PrecisionCast final : public SpecQuantizer {
public:
  using SpecQuantizer::SpecQuantizer;

protected:
  void apply_checked(TensorData& t) const override {
    const FloatFormat f = qspec().format;
    for (double& v : t.values) v = round_to_format(v, f);
  }
};

}  // namespace

std::unique_ptr<Quantizer> make_cast_quantizer(const QuantSpec& s) {
  return std::make_unique<PrecisionCast>(s);
}

}  // namespace qspectra::quant::detail
