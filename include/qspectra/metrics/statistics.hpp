#pragma once
// Descriptive statistics over the finite values of a column (as pandas computes them).
#include <cstdint>
#include <span>
#include <vector>

namespace qspectra::metrics {

struct Describe {
  int64_t count = 0;  // finite values
  double mean, std, min, median, max, q25, q75;  // NaN when count == 0 (std: NaN when count < 2)
};

// pandas' describe(): sample std (ddof = 1), quantiles by linear interpolation.
Describe describe(std::span<const double> values);
// Pearson correlation over the pairs where both values are finite; NaN with fewer than 2 pairs or
// zero variance. `pairs` receives the number of pairs used.
double pearson(std::span<const double> x, std::span<const double> y, int64_t* pairs = nullptr);

}  // namespace qspectra::metrics
