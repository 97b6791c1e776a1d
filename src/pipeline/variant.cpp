#include "qspectra/pipeline/variant.hpp"

#include <chrono>
#include <cmath>
#include <limits>

#include "qspectra/quant/error_stats.hpp"

namespace qspectra::pipeline {

int64_t count_unanalysable_weights(const std::vector<double>& values) {
  if (values.empty()) return 0;
  // If sum w^2 overflows, at least one w^2 >= DBL_MAX / n: counting those catches every such layer.
  const double limit = spectral::unanalysable_limit(values.size());
  int64_t n = 0;
  for (double v : values) n += !(std::fabs(v) < limit);  // NaN compares false: counted
  return n;
}

LayerResult analyze_variant(const LayerResult& result_template, const TensorData& original,
                            const quant::Quantizer& quantizer, const spectral::SpectrumBackend& backend,
                            const AnalyzeOptions& options) {
  // A layer unanalysable as read is reported before any quantization (no quant columns).
  if (count_unanalysable_weights(original.values) > 0)
    return analyze_tensor(result_template, original, nullptr, backend, options);
  const auto t0 = std::chrono::steady_clock::now();
  TensorData q = original;
  quantizer.apply(q);
  const auto stats = quant::error_stats(original.values, q.values);
  QuantColumns cols{quantizer.spec_for(q.shape), quantizer.bits_per_weight(q.shape), stats.mse, stats.rmse, stats.sqnr_db,
                    stats.max_err, stats.rel_max_err, stats.distinct_levels};
  const double quant_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  // Without a quantizer analyze_tensor checks the quantized weights (a cast can overflow: fp16 beyond
  // 65504 -> inf) and runs the spectrum on them.
  LayerResult r = analyze_tensor(result_template, std::move(q), nullptr, backend, options);
  r.quant = std::move(cols);
  r.timing.quant_ms = quant_ms;
  return r;
}

}  // namespace qspectra::pipeline
