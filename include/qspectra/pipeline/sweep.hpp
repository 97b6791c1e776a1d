#pragma once
// precision-sweep's loop: each selected layer is read once, and every variant (precision cast or
// quantizer) is analysed while it is in memory; layers run in parallel.
#include <string>
#include <vector>

#include "qspectra/pipeline/analyze.hpp"

namespace qspectra::pipeline {

struct SweepResult {
  layers::Selection selection;
  std::vector<std::string> variants;               // canonical specs, in the order asked
  std::vector<std::vector<LayerResult>> layers;    // [layer][variant]
  std::string backend;                             // device and method that ran, e.g. "cpu/auto"
  int threads = 1;
  double wall_s = 0;
  uint64_t bytes_read = 0;                         // tensor bytes read from the files (each layer once)
  std::vector<std::string> notes;
  std::vector<std::string> warnings;               // e.g. --device auto fell back to the CPU
};

// `variants`: quantizer specs ("fp16", "sym:4:g128", ...). options.quantize is ignored.
// Throws UsageError for a bad spec (before any work), InputError when nothing can be analysed.
SweepResult run_sweep(const io::ModelDir& model, const AnalyzeOptions& options,
                      const std::vector<std::string>& variants, const ProgressCallback& progress = {},
                      const std::atomic<bool>* cancel = nullptr);

}  // namespace qspectra::pipeline
