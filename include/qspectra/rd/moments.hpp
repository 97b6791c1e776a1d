#pragma once
// Moments of a layer's weights, reported next to each rate-distortion curve.
#include <cstdint>
#include <span>

namespace qspectra::rd {

struct WeightMoments {
  int64_t n = 0;
  double mean = 0;
  double variance = 0;   // population variance (numpy's np.var), the sigma^2 of the Shannon bound
  double kurtosis = 0;   // excess kurtosis m4/m2^2 - 3 (0 for a Gaussian); NaN when variance is 0
};

WeightMoments weight_moments(std::span<const double> w);

}  // namespace qspectra::rd
