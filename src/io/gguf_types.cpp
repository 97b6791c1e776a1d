// The GGML tensor types a GGUF file may hold (ggml.h's ggml_type ids with ggml.c's block sizes) and
// their dequantization to float32 as ggml's to_float does. Ids ggml removed (4, 5, 31-33, 36-38) and
// ids it added later are unknown here: their tensors are skipped, never the file.
#include <algorithm>
#include <array>
#include <optional>
#include <cstring>

#include "qspectra/core/error.hpp"
#include "qspectra/io/dtype.hpp"
#include "qspectra/io/gguf.hpp"

namespace qspectra::io {
namespace {

constexpr std::array<GgmlTypeInfo, 32> kTypes{{
    {0, "F32", 1, 4},       {1, "F16", 1, 2},        {2, "Q4_0", 32, 18},     {3, "Q4_1", 32, 20},
    {6, "Q5_0", 32, 22},    {7, "Q5_1", 32, 24},     {8, "Q8_0", 32, 34},     {9, "Q8_1", 32, 36},
    {10, "Q2_K", 256, 84},  {11, "Q3_K", 256, 110},  {12, "Q4_K", 256, 144},  {13, "Q5_K", 256, 176},
    {14, "Q6_K", 256, 210}, {15, "Q8_K", 256, 292},  {16, "IQ2_XXS", 256, 66}, {17, "IQ2_XS", 256, 74},
    {18, "IQ3_XXS", 256, 98}, {19, "IQ1_S", 256, 50}, {20, "IQ4_NL", 32, 18},  {21, "IQ3_S", 256, 110},
    {22, "IQ2_S", 256, 82}, {23, "IQ4_XS", 256, 136}, {24, "I8", 1, 1},       {25, "I16", 1, 2},
    {26, "I32", 1, 4},      {27, "I64", 1, 8},       {28, "F64", 1, 8},       {29, "IQ1_M", 256, 56},
    {30, "BF16", 1, 2},     {34, "TQ1_0", 256, 54},  {35, "TQ2_0", 256, 66},  {39, "MXFP4", 32, 17},
}};

// Plain element types: the safetensors dtype of the same bytes.
std::optional<DType> plain_dtype(uint32_t id) {
  switch (id) {
    case 0: return DType::F32;
    case 1: return DType::F16;
    case 24: return DType::I8;
    case 25: return DType::I16;
    case 26: return DType::I32;
    case 27: return DType::I64;
    case 28: return DType::F64;
    case 30: return DType::BF16;
    default: return std::nullopt;
  }
}

// Q8_0: 32 int8 values and one fp16 scale (dequantize_row_q8_0).
void dequantize_q8_0(const std::byte* src, std::size_t n, float* dst) {
  for (std::size_t b = 0; b < n / 32; ++b, src += 34, dst += 32) {
    uint16_t h;
    std::memcpy(&h, src, 2);
    const float d = static_cast<float>(f16_to_double(h));
    for (int j = 0; j < 32; ++j) dst[j] = static_cast<float>(static_cast<int8_t>(src[2 + j])) * d;
  }
}

}  // namespace

const GgmlTypeInfo* ggml_type_info(uint32_t id) {
  for (const auto& t : kTypes)
    if (t.id == id) return &t;
  return nullptr;
}

bool ggml_type_readable(uint32_t id) { return plain_dtype(id).has_value() || id == 8; }

void ggml_dequantize(uint32_t id, const std::byte* src, std::size_t n, float* dst) {
  const auto* ti = ggml_type_info(id);
  if (!ti || n % ti->block_size != 0) throw InternalError("ggml_dequantize: bad type or length");
  if (const auto dt = plain_dtype(id)) {
    // Exact widening, then to float as ggml's to_float (I8..I64 and F64 have none in ggml; read() widens
    // them to double directly).
    double buf[256];
    for (std::size_t k = 0; k < n; k += 256) {
      const std::size_t m = std::min<std::size_t>(256, n - k);
      widen_to_double(*dt, src + k * ti->type_size, m, buf);
      for (std::size_t j = 0; j < m; ++j) dst[k + j] = static_cast<float>(buf[j]);
    }
    return;
  }
  if (id == 8) return dequantize_q8_0(src, n, dst);
  throw InternalError("ggml_dequantize: no dequantizer for " + std::string(ti->name));
}

}  // namespace qspectra::io
