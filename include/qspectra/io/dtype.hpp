#pragma once
// Storage dtypes of the safetensors spec and their exact widening to float64.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace qspectra::io {

enum class DType {
  // readable (widened to float64)
  F64, F32, F16, BF16, F8_E4M3, F8_E5M2, I8, U8, I16, U16, I32, U32, I64, U64, BOOL,
  // known to the safetensors spec, parsed, but their tensors are skipped with a reason
  C64, F8_E8M0, F8_E4M3FNUZ, F8_E5M2FNUZ, F4, F6_E2M3, F6_E3M2,
};

// The spec's name ("F32", "BF16", ...) -> DType; nullopt for an unknown name.
std::optional<DType> dtype_from_name(std::string_view name);
std::string_view dtype_name(DType dt);
// Size of one element in bits (F4 = 4, F6_* = 6, BOOL = 8, C64 = 64...).
unsigned dtype_bits(DType dt);
// True when widen_to_double can read it.
bool dtype_readable(DType dt);
// Why a dtype cannot be read ("complex dtype C64 is not supported"), empty if readable.
std::string dtype_skip_reason(DType dt);

// Scalar decoders (exact; NaN/Inf preserved).
double f16_to_double(uint16_t bits);
double bf16_to_double(uint16_t bits);
double f8_e4m3_to_double(uint8_t bits);  // E4M3FN: no infinities, 0x7F/0xFF are NaN
double f8_e5m2_to_double(uint8_t bits);

// Widen `count` little-endian elements of a readable dtype to float64. `src` need not be aligned.
// Exact for every readable dtype except 64-bit integers beyond 2^53 (rounded to nearest).
void widen_to_double(DType dt, const std::byte* src, std::size_t count, double* dst);

}  // namespace qspectra::io
