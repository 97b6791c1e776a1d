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
  int64_t distinct_levels = 0;  // distinct values of w' (+0 and -0 count once)
};

// Spans must have equal size (InternalError otherwise). Empty spans give all zeros.
ErrorStats error_stats(std::span<const double> original, std::span<const double> quantized);
int64_t count_non_finite(std::span<const double> values);

// Distinct values (+0 == -0; each NaN bit pattern counts once). Hash set first, sort when many.
int64_t count_distinct(std::span<const double> values);
int64_t count_distinct_ref(std::span<const double> values);  // simple sort + unique

}  // namespace qspectra::quant
