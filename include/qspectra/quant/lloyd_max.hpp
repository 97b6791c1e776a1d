#pragma once
// Lloyd-Max scalar quantizer design (1-D k-means), initialised at evenly spaced percentiles as in the
// rate-distortion notebook: levels at percentiles 100*i/(L+1), i = 1..L (numpy's linear percentile).
#include <cstdint>
#include <span>
#include <vector>

namespace qspectra::quant {

struct LloydOptions {
  int max_iter = 1000;  // stops earlier at an exact fixed point (no cell boundary moves)
};

struct LloydResult {
  std::vector<double> levels;  // ascending, size L (may hold duplicates for degenerate data)
  int iterations = 0;
  bool converged = false;
};

// O(n log n) sort, then O(L log n) per iteration using prefix sums over the sorted data.
LloydResult lloyd_max(std::span<const double> data, int n_levels, const LloydOptions& opt = {});
// Straightforward O(n L) per iteration version of the same algorithm, for tests.
LloydResult lloyd_max_ref(std::span<const double> data, int n_levels, const LloydOptions& opt = {});

// Replace each value by its nearest level (levels ascending). A value exactly on a midpoint goes to
// the upper level (numpy.digitize's rule, as the notebook).
void quantize_to_levels(std::span<double> values, std::span<const double> levels);

}  // namespace qspectra::quant
