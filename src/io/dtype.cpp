#include "qspectra/io/dtype.hpp"

#include "qspectra/core/error.hpp"
#include "qspectra/types/element_type.hpp"
#include "qspectra/types/fp8.hpp"
#include "qspectra/types/half.hpp"

#include <array>

namespace qspectra::io {
namespace {

using types::ElementType;

// DType is the safetensors view of the element-type table (types/): names, sizes, readability and
// widening all come from the table's rows, so io and every other layer agree.
constexpr std::array<ElementType, 22> kElement{
    ElementType::F64,     ElementType::F32,     ElementType::F16,         ElementType::BF16,
    ElementType::F8_E4M3, ElementType::F8_E5M2, ElementType::I8,          ElementType::U8,
    ElementType::I16,     ElementType::U16,     ElementType::I32,         ElementType::U32,
    ElementType::I64,     ElementType::U64,     ElementType::BOOL,        ElementType::C64,
    ElementType::F8_E8M0, ElementType::F8_E4M3FNUZ, ElementType::F8_E5M2FNUZ, ElementType::F4,
    ElementType::F6_E2M3, ElementType::F6_E3M2,
};
static_assert(static_cast<std::size_t>(DType::F6_E3M2) + 1 == kElement.size(), "every DType maps to an element type");

const types::TypeTraits& row(DType dt) { return types::traits(kElement[static_cast<std::size_t>(dt)]); }

}  // namespace

std::optional<DType> dtype_from_name(std::string_view name) {
  const auto* t = types::find_by_safetensors_name(name);
  if (!t) return std::nullopt;
  for (std::size_t i = 0; i < kElement.size(); ++i)
    if (kElement[i] == t->type) return static_cast<DType>(i);
  return std::nullopt;
}

std::string_view dtype_name(DType dt) { return row(dt).safetensors_name; }
unsigned dtype_bits(DType dt) { return static_cast<unsigned>(row(dt).bits_per_weight()); }
bool dtype_readable(DType dt) { return row(dt).to_double != nullptr; }

std::string dtype_skip_reason(DType dt) {
  const auto& r = row(dt);
  if (r.to_double) return {};
  return "dtype " + std::string(r.safetensors_name) + " is not readable (" + std::string(r.unsupported) + ")";
}

double f16_to_double(uint16_t bits) { return types::fp16_to_fp32(bits); }
double bf16_to_double(uint16_t bits) { return types::bf16_to_fp32(bits); }
double f8_e4m3_to_double(uint8_t bits) { return types::f8_e4m3_to_double(bits); }
double f8_e5m2_to_double(uint8_t bits) { return types::f8_e5m2_to_double(bits); }

void widen_to_double(DType dt, const std::byte* src, std::size_t count, double* dst) {
  const auto& r = row(dt);
  // Callers check dtype_readable first; reaching this is a programming error.
  if (!r.to_double) throw InternalError("widen_to_double: " + dtype_skip_reason(dt));
  r.to_double(src, dst, count);
}

}  // namespace qspectra::io
