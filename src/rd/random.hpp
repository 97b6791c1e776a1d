#pragma once
// Internal: a portable seeded RNG (std::mt19937_64's sequence is fixed by the standard; the
// <random> distributions are not, so the two draws we need are written out).
#include <cstdint>
#include <random>
#include <vector>

namespace qspectra::rd::detail {

class Rng {
public:
  explicit Rng(uint64_t seed) : g_(seed) {}
  double uniform() { return double(g_() >> 11) * 0x1p-53; }  // [0, 1)
  uint64_t below(uint64_t n) { return uint64_t(uniform() * double(n)) % n; }

private:
  std::mt19937_64 g_;
};

// k distinct indices of [0, n), ascending (Knuth's selection sampling, Algorithm S); all if k >= n.
std::vector<int64_t> sample_indices(int64_t n, int64_t k, uint64_t seed);

}  // namespace qspectra::rd::detail
