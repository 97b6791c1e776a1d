#pragma once
// ww-analyze --quant-source: a quantized model Q(W) (e.g. a GGUF file) against its float source W.
// Per layer: the spectra of W, Q(W) and the error E = W - Q(W) (E with an MP fit: does it look like
// white noise?), and the error statistics of llama.cpp's quantize-stats (quant/error_stats.hpp).
#include <string>

#include "qspectra/core/tensor.hpp"
#include "qspectra/io/model_dir.hpp"
#include "qspectra/pipeline/layer_result.hpp"
#include "qspectra/quant/error_stats.hpp"
#include "qspectra/spectral/backend.hpp"

namespace qspectra::pipeline {

struct AnalyzeOptions;

// QuantErrorRow::error's status when E = 0 (a layer stored unquantized): not analysed, nothing to fit.
inline constexpr const char* kStatusZeroError = "zero";

struct QuantErrorRow {
  std::string source_name;        // W's tensor name in the source (HF name for a GGUF tensor)
  std::string source_dtype;       // W's stored type there
  LayerResult source;             // analysis of W
  LayerResult error;              // analysis of E = W - Q(W), always with the MP fit (kStatusZeroError: E = 0)
  quant::ErrorStats stats;        // original = W, quantized = Q(W)
  quant::AbsErrorQuantiles quantiles;
};

// W of `key` read from `source` as --delta-from reads its base (llama.cpp <-> HF names, q/k rows in
// HF order), E = W - Q(W) with Q(W) = `quantized`, their analyses with analyze_tensor (`options`
// without the optional extras; E with mp_fit) and the error statistics. InputError when the source
// lacks the tensor or its shape differs. `q_template` is the layer's identity (layer_result_template).
QuantErrorRow quant_error_layer(const LayerResult& q_template, const TensorData& quantized, const io::ModelDir& source,
                                const std::string& key, const spectral::SpectrumBackend& backend,
                                const AnalyzeOptions& options);

}  // namespace qspectra::pipeline
