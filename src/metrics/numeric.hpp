#pragma once
// Private helpers: numpy's summation order (so sums agree with the reference to the last bit or two).
#include <cstddef>
#include <span>

namespace qspectra::metrics::detail {

// numpy's pairwise_sum (8 accumulators up to 128 items, halves above).
inline double pairwise_sum(const double* a, std::size_t n) {
  if (n < 8) {
    double res = 0.;
    for (std::size_t i = 0; i < n; ++i) res += a[i];
    return res;
  }
  if (n <= 128) {
    double r[8];
    for (int j = 0; j < 8; ++j) r[j] = a[j];
    std::size_t i = 8;
    for (; i < n - (n % 8); i += 8)
      for (int j = 0; j < 8; ++j) r[j] += a[i + static_cast<std::size_t>(j)];
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i];
    return res;
  }
  std::size_t n2 = n / 2;
  n2 -= n2 % 8;
  return pairwise_sum(a, n2) + pairwise_sum(a + n2, n - n2);
}

// np.sum of a contiguous float64 array: the first item seeds the reduction, the rest is summed pairwise.
inline double np_sum(std::span<const double> v) {
  if (v.empty()) return 0.0;
  return v[0] + pairwise_sum(v.data() + 1, v.size() - 1);
}

}  // namespace qspectra::metrics::detail
