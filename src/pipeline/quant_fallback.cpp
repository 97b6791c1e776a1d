// The warning that counts the layers a GGML quantizer sent to llama-quantize's fallback type, so that
// a run never mixes types silently (each layer's quant_spec column names what ran).
#include <map>

#include <fmt/format.h>

#include "qspectra/pipeline/analyze.hpp"

namespace qspectra::pipeline {

std::string quant_fallback_warning(const quant::Quantizer& q, const std::vector<const LayerResult*>& layers) {
  const std::string own = q.spec();
  std::map<std::string, int64_t> ran;  // "q4_k->q5_0" -> layers
  int64_t fell = 0, quantized = 0;
  for (const auto* r : layers) {
    if (!r->quant) continue;  // not quantized (non-finite weights)
    ++quantized;
    if (r->quant->spec != own) ++ran[r->quant->spec], ++fell;
  }
  if (fell == 0) return {};
  std::string what;
  for (const auto& [spec, n] : ran) what += fmt::format("{}{}: {}", what.empty() ? "" : ", ", spec, n);
  return fmt::format("{} of {} layers fell back ({}): rows are not whole {} blocks, so they ran the type "
                     "llama-quantize would write (llama.cpp's rule; the quant_spec column says which)",
                     fell, quantized, what, own);
}

std::string quant_fallback_warning(const quant::Quantizer& q, const std::vector<LayerResult>& layers) {
  std::vector<const LayerResult*> p;
  p.reserve(layers.size());
  for (const auto& r : layers) p.push_back(&r);
  return quant_fallback_warning(q, p);
}

}  // namespace qspectra::pipeline
