#pragma once
// rate-distortion's loop: for every selected layer, every method at every bit setting, the R-D point
// against the Gaussian Shannon bound, and the empirical rate at each target distortion.
#include <string>
#include <vector>

#include "qspectra/pipeline/analyze.hpp"
#include "qspectra/rd/curves.hpp"
#include "qspectra/rd/interpolate.hpp"
#include "qspectra/rd/methods.hpp"
#include "qspectra/rd/moments.hpp"

namespace qspectra::pipeline {

struct RdRunOptions {
  AnalyzeOptions analyze;              // selector, threads, keep_f64 (spectrum options unused)
  std::vector<std::string> methods;    // rd::rd_method_names() by default; quantizer specs accepted
  std::vector<int> bits;               // 1..8 by default
  std::vector<double> targets;         // target distortions as fractions of sigma^2
  rd::RdOptions rd;                    // seed, sample, k-means iterations (threads set by the loop)
};

struct RdTargetResult {
  std::string method;
  double target_fraction = 0;
  double target_d = 0;                 // target_fraction * sigma^2
  rd::RateAtDistortion result;
};

struct RdLayerResult {
  LayerResult layer;                   // identity (name, category, shape...) and status
  rd::WeightMoments moments;
  std::vector<rd::RdPoint> points;     // [method x bits], skipped ones included with their note; a layer
                                       // with NaN/Inf weights has one non_finite point per method x bits
  std::vector<RdTargetResult> targets; // [method x target]
};

struct RdRunResult {
  layers::Selection selection;
  std::vector<RdLayerResult> layers;
  int threads = 1;
  double wall_s = 0;
  std::vector<std::string> notes;
};

// Throws UsageError for an unknown method or a malformed spec (before any work), InputError when
// nothing is selected. Progress is reported after each method inside a layer (Progress::step) and
// after each layer; work is numel per method and bit setting.
RdRunResult run_rate_distortion(const io::ModelDir& model, const RdRunOptions& options,
                                const ProgressCallback& progress = {},
                                const std::atomic<bool>* cancel = nullptr);

// Mean curve per layer category, then over all layers ("all"), categories in order of first appearance.
// Only points with status ok and not skipped take part.
struct RdCategoryCurve {
  std::string category;
  rd::MeanCurvePoint point;
};
std::vector<RdCategoryCurve> rd_category_curves(const RdRunResult& r);

// Per target distortion and method: mean empirical rate and gap over the layers whose curve covers
// the target, and the number of layers without coverage.
struct RdGapSummaryRow {
  double target_fraction = 0;
  std::string method;
  double mean_r_emp = 0, mean_gap_bits = 0;  // NaN when layers == 0
  int64_t layers = 0, insufficient_coverage = 0;
};
std::vector<RdGapSummaryRow> rd_gap_summary(const RdRunResult& r);

}  // namespace qspectra::pipeline
