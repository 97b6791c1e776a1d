#pragma once
// Lloyd-Max scalar quantizer design (1-D k-means). It starts from the best (lowest mse on the data) of
// three grids: evenly spaced percentiles as in the rate-distortion notebook (levels at percentiles
// 100*i/(L+1), i = 1..L, numpy's linear percentile; preferred on ties), usym:B's symmetric uniform
// grid and asym:B's affine uniform grid with as many levels. Lloyd iterations never increase the mse,
// so the result is never worse than those uniform quantizers on the data it was trained on (a
// percentile start alone can be: heavy-tailed layers at 8 bits). It iterates until no cell boundary
// moves (converged) or max_iter iterations.
#include <cstdint>
#include <span>
#include <vector>

namespace qspectra::quant {

struct LloydOptions {
  int max_iter = 1000;  // stops earlier at an exact fixed point (no cell boundary moves)
};

enum class LloydInit { Percentile, UniformSym, UniformAsym };

struct LloydResult {
  std::vector<double> levels;  // ascending, size L (may hold duplicates for degenerate data)
  int iterations = 0;
  bool converged = false;      // a fixed point was reached within max_iter
  LloydInit init = LloydInit::Percentile;  // the starting grid
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
