#pragma once
// precision-sweep's loop: each selected layer is read once, and every variant (precision cast or
// quantizer) is analysed while it is in memory; layers run in parallel.
#include <string>
#include <vector>

#include "qspectra/metrics/statistics.hpp"
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

// Per variant, the values of one metric over the layers, NaN where the layer was not analysed
// (non-finite weights). ww_alpha: failed fits (alpha = -1) are NaN too.
std::vector<double> sweep_alpha_hill(const SweepResult& r, std::size_t variant);
std::vector<double> sweep_ww_alpha(const SweepResult& r, std::size_t variant);

// precision_summary_statistics.csv: pandas' describe() of Alpha-Hill over the finite values.
struct VariantDescribe {
  std::string variant;
  metrics::Describe stats;
};
std::vector<VariantDescribe> alpha_hill_statistics(const SweepResult& r);

// precision_ww_alpha_summary.csv: WW alpha per variant over the layers with a successful fit (failed
// fits and non-analysed layers left out): describe() and the counts in [2, 6], below 2, above 6.
struct WwAlphaSummary {
  std::string variant;
  metrics::Describe stats;
  int64_t in_2_6 = 0, below_2 = 0, above_6 = 0;
};
std::vector<WwAlphaSummary> ww_alpha_summary(const SweepResult& r);

// sweep_comparison.json: each variant against the baseline variant.
struct VariantComparison {
  std::string variant;
  double mean_alpha = 0;          // WW summary mean (failed fits take part with -1, as WW)
  double change_pct = 0;          // 100 (mean - baseline mean) / |baseline mean|
  double pearson_alpha = 0;       // over layers where both WW alphas are finite
  int64_t pearson_pairs = 0;
  double pearson_alpha_hill = 0;
  int64_t layers_analysed = 0, alpha_in_2_6 = 0;
  double alpha_in_2_6_pct = 0;    // of layers_analysed
  int64_t alpha_below_2 = 0, alpha_above_6 = 0, failed = 0, non_finite = 0;
};
std::vector<VariantComparison> compare_variants(const SweepResult& r, std::size_t baseline);

}  // namespace qspectra::pipeline
