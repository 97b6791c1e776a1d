// The one table of element types (see element_type.hpp). Sizes and ids follow ggml-org/ggml @
// d99724f (ggml.c type_traits[], ggml.h enum ggml_type) and the safetensors spec.
#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

#include "qspectra/core/error.hpp"
#include "qspectra/types/element_type.hpp"
#include "row_functions.hpp"

namespace qspectra::types {
namespace {

using E = ElementType;
using namespace detail;

constexpr std::string_view kGridReason = "IQ1/IQ2/IQ3 grid codebooks are not implemented";

// clang-format off
constexpr std::array kTable{
  //         name        safetensors  ggml  ggml name   blk bytes to_float          to_double          from_float      unsupported
  TypeTraits{E::F64,     "f64",     "F64",     28, "f64",     1, 8, f64_to_float,     f64_to_double,     nullptr,        ""},
  TypeTraits{E::F32,     "f32",     "F32",      0, "f32",     1, 4, f32_to_float,     f32_to_double,     float_to_f32,   ""},
  TypeTraits{E::F16,     "f16",     "F16",      1, "f16",     1, 2, f16_to_float,     f16_to_double,     float_to_f16,   ""},
  TypeTraits{E::BF16,    "bf16",    "BF16",    30, "bf16",    1, 2, bf16_to_float,    bf16_to_double,    float_to_bf16,  ""},
  TypeTraits{E::F8_E4M3, "f8_e4m3", "F8_E4M3", -1, "",        1, 1, f8_e4m3_to_float, f8_e4m3_to_double, nullptr,        ""},
  TypeTraits{E::F8_E5M2, "f8_e5m2", "F8_E5M2", -1, "",        1, 1, f8_e5m2_to_float, f8_e5m2_to_double, nullptr,        ""},
  TypeTraits{E::I8,      "i8",      "I8",      24, "i8",      1, 1, i8_to_float,      i8_to_double,      nullptr,        ""},
  TypeTraits{E::U8,      "u8",      "U8",      -1, "",        1, 1, u8_to_float,      u8_to_double,      nullptr,        ""},
  TypeTraits{E::I16,     "i16",     "I16",     25, "i16",     1, 2, i16_to_float,     i16_to_double,     nullptr,        ""},
  TypeTraits{E::U16,     "u16",     "U16",     -1, "",        1, 2, u16_to_float,     u16_to_double,     nullptr,        ""},
  TypeTraits{E::I32,     "i32",     "I32",     26, "i32",     1, 4, i32_to_float,     i32_to_double,     nullptr,        ""},
  TypeTraits{E::U32,     "u32",     "U32",     -1, "",        1, 4, u32_to_float,     u32_to_double,     nullptr,        ""},
  TypeTraits{E::I64,     "i64",     "I64",     27, "i64",     1, 8, i64_to_float,     i64_to_double,     nullptr,        ""},
  TypeTraits{E::U64,     "u64",     "U64",     -1, "",        1, 8, u64_to_float,     u64_to_double,     nullptr,        ""},
  TypeTraits{E::BOOL,    "bool",    "BOOL",    -1, "",        1, 1, bool_to_float,    bool_to_double,    nullptr,        ""},
  TypeTraits{E::C64,         "c64",         "C64",         -1, "", 1, 8, nullptr, nullptr, nullptr, "complex"},
  TypeTraits{E::F8_E8M0,     "f8_e8m0",     "F8_E8M0",     -1, "", 1, 1, nullptr, nullptr, nullptr, "scale-only exponent format"},
  TypeTraits{E::F8_E4M3FNUZ, "f8_e4m3fnuz", "F8_E4M3FNUZ", -1, "", 1, 1, nullptr, nullptr, nullptr, "FNUZ variant"},
  TypeTraits{E::F8_E5M2FNUZ, "f8_e5m2fnuz", "F8_E5M2FNUZ", -1, "", 1, 1, nullptr, nullptr, nullptr, "FNUZ variant"},
  TypeTraits{E::F4,          "f4",          "F4",          -1, "", 2, 1, nullptr, nullptr, nullptr, "packed 4-bit"},
  TypeTraits{E::F6_E2M3,     "f6_e2m3",     "F6_E2M3",     -1, "", 4, 3, nullptr, nullptr, nullptr, "packed 6-bit"},
  TypeTraits{E::F6_E3M2,     "f6_e3m2",     "F6_E3M2",     -1, "", 4, 3, nullptr, nullptr, nullptr, "packed 6-bit"},
  // fallback: llama-quantize's type for rows that are not whole blocks, as ggml-org/llama.cpp
  // src/llama-quant.cpp @ 007dbbf tensor_type_fallback() has it: IQ1_*, IQ2_*, IQ3_*, IQ4_XS -> IQ4_NL;
  // Q2_K, Q3_K, TQ1_0, TQ2_0 -> Q4_0; Q4_K -> Q5_0; Q5_K -> Q5_1; Q6_K -> Q8_0; a fallback that still does
  // not divide the row -> F16; any other type throws "no tensor type fallback is defined" (we take F16).
  // Older llama.cpp (@ 8784689, convert_incompatible_tensor) sent Q2_K and Q3_K to IQ4_NL instead.
  //         name        safetensors ggml  ggml name   blk  bytes to_float           to_double from_float       unsupported fallback
  TypeTraits{E::Q4_0,    "q4_0",    "",   2, "q4_0",    32,  18, dequantize_q4_0,   nullptr, quantize_q4_0,   "", E::F16},
  TypeTraits{E::Q4_1,    "q4_1",    "",   3, "q4_1",    32,  20, dequantize_q4_1,   nullptr, quantize_q4_1,   "", E::F16},
  TypeTraits{E::Q5_0,    "q5_0",    "",   6, "q5_0",    32,  22, dequantize_q5_0,   nullptr, quantize_q5_0,   "", E::F16},
  TypeTraits{E::Q5_1,    "q5_1",    "",   7, "q5_1",    32,  24, dequantize_q5_1,   nullptr, quantize_q5_1,   "", E::F16},
  TypeTraits{E::Q8_0,    "q8_0",    "",   8, "q8_0",    32,  34, dequantize_q8_0,   nullptr, quantize_q8_0,   "", E::F16},
  TypeTraits{E::Q2_K,    "q2_k",    "",  10, "q2_K",   256,  84, dequantize_q2_k,   nullptr, quantize_q2_k,   "", E::Q4_0},
  TypeTraits{E::Q3_K,    "q3_k",    "",  11, "q3_K",   256, 110, dequantize_q3_k,   nullptr, quantize_q3_k,   "", E::Q4_0},
  TypeTraits{E::Q4_K,    "q4_k",    "",  12, "q4_K",   256, 144, dequantize_q4_k,   nullptr, quantize_q4_k,   "", E::Q5_0},
  TypeTraits{E::Q5_K,    "q5_k",    "",  13, "q5_K",   256, 176, dequantize_q5_k,   nullptr, quantize_q5_k,   "", E::Q5_1},
  TypeTraits{E::Q6_K,    "q6_k",    "",  14, "q6_K",   256, 210, dequantize_q6_k,   nullptr, quantize_q6_k,   "", E::Q8_0},
  TypeTraits{E::IQ4_NL,  "iq4_nl",  "",  20, "iq4_nl",  32,  18, dequantize_iq4_nl, nullptr, quantize_iq4_nl, "", E::F16},
  TypeTraits{E::IQ4_XS,  "iq4_xs",  "",  23, "iq4_xs", 256, 136, dequantize_iq4_xs, nullptr, quantize_iq4_xs, "", E::IQ4_NL},
  TypeTraits{E::TQ1_0,   "tq1_0",   "",  34, "tq1_0",  256,  54, dequantize_tq1_0,  nullptr, quantize_tq1_0,  "", E::Q4_0},
  TypeTraits{E::TQ2_0,   "tq2_0",   "",  35, "tq2_0",  256,  66, dequantize_tq2_0,  nullptr, quantize_tq2_0,  "", E::Q4_0},
  TypeTraits{E::MXFP4,   "mxfp4",   "",  39, "mxfp4",   32,  17, dequantize_mxfp4,  nullptr, quantize_mxfp4,  "", E::F16},
  TypeTraits{E::Q8_1,    "q8_1",    "",   9, "q8_1",    32,  36, nullptr, nullptr, nullptr, "Q8_1 is ggml's internal activation format"},
  TypeTraits{E::Q8_K,    "q8_k",    "",  15, "q8_K",   256, 292, nullptr, nullptr, nullptr, "Q8_K is ggml's internal activation format"},
  TypeTraits{E::IQ2_XXS, "iq2_xxs", "",  16, "iq2_xxs", 256,  66, nullptr, nullptr, nullptr, kGridReason, E::IQ4_NL},
  TypeTraits{E::IQ2_XS,  "iq2_xs",  "",  17, "iq2_xs",  256,  74, nullptr, nullptr, nullptr, kGridReason, E::IQ4_NL},
  TypeTraits{E::IQ3_XXS, "iq3_xxs", "",  18, "iq3_xxs", 256,  98, nullptr, nullptr, nullptr, kGridReason, E::IQ4_NL},
  TypeTraits{E::IQ1_S,   "iq1_s",   "",  19, "iq1_s",   256,  50, nullptr, nullptr, nullptr, kGridReason, E::IQ4_NL},
  TypeTraits{E::IQ3_S,   "iq3_s",   "",  21, "iq3_s",   256, 110, nullptr, nullptr, nullptr, kGridReason, E::IQ4_NL},
  TypeTraits{E::IQ2_S,   "iq2_s",   "",  22, "iq2_s",   256,  82, nullptr, nullptr, nullptr, kGridReason, E::IQ4_NL},
  TypeTraits{E::IQ1_M,   "iq1_m",   "",  29, "iq1_m",   256,  56, nullptr, nullptr, nullptr, kGridReason, E::IQ4_NL},
  TypeTraits{E::NVFP4,   "nvfp4",   "",  40, "nvfp4",    64,  36, nullptr, nullptr, nullptr, "NVFP4 is not implemented"},
};
// clang-format on

constexpr bool in_enum_order() {
  for (std::size_t i = 0; i < kTable.size(); ++i)
    if (static_cast<std::size_t>(kTable[i].type) != i) return false;
  return true;
}
static_assert(in_enum_order(), "kTable rows must follow ElementType order");

// Type ids ggml once had and removed (a file written with them is from an old or forked ggml).
constexpr std::array<uint32_t, 8> kRemovedIds{4, 5, 31, 32, 33, 36, 37, 38};

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::span<const TypeTraits> all_types() { return kTable; }

const TypeTraits& traits(ElementType t) { return kTable[static_cast<std::size_t>(t)]; }

const TypeTraits* find_by_name(std::string_view name) {
  for (const auto& r : kTable)
    if (iequal(r.name, name)) return &r;
  return nullptr;
}

const TypeTraits* find_by_safetensors_name(std::string_view name) {
  if (name.empty()) return nullptr;
  for (const auto& r : kTable)
    if (r.safetensors_name == name) return &r;
  return nullptr;
}

const TypeTraits* find_by_ggml_id(uint32_t id) {
  for (const auto& r : kTable)
    if (r.ggml_id >= 0 && static_cast<uint32_t>(r.ggml_id) == id) return &r;
  return nullptr;
}

std::string ggml_unsupported_reason(uint32_t id) {
  if (const auto* t = find_by_ggml_id(id)) {
    if (t->readable()) return {};
    return "GGML type " + std::string(t->ggml_name) + " (id " + std::to_string(id) + ") is not supported: " +
           std::string(t->unsupported);
  }
  if (std::find(kRemovedIds.begin(), kRemovedIds.end(), id) != kRemovedIds.end())
    return "GGML type id " + std::to_string(id) + " was removed from ggml (repacked or obsolete layout)";
  return "unknown GGML type id " + std::to_string(id);
}

ElementType row_type(ElementType wanted, std::size_t n) {
  if (n % traits(wanted).block_size == 0) return wanted;
  const ElementType fallback = traits(wanted).fallback;
  return n % traits(fallback).block_size == 0 ? fallback : ElementType::F16;
}

std::size_t row_bytes(const TypeTraits& t, std::size_t n, const std::string& where) {
  if (n % t.block_size != 0)
    throw InputError(where, "row length " + std::to_string(n) + " is not a multiple of the " + std::string(t.name) +
                                " block size " + std::to_string(t.block_size));
  return n / t.block_size * t.block_bytes;
}

void to_double(const TypeTraits& t, const std::byte* src, std::size_t n, double* dst) {
  if (t.to_double) return t.to_double(src, dst, n);
  if (!t.to_float) throw InternalError("to_double: " + std::string(t.name) + " is not readable: " + std::string(t.unsupported));
  if (n % t.block_size != 0)
    throw InternalError("to_double: " + std::to_string(n) + " elements is not a multiple of the " + std::string(t.name) +
                        " block size");
  // Dequantize in chunks of whole blocks through a small float buffer (bounded memory).
  const std::size_t chunk_blocks = std::max<std::size_t>(1, 4096 / t.block_size);
  std::vector<float> buf(chunk_blocks * t.block_size);
  for (std::size_t done = 0; done < n;) {
    const std::size_t count = std::min(n - done, buf.size());
    t.to_float(src + done / t.block_size * t.block_bytes, buf.data(), count);
    for (std::size_t i = 0; i < count; ++i) dst[done + i] = buf[i];
    done += count;
  }
}

}  // namespace qspectra::types
