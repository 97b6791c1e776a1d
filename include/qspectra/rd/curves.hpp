#pragma once
// Aggregation of per-layer R-D points into mean curves (e.g. per layer category).
#include <span>
#include <string>
#include <vector>

#include "qspectra/rd/methods.hpp"

namespace qspectra::rd {

struct MeanCurvePoint {
  std::string method;
  int bits = 0;
  int layers = 0;            // non-skipped points averaged
  double rate = 0;           // mean rate
  double rate_with_codebook = 0;
  double mse = 0;            // mean mse
  double nmse = 0;           // mean mse / variance (layers with variance 0 left out of this mean)
  double gap_bits = 0;       // mean of finite gaps
};

// Groups the non-skipped points with status ok by (method, bits), in order of first appearance, and averages.
std::vector<MeanCurvePoint> mean_curves(std::span<const RdPoint> points);

}  // namespace qspectra::rd
