#include "qspectra/rd/curves.hpp"

#include <cmath>

namespace qspectra::rd {

std::vector<MeanCurvePoint> mean_curves(std::span<const RdPoint> points) {
  std::vector<MeanCurvePoint> out;
  std::vector<int> nmse_n, gap_n;
  for (const RdPoint& p : points) {
    if (p.skipped || p.status != kRdStatusOk) continue;  // overflow / non_finite points are in no mean
    size_t i = 0;
    while (i < out.size() && !(out[i].method == p.method && out[i].bits == p.bits)) ++i;
    if (i == out.size()) {
      out.push_back({p.method, p.bits});
      nmse_n.push_back(0);
      gap_n.push_back(0);
    }
    MeanCurvePoint& c = out[i];
    ++c.layers;
    c.rate += p.rate;
    c.rate_with_codebook += p.rate_with_codebook;
    c.mse += p.mse;
    if (p.variance > 0) {
      c.nmse += p.mse / p.variance;
      ++nmse_n[i];
    }
    if (std::isfinite(p.gap_bits)) {
      c.gap_bits += p.gap_bits;
      ++gap_n[i];
    }
  }
  for (size_t i = 0; i < out.size(); ++i) {
    MeanCurvePoint& c = out[i];
    c.rate /= c.layers;
    c.rate_with_codebook /= c.layers;
    c.mse /= c.layers;
    c.nmse = nmse_n[i] ? c.nmse / nmse_n[i] : NAN;
    c.gap_bits = gap_n[i] ? c.gap_bits / gap_n[i] : NAN;
  }
  return out;
}

}  // namespace qspectra::rd
