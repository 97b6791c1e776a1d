#pragma once
// Seeded standard-normal samples for the rd tests (Box-Muller on std::mt19937_64: portable).
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

inline std::vector<double> gaussian_sample(size_t n, uint64_t seed) {
  std::mt19937_64 g(seed);
  auto u = [&] { return (double(g() >> 11) + 0.5) * 0x1p-53; };  // (0, 1)
  std::vector<double> x;
  while (x.size() < n) {
    const double r = std::sqrt(-2 * std::log(u())), t = 2 * M_PI * u();
    x.push_back(r * std::cos(t));
    if (x.size() < n) x.push_back(r * std::sin(t));
  }
  return x;
}
