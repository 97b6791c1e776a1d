#pragma once
// Error statistics of a quantized tensor against its original.
#include <cstdint>
#include <span>

namespace qspectra::quant {

struct ErrorStats {
  double mse = 0;           // mean (w - w')^2
  double rmse = 0;
  double sqnr_db = 0;       // 10 log10(mean w^2 / mse); +inf when mse == 0, -inf when signal is 0
  double max_err = 0;       // max |w - w'|
  double rel_max_err = 0;   // max_err / max |w| (0 when max |w| == 0)
  double rms_original = 0;  // sqrt(mean w^2)
  double rel_rmse = 0;      // rmse / rms_original (0 when the original is all zeros)
  int64_t distinct_levels = 0;  // distinct values of w' (+0 and -0 count once)
};

// Spans must have equal size (InternalError otherwise). Empty spans give all zeros.
ErrorStats error_stats(std::span<const double> original, std::span<const double> quantized);

// Quantiles of |w - w'| as llama.cpp's quantize-stats reports them (median, 95th percentile), but
// exact: linear interpolation between order statistics (numpy's default), where quantize-stats reads
// them off a 150-bucket histogram over [0, 0.03]. Takes a copy of the errors (n doubles).
struct AbsErrorQuantiles {
  double median = 0, p95 = 0;
};
AbsErrorQuantiles abs_error_quantiles(std::span<const double> original, std::span<const double> quantized);

int64_t count_non_finite(std::span<const double> values);

// Distinct values (+0 == -0; each NaN bit pattern counts once). Hash set first, sort when many.
int64_t count_distinct(std::span<const double> values);
int64_t count_distinct_ref(std::span<const double> values);  // simple sort + unique

}  // namespace qspectra::quant
