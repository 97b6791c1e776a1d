#pragma once
// Lloyd-Max scalar quantizer design (1-D k-means). Lloyd iterations run from two starts: evenly spaced
// percentiles as in the rate-distortion notebook (levels at percentiles 100*i/(L+1), i = 1..L, numpy's
// linear percentile) and the better (lower mse on the data) of usym:B's symmetric uniform grid and
// asym:B's affine uniform grid with as many levels; the lower final mse wins (the percentile run on
// ties). Lloyd iterations never increase the mse, so the result is never worse than those uniform
// quantizers on the data it was trained on (the percentile start alone can be: a Gaussian layer of
// 896x128 at 8 bits, 6.45e-8 vs usym:8's 5.56e-8), nor than the notebook's start. Each run iterates
// until no cell boundary moves (converged) or max_iter iterations.
#include <cstdint>
#include <span>
#include <vector>

namespace qspectra::quant {

enum class LloydInit { Auto, Percentile, UniformSym, UniformAsym };

struct LloydOptions {
  int max_iter = 1000;  // stops earlier at an exact fixed point (no cell boundary moves)
  LloydInit init = LloydInit::Auto;  // Auto: both starts, the better result; else that start only
};

struct LloydResult {
  std::vector<double> levels;  // ascending, size L (may hold duplicates for degenerate data)
  int iterations = 0;
  bool converged = false;      // a fixed point was reached within max_iter (by the run kept)
  LloydInit init = LloydInit::Percentile;  // the start of the run kept
  double initial_mse = 0;      // mse of the starting grid on the data
  double mse = 0;              // mse of `levels` on the data (<= initial_mse)
};

// O(n log n) sort, then O(L log n) per iteration using prefix sums over the sorted data.
LloydResult lloyd_max(std::span<const double> data, int n_levels, const LloydOptions& opt = {});
// Straightforward O(n L) per iteration version of the same algorithm, for tests.
LloydResult lloyd_max_ref(std::span<const double> data, int n_levels, const LloydOptions& opt = {});

// Replace each value by its nearest level (levels ascending). A value exactly on a midpoint goes to
// the upper level (numpy.digitize's rule, as the notebook).
void quantize_to_levels(std::span<double> values, std::span<const double> levels);

}  // namespace qspectra::quant
