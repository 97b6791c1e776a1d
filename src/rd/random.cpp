#include "random.hpp"

namespace qspectra::rd::detail {

std::vector<int64_t> sample_indices(int64_t n, int64_t k, uint64_t seed) {
  std::vector<int64_t> out;
  if (k >= n) {
    for (int64_t i = 0; i < n; ++i) out.push_back(i);
    return out;
  }
  Rng rng(seed);
  out.reserve(size_t(k));
  for (int64_t i = 0; i < n && int64_t(out.size()) < k; ++i)
    if (double(n - i) * rng.uniform() < double(k - int64_t(out.size()))) out.push_back(i);
  return out;
}

}  // namespace qspectra::rd::detail
