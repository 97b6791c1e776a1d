// Widening stored weights straight into the buffer the eigensolver reads, with the float32 rounding WW
// applies and the unanalysable count, in one pass (the raw read path: no intermediate vectors).
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "qspectra/spectral/backend.hpp"

namespace qspectra::spectral {
namespace {

template <class U>
U load(const std::byte* p) {
  U v;
  std::memcpy(&v, p, sizeof(U));  // little-endian hosts only (as the rest of io)
  return v;
}

// f16 -> float for all 65536 patterns (exact), built once from io's decoder.
const std::array<float, 65536>& f16_table() {
  static const auto table = [] {
    std::array<float, 65536> t{};
    for (uint32_t b = 0; b < 65536; ++b) t[b] = static_cast<float>(io::f16_to_double(static_cast<uint16_t>(b)));
    return t;
  }();
  return table;
}

// Widen with `conv` (stored element -> float or double, already rounded as asked), store as T, count
// the values not below `limit` (NaN included). A float destination counts NaN/Inf only, on the float
// itself: every finite float is far below `limit` (>= 4e144 for any n), and the float loop vectorises
// (half the time of going through double).
template <class T, class Conv>
int64_t widen_loop(const std::byte* src, std::size_t n, std::size_t width, T* dst, double limit, Conv conv) {
  int64_t bad = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if constexpr (std::is_same_v<T, float>) {
      const auto v = static_cast<float>(conv(src + i * width));
      bad += !(std::fabs(v) <= std::numeric_limits<float>::max());
      dst[i] = v;
    } else {
      const auto v = static_cast<double>(conv(src + i * width));
      bad += !(std::fabs(v) < limit);
      dst[i] = static_cast<T>(v);
    }
  }
  return bad;
}

template <class T>
int64_t widen_any(io::DType dtype, const std::byte* src, std::size_t n, bool round32, T* dst, double limit) {
  using io::DType;
  switch (dtype) {
    case DType::BF16:  // the top half of a float32: exact in float
      return widen_loop(src, n, 2, dst, limit, [](const std::byte* p) {
        return std::bit_cast<float>(static_cast<uint32_t>(load<uint16_t>(p)) << 16);
      });
    case DType::F16: {
      const float* t = f16_table().data();
      return widen_loop(src, n, 2, dst, limit, [t](const std::byte* p) { return t[load<uint16_t>(p)]; });
    }
    case DType::F32:
      return widen_loop(src, n, 4, dst, limit, [](const std::byte* p) { return load<float>(p); });
    case DType::F64:
      if (round32)
        return widen_loop(src, n, 8, dst, limit, [](const std::byte* p) { return static_cast<float>(load<double>(p)); });
      return widen_loop(src, n, 8, dst, limit, [](const std::byte* p) { return load<double>(p); });
    default: {
      // The rarer dtypes (fp8, integers, bool): io's exact widening, a chunk at a time.
      constexpr std::size_t kChunk = 4096;
      const std::size_t width = io::dtype_bits(dtype) / 8;
      double buf[kChunk];
      int64_t bad = 0;
      for (std::size_t i0 = 0; i0 < n; i0 += kChunk) {
        const std::size_t m = std::min(kChunk, n - i0);
        io::widen_to_double(dtype, src + i0 * width, m, buf);
        for (std::size_t j = 0; j < m; ++j) {
          const double v = round32 ? double(static_cast<float>(buf[j])) : buf[j];
          bad += !(std::fabs(v) < limit);
          dst[i0 + j] = static_cast<T>(v);
        }
      }
      return bad;
    }
  }
}

}  // namespace

int64_t widen_weights(io::DType dtype, const std::byte* src, std::size_t n, bool keep_f64, double* dst) {
  return widen_any(dtype, src, n, !keep_f64, dst, unanalysable_limit(n));
}

int64_t widen_weights(io::DType dtype, const std::byte* src, std::size_t n, float* dst) {
  return widen_any(dtype, src, n, true, dst, unanalysable_limit(n));
}

int64_t count_unanalysable_weights(io::DType dtype, const std::byte* src, std::size_t n, bool keep_f64) {
  constexpr std::size_t kChunk = 16384;  // a small scratch buffer: bounded memory for any layer
  const double limit = unanalysable_limit(n);
  const std::size_t width = io::dtype_bits(dtype) / 8;
  std::vector<double> scratch(std::min(kChunk, n));
  int64_t bad = 0;
  for (std::size_t i0 = 0; i0 < n; i0 += kChunk) {
    const std::size_t m = std::min(kChunk, n - i0);
    bad += widen_any(dtype, src + i0 * width, m, !keep_f64, scratch.data(), limit);
  }
  return bad;
}

}  // namespace qspectra::spectral
