#pragma once
// Internal: how each rd method reconstructs the weights, and the rate it spends doing so.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "qspectra/rd/methods.hpp"

namespace qspectra::rd::detail {

struct Reconstruction {
  std::vector<double> values;   // same size as the input; empty when skipped
  double rate = 0;
  double rate_with_codebook = 0;
  std::string skip_reason;      // non-empty: the combination was skipped
  bool converged = true;        // iterative methods: a fixed point was reached
};

// A quant spec (e.g. "asym:4"). per_tensor: its side information is paid once per tensor, so it
// counts in rate_with_codebook only.
Reconstruction reconstruct_spec(const std::string& spec, int bits, bool per_tensor,
                                std::span<const double> w, const std::vector<int64_t>& shape);
// The notebook's quantize_uniform_symmetric (2^B+1 levels), float32 as it.
Reconstruction reconstruct_odd_levels_sym(int bits, std::span<const double> w);
// Lloyd-Max levels trained on (a sample of) w, applied to all of w.
Reconstruction reconstruct_lloyd(int bits, std::span<const double> w, const RdOptions& opt);
// Product quantization of consecutive dim-vectors split into m sub-vectors (m = 1: plain VQ).
Reconstruction reconstruct_pq(int dim, int m, int bits, std::span<const double> w, const RdOptions& opt);

}  // namespace qspectra::rd::detail
