#include "qspectra/io/dtype.hpp"

#include "qspectra/core/error.hpp"

#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace qspectra::io {
namespace {

struct DTypeRow {
  DType dt;
  std::string_view name;
  unsigned bits;
  std::string_view skip_reason;  // empty = readable
};

// One table for names, sizes and readability, so the three can never disagree.
constexpr std::array<DTypeRow, 22> kTable{{
    {DType::F64, "F64", 64, ""},
    {DType::F32, "F32", 32, ""},
    {DType::F16, "F16", 16, ""},
    {DType::BF16, "BF16", 16, ""},
    {DType::F8_E4M3, "F8_E4M3", 8, ""},
    {DType::F8_E5M2, "F8_E5M2", 8, ""},
    {DType::I8, "I8", 8, ""},
    {DType::U8, "U8", 8, ""},
    {DType::I16, "I16", 16, ""},
    {DType::U16, "U16", 16, ""},
    {DType::I32, "I32", 32, ""},
    {DType::U32, "U32", 32, ""},
    {DType::I64, "I64", 64, ""},
    {DType::U64, "U64", 64, ""},
    {DType::BOOL, "BOOL", 8, ""},
    {DType::C64, "C64", 64, "complex"},
    {DType::F8_E8M0, "F8_E8M0", 8, "scale-only exponent format"},
    {DType::F8_E4M3FNUZ, "F8_E4M3FNUZ", 8, "FNUZ variant"},
    {DType::F8_E5M2FNUZ, "F8_E5M2FNUZ", 8, "FNUZ variant"},
    {DType::F4, "F4", 4, "packed 4-bit"},
    {DType::F6_E2M3, "F6_E2M3", 6, "packed 6-bit"},
    {DType::F6_E3M2, "F6_E3M2", 6, "packed 6-bit"},
}};

const DTypeRow& row(DType dt) {
  for (const auto& r : kTable)
    if (r.dt == dt) return r;
  return kTable[0];  // unreachable: every enumerator is in the table
}

// Little-endian load that works on any host and any alignment.
template <class U>
U load_le(const std::byte* p) {
  U v = 0;
  for (std::size_t i = 0; i < sizeof(U); ++i) v |= static_cast<U>(std::to_integer<uint8_t>(p[i])) << (8 * i);
  return v;
}

template <class Load>
void widen_each(const std::byte* src, std::size_t count, std::size_t stride, double* dst, Load load) {
  for (std::size_t i = 0; i < count; ++i) dst[i] = load(src + i * stride);
}

}  // namespace

std::optional<DType> dtype_from_name(std::string_view name) {
  for (const auto& r : kTable)
    if (r.name == name) return r.dt;
  return std::nullopt;
}

std::string_view dtype_name(DType dt) { return row(dt).name; }
unsigned dtype_bits(DType dt) { return row(dt).bits; }
bool dtype_readable(DType dt) { return row(dt).skip_reason.empty(); }

std::string dtype_skip_reason(DType dt) {
  const auto& r = row(dt);
  if (r.skip_reason.empty()) return {};
  return "dtype " + std::string(r.name) + " is not readable (" + std::string(r.skip_reason) + ")";
}

double f16_to_double(uint16_t bits) {
  const bool neg = bits & 0x8000;
  const int exp = (bits >> 10) & 0x1F;
  const int man = bits & 0x3FF;
  double v;
  if (exp == 0x1F)
    v = man ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  else if (exp == 0)
    v = std::ldexp(man, -24);  // subnormal: man * 2^(1-15-10)
  else
    v = std::ldexp(man + 1024, exp - 25);
  return neg ? -v : v;
}

double bf16_to_double(uint16_t bits) {
  // bf16 is the top half of an IEEE float32.
  return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16);
}

double f8_e4m3_to_double(uint8_t bits) {
  const bool neg = bits & 0x80;
  const int exp = (bits >> 3) & 0xF;
  const int man = bits & 0x7;
  double v;
  if (exp == 0xF && man == 0x7)
    v = std::numeric_limits<double>::quiet_NaN();  // E4M3FN: the only NaN, and no infinities
  else if (exp == 0)
    v = std::ldexp(man, -9);  // subnormal: man * 2^(1-7-3)
  else
    v = std::ldexp(man + 8, exp - 10);
  return neg ? -v : v;
}

double f8_e5m2_to_double(uint8_t bits) {
  // E5M2 is the top byte of an IEEE float16 (same exponent, truncated mantissa).
  return f16_to_double(static_cast<uint16_t>(bits) << 8);
}

void widen_to_double(DType dt, const std::byte* src, std::size_t count, double* dst) {
  switch (dt) {
    case DType::F64:
      return widen_each(src, count, 8, dst, [](const std::byte* p) { return std::bit_cast<double>(load_le<uint64_t>(p)); });
    case DType::F32:
      return widen_each(src, count, 4, dst, [](const std::byte* p) { return double(std::bit_cast<float>(load_le<uint32_t>(p))); });
    case DType::F16:
      return widen_each(src, count, 2, dst, [](const std::byte* p) { return f16_to_double(load_le<uint16_t>(p)); });
    case DType::BF16:
      return widen_each(src, count, 2, dst, [](const std::byte* p) { return bf16_to_double(load_le<uint16_t>(p)); });
    case DType::F8_E4M3:
      return widen_each(src, count, 1, dst, [](const std::byte* p) { return f8_e4m3_to_double(load_le<uint8_t>(p)); });
    case DType::F8_E5M2:
      return widen_each(src, count, 1, dst, [](const std::byte* p) { return f8_e5m2_to_double(load_le<uint8_t>(p)); });
    case DType::I8:
      return widen_each(src, count, 1, dst, [](const std::byte* p) { return double(static_cast<int8_t>(load_le<uint8_t>(p))); });
    case DType::U8:
      return widen_each(src, count, 1, dst, [](const std::byte* p) { return double(load_le<uint8_t>(p)); });
    case DType::I16:
      return widen_each(src, count, 2, dst, [](const std::byte* p) { return double(static_cast<int16_t>(load_le<uint16_t>(p))); });
    case DType::U16:
      return widen_each(src, count, 2, dst, [](const std::byte* p) { return double(load_le<uint16_t>(p)); });
    case DType::I32:
      return widen_each(src, count, 4, dst, [](const std::byte* p) { return double(static_cast<int32_t>(load_le<uint32_t>(p))); });
    case DType::U32:
      return widen_each(src, count, 4, dst, [](const std::byte* p) { return double(load_le<uint32_t>(p)); });
    case DType::I64:  // rounds to nearest beyond 2^53
      return widen_each(src, count, 8, dst, [](const std::byte* p) { return double(static_cast<int64_t>(load_le<uint64_t>(p))); });
    case DType::U64:
      return widen_each(src, count, 8, dst, [](const std::byte* p) { return double(load_le<uint64_t>(p)); });
    case DType::BOOL:
      return widen_each(src, count, 1, dst, [](const std::byte* p) { return load_le<uint8_t>(p) ? 1.0 : 0.0; });
    default:
      // Callers check dtype_readable first; reaching this is a programming error.
      throw InternalError("widen_to_double: " + dtype_skip_reason(dt));
  }
}

}  // namespace qspectra::io
