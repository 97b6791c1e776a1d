#pragma once
// Comparisons of our row (de)quantizers with ggml's own output, shared by the in-tree and the full
// oracle tests: bit-for-bit floats, byte-for-byte blocks, with a count of what differs.
#include <cstring>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "qspectra/types/element_type.hpp"

namespace qspectra::types::test {

// Dequantize `rows` rows of `cols` elements from `bytes` and compare with `golden` bit for bit.
// Returns an empty string when equal, else a description of the first difference and the count.
inline std::string compare_dequant(const TypeTraits& t, std::span<const std::byte> bytes, std::span<const float> golden,
                                   std::size_t rows, std::size_t cols) {
  const std::size_t rb = cols / t.block_size * t.block_bytes;
  if (bytes.size() != rows * rb || golden.size() != rows * cols) return "size mismatch";
  std::vector<float> out(cols);
  std::size_t diffs = 0;
  std::ostringstream first;
  for (std::size_t r = 0; r < rows; ++r) {
    t.to_float(bytes.data() + r * rb, out.data(), cols);
    for (std::size_t c = 0; c < cols; ++c) {
      if (std::memcmp(&out[c], &golden[r * cols + c], sizeof(float)) != 0) {
        if (diffs++ == 0) first << "row " << r << " col " << c << ": ours " << out[c] << " ggml " << golden[r * cols + c];
      }
    }
  }
  if (diffs == 0) return {};
  return std::to_string(diffs) + " floats differ, first at " + first.str();
}

// Quantize the source rows and compare with ggml's bytes block by block.
inline std::string compare_quant(const TypeTraits& t, std::span<const float> source, std::span<const std::byte> golden,
                                 std::size_t rows, std::size_t cols) {
  const std::size_t rb = cols / t.block_size * t.block_bytes;
  if (golden.size() != rows * rb || source.size() != rows * cols) return "size mismatch";
  std::vector<std::byte> out(rb);
  std::size_t diffs = 0, blocks = 0;
  std::ostringstream first;
  for (std::size_t r = 0; r < rows; ++r) {
    t.from_float(source.data() + r * cols, out.data(), cols);
    for (std::size_t b = 0; b < rb / t.block_bytes; ++b, ++blocks) {
      if (std::memcmp(out.data() + b * t.block_bytes, golden.data() + r * rb + b * t.block_bytes, t.block_bytes) != 0) {
        if (diffs++ == 0) first << "row " << r << " block " << b;
      }
    }
  }
  if (diffs == 0) return {};
  return std::to_string(diffs) + " of " + std::to_string(blocks) + " blocks differ, first at " + first.str();
}

}  // namespace qspectra::types::test
