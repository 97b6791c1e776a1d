#pragma once
// The element types of tensor storage: the safetensors dtypes and the GGML types (GGUF files), as ONE
// type-traits table in the spirit of ggml's type_traits[]. Every layer that needs a type's name, size,
// bits per weight, dequantizer or quantizer asks this table, so they can never disagree.
//
// Dequantizers reproduce ggml-org/ggml @ d99724f bit for bit (float32 output); quantizers reproduce
// ggml's reference quantizers (quantize_row_*_ref, no importance matrix) byte for byte.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

// Not yet on the table (each keeps its own list today): quant::FloatFormat (fp16/bf16/fp8 casts; its
// rows could gain a `round_to` function and FloatFormatInfo become a view of TypeTraits, as io::DType
// is), spectral/backend.cpp's dtype names, and the CUDA raw-byte dtype and element enums (they could
// be generated from the table's safetensors rows, with to_float as the host reference).
namespace qspectra::types {

enum class ElementType : uint8_t {
  // plain scalars (safetensors dtypes; F32, F16, BF16, F64, I8, I16, I32, I64 are GGML types too)
  F64, F32, F16, BF16, F8_E4M3, F8_E5M2, I8, U8, I16, U16, I32, U32, I64, U64, BOOL,
  // safetensors dtypes we know but cannot read
  C64, F8_E8M0, F8_E4M3FNUZ, F8_E5M2FNUZ, F4, F6_E2M3, F6_E3M2,
  // GGML block types we read and write
  Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS, TQ1_0, TQ2_0, MXFP4,
  // GGML types we know by id but cannot read (their tensors are skipped with the reason)
  Q8_1, Q8_K, IQ2_XXS, IQ2_XS, IQ3_XXS, IQ1_S, IQ3_S, IQ2_S, IQ1_M, NVFP4,
};

// Dequantize `n` elements (a multiple of block_size) from `src` (n / block_size blocks, any
// alignment, little-endian) to float32, exactly as ggml's to_float does.
using DequantizeRowFn = void (*)(const std::byte* src, float* dst, std::size_t n);
// Quantize `n` floats (a multiple of block_size) into n / block_size blocks, exactly as ggml's
// reference quantizer (no importance matrix) does.
using QuantizeRowFn = void (*)(const float* src, std::byte* dst, std::size_t n);
// Widen `n` elements exactly to float64 (plain scalar types only; 64-bit integers beyond 2^53 round).
using WidenRowFn = void (*)(const std::byte* src, double* dst, std::size_t n);

struct TypeTraits {
  ElementType type;
  std::string_view name;              // our name, lower case: "f32", "q4_k", "f8_e4m3"; also the quantizer spec
  std::string_view safetensors_name;  // "F32", "BF16"...; empty when safetensors has no such dtype
  int ggml_id;                        // enum ggml_type value; -1 when ggml has no such type
  std::string_view ggml_name;         // ggml_type_name(): "q4_K", "iq4_nl"...; empty when none
  unsigned block_size;                // elements per block (1 for plain scalars)
  unsigned block_bytes;               // bytes per block
  DequantizeRowFn to_float;           // nullptr: not readable
  WidenRowFn to_double;               // exact widening; nullptr for block types (use to_float)
  QuantizeRowFn from_float;           // nullptr: we cannot write it
  std::string_view unsupported;       // why it cannot be read ("IQ2 grid codebooks..."); empty = readable
  // What llama-quantize writes instead when a row is not whole blocks of this type (q4_k -> q5_0);
  // F16 where llama.cpp defines none (it refuses those; we take its last resort). See row_type().
  ElementType fallback = ElementType::F16;

  // Storage bits per element, scales included (q4_k = 4.5, f16 = 16).
  double bits_per_weight() const { return 8.0 * block_bytes / block_size; }
  bool readable() const { return to_float != nullptr; }
  bool quantizable() const { return from_float != nullptr; }
};

// Every row, in ElementType order.
std::span<const TypeTraits> all_types();
const TypeTraits& traits(ElementType t);

// Lookups return nullptr when nothing matches.
const TypeTraits* find_by_name(std::string_view name);               // our lower-case name, case-insensitive
const TypeTraits* find_by_safetensors_name(std::string_view name);   // exact, case-sensitive (as the spec)
const TypeTraits* find_by_ggml_id(uint32_t id);

// Why a GGML type id cannot be read: the row's reason, or "unknown GGML type id N" for ids not in
// the table. Empty when readable.
std::string ggml_unsupported_reason(uint32_t id);

// The type a row of `n` elements of type `wanted` is quantized to, by llama-quantize's rule
// (src/llama-quant.cpp, tensor_type_fallback): `wanted` when n is whole blocks of it, else its
// fallback, else F16 (for a fallback that does not divide n either).
ElementType row_type(ElementType wanted, std::size_t n);

// Bytes of a row of `n` elements; throws InputError (naming `where`) when n is not a multiple of
// the block size.
std::size_t row_bytes(const TypeTraits& t, std::size_t n, const std::string& where);

// Dequantize `n` elements to float64: exact widening for plain scalars, ggml's float32 result
// widened for block types. Throws InternalError for an unreadable type (callers check readable()).
void to_double(const TypeTraits& t, const std::byte* src, std::size_t n, double* dst);

}  // namespace qspectra::types
