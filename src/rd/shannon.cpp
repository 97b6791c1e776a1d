#include "qspectra/rd/shannon.hpp"

#include <cmath>
#include <limits>

namespace qspectra::rd {

double shannon_distortion(double sigma2, double rate_bits) { return sigma2 * std::exp2(-2.0 * rate_bits); }

double shannon_rate(double sigma2, double distortion) {
  if (!(distortion > 0) || !(sigma2 > 0)) return std::numeric_limits<double>::quiet_NaN();
  return distortion >= sigma2 ? 0.0 : 0.5 * std::log2(sigma2 / distortion);
}

double gap_bits(double mse, double shannon_d) {
  if (!std::isfinite(mse) || !std::isfinite(shannon_d) || !(shannon_d > 0) || mse < 0)
    return std::numeric_limits<double>::quiet_NaN();
  if (mse == 0) return -std::numeric_limits<double>::infinity();
  return 0.5 * std::log2(mse / shannon_d);
}

}  // namespace qspectra::rd
