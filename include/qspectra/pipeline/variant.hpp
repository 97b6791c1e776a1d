#pragma once
// One variant of a layer (precision-sweep): the tensor read once, quantized into one copy per variant.
#include "qspectra/pipeline/analyze.hpp"

namespace qspectra::pipeline {

// Weights the spectrum cannot take (NaN/Inf, or so large that the layer's squared norm overflows
// float64): the rule analyze_tensor applies before and after quantizing.
int64_t count_unanalysable_weights(const std::vector<double>& values);

// The same result as analyze_tensor(result_template, original, &quantizer, ...), with one copy of the
// weights (the quantized one, handed to the spectrum) instead of a copy of the tensor plus a copy of
// the original for the error statistics; `original` is left as it is for the next variant.
LayerResult analyze_variant(const LayerResult& result_template, const TensorData& original,
                            const quant::Quantizer& quantizer, const spectral::SpectrumBackend& backend,
                            const AnalyzeOptions& options);

}  // namespace qspectra::pipeline
