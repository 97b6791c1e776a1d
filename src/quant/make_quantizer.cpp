#include "qspectra/core/error.hpp"
#include "spec_quantizer.hpp"

namespace qspectra::quant {

std::unique_ptr<Quantizer> make_quantizer(const QuantSpec& s) {
  switch (s.kind) {
    case QuantKind::Cast: return detail::make_cast_quantizer(s);
    case QuantKind::Sym:
    case QuantKind::USym:
    case QuantKind::Asym:
    case QuantKind::Clip: return detail::make_integer_grid_quantizer(s);
    case QuantKind::NF4:
    case QuantKind::FP4: return detail::make_bnb4_quantizer(s);
    case QuantKind::Lloyd: return detail::make_lloyd_quantizer(s);
    case QuantKind::Ggml: return detail::make_ggml_quantizer(s);
  }
  throw InternalError("make_quantizer: unknown kind");
}

std::unique_ptr<Quantizer> make_quantizer(std::string_view spec) {
  return make_quantizer(parse_quant_spec(spec));
}

}  // namespace qspectra::quant
