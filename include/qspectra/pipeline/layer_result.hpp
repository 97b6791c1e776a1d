#pragma once
// What the pipeline produces for one analysed layer.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "qspectra/layers/selector.hpp"
#include "qspectra/metrics/layer_metrics.hpp"

namespace qspectra::pipeline {

// Layer status beyond WW's success/failed: a layer with NaN/Inf weights is not analysed.
inline constexpr const char* kStatusNonFinite = "non_finite";

struct QuantColumns {
  std::string spec;
  double bits_per_weight = 0;
  double mse = 0, rmse = 0, sqnr_db = 0, max_err = 0, rel_max_err = 0;
  int64_t distinct_levels = 0;
};

struct LayerTiming {
  double read_ms = 0;      // reading + widening (+ precision rounding)
  double quant_ms = 0;     // quantization, when asked
  double spectrum_ms = 0;  // eigenvalues
  double fit_ms = 0;       // power-law fit, norms, Hill, MP
  double total_ms() const { return read_ms + quant_ms + spectrum_ms + fit_ms; }
};

struct LayerResult {
  layers::LayerInfo info;
  std::string file;           // file name holding the tensor
  std::string file_dtype;     // "F32", "BF16", ...
  std::string tensor_shape;   // "128x512"
  std::string status;         // "success" | "failed" | "non_finite"
  int64_t non_finite_count = 0;
  metrics::LayerMetrics metrics;  // meaningful unless status == non_finite
  std::string method;         // spectrum method that ran
  LayerTiming timing;
  std::optional<QuantColumns> quant;
  std::vector<double> evals;  // kept only when AnalyzeOptions::keep_evals

  bool analysed() const { return status != kStatusNonFinite; }
};

}  // namespace qspectra::pipeline
