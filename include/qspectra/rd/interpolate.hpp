#pragma once
// Empirical rate at a target distortion, read off a measured (rate, mse) curve by linear
// interpolation in log-D (the notebook's interpolate_rate_for_distortion), and its gap to R(D).
#include <span>
#include <string_view>

namespace qspectra::rd {

// NonFinite: the layer has NaN/Inf weights, nothing was measured (set by the caller).
enum class Coverage { Ok, InsufficientCoverage, InvalidTarget, NonFinite };
std::string_view coverage_name(Coverage c);  // "ok", "insufficient coverage", "invalid target", "non_finite"

struct RateAtDistortion {
  Coverage status = Coverage::InvalidTarget;
  double rate = 0;          // interpolated empirical rate (bits/weight); valid when status == Ok
  double shannon_rate = 0;  // R(D) = 1/2 log2(sigma2 / D)
  double gap_bits = 0;      // rate - shannon_rate
};

// Points are sorted by rate; those with mse <= 0 or non-finite values are ignored (no log). The first
// consecutive pair whose mses bracket target_d (inclusive) is used. A target outside the measured
// range gives InsufficientCoverage; target_d <= 0 or sigma2 <= 0 gives InvalidTarget. Never throws
// except for spans of different sizes (InternalError).
RateAtDistortion rate_at_distortion(std::span<const double> rates, std::span<const double> mses,
                                    double target_d, double sigma2);

}  // namespace qspectra::rd
