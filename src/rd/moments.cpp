#include "qspectra/rd/moments.hpp"

#include <limits>

namespace qspectra::rd {

WeightMoments weight_moments(std::span<const double> w) {
  WeightMoments m;
  m.n = int64_t(w.size());
  if (w.empty()) return m;
  long double sum = 0;
  for (double x : w) sum += x;
  m.mean = double(sum / (long double)w.size());
  long double m2 = 0, m4 = 0;  // two passes: central moments without cancellation
  for (double x : w) {
    const long double d = x - m.mean, d2 = d * d;
    m2 += d2;
    m4 += d2 * d2;
  }
  m2 /= (long double)w.size();
  m4 /= (long double)w.size();
  m.variance = double(m2);
  m.kurtosis = m2 > 0 ? double(m4 / (m2 * m2)) - 3.0 : std::numeric_limits<double>::quiet_NaN();
  return m;
}

}  // namespace qspectra::rd
