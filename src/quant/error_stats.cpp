#include "qspectra/quant/error_stats.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <vector>

#include "qspectra/core/error.hpp"

namespace qspectra::quant {
namespace {

uint64_t key(double v) { return std::bit_cast<uint64_t>(v == 0 ? 0.0 : v); }  // -0 -> +0

int64_t distinct_sorted(std::vector<uint64_t>& keys) {
  std::sort(keys.begin(), keys.end());
  return int64_t(std::unique(keys.begin(), keys.end()) - keys.begin());
}

}  // namespace

int64_t count_distinct_ref(std::span<const double> values) {
  std::vector<uint64_t> keys;
  keys.reserve(values.size());
  for (double v : values) keys.push_back(key(v));
  return distinct_sorted(keys);
}

int64_t count_distinct(std::span<const double> values) {
  // Quantized tensors usually hold few levels: an open-addressing set of bit patterns (2^17 slots,
  // at most half full) answers in one pass; beyond 2^16 distinct values fall back to sorting.
  constexpr size_t kSlots = size_t(1) << 17, kMaxDistinct = kSlots / 2;
  constexpr uint64_t kEmpty = ~uint64_t(0);  // a NaN pattern no arithmetic produces; handled below
  std::vector<uint64_t> table(kSlots, kEmpty);
  size_t distinct = 0;
  bool saw_empty_key = false;
  for (double v : values) {
    const uint64_t k = key(v);
    if (k == kEmpty) {
      saw_empty_key = true;
      continue;
    }
    size_t h = size_t((k * 0x9E3779B97F4A7C15ull) >> 47);  // top 17 bits
    while (table[h] != kEmpty && table[h] != k) h = (h + 1) & (kSlots - 1);
    if (table[h] == kEmpty) {
      table[h] = k;
      if (++distinct > kMaxDistinct) return count_distinct_ref(values);
    }
  }
  return int64_t(distinct) + (saw_empty_key ? 1 : 0);
}

int64_t count_non_finite(std::span<const double> values) {
  int64_t n = 0;
  for (double v : values) n += std::isfinite(v) ? 0 : 1;
  return n;
}

ErrorStats error_stats(std::span<const double> original, std::span<const double> quantized) {
  if (original.size() != quantized.size())
    throw InternalError("error_stats: original and quantized sizes differ");
  ErrorStats s;
  if (original.empty()) return s;
  double se = 0, signal = 0, max_abs = 0;
  for (size_t i = 0; i < original.size(); ++i) {
    const double e = std::fabs(original[i] - quantized[i]);
    se += e * e;
    signal += original[i] * original[i];
    s.max_err = std::max(s.max_err, e);
    max_abs = std::max(max_abs, std::fabs(original[i]));
  }
  const double n = double(original.size());
  s.mse = se / n;
  s.rmse = std::sqrt(s.mse);
  constexpr double inf = std::numeric_limits<double>::infinity();
  s.sqnr_db = s.mse == 0 ? inf : signal == 0 ? -inf : 10 * std::log10((signal / n) / s.mse);
  s.rel_max_err = max_abs > 0 ? s.max_err / max_abs : 0;
  s.rms_original = std::sqrt(signal / n);
  s.rel_rmse = s.rms_original > 0 ? s.rmse / s.rms_original : 0;
  s.distinct_levels = count_distinct(quantized);
  return s;
}

AbsErrorQuantiles abs_error_quantiles(std::span<const double> original, std::span<const double> quantized) {
  if (original.size() != quantized.size())
    throw InternalError("abs_error_quantiles: original and quantized sizes differ");
  AbsErrorQuantiles q;
  if (original.empty()) return q;
  std::vector<double> e(original.size());
  for (size_t i = 0; i < e.size(); ++i) e[i] = std::fabs(original[i] - quantized[i]);
  // Quantile p: x[floor(h)] + (h - floor(h)) (x[floor(h) + 1] - x[floor(h)]), h = p (n - 1).
  auto quantile = [&](double p) {
    const double h = p * double(e.size() - 1);
    const size_t lo = size_t(h);
    std::nth_element(e.begin(), e.begin() + std::ptrdiff_t(lo), e.end());
    const double a = e[lo];
    if (lo + 1 >= e.size()) return a;
    const double b = *std::min_element(e.begin() + std::ptrdiff_t(lo) + 1, e.end());
    return a + (h - double(lo)) * (b - a);
  };
  q.p95 = quantile(0.95);
  q.median = quantile(0.5);
  return q;
}

}  // namespace qspectra::quant
