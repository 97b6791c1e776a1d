#pragma once
// A tensor's values, widened to float64 (exactly, see io/dtype.hpp), row-major, with its shape.
// This is the one in-memory form that flows from io to quant and spectral: one layer at a time.
#include <cstdint>
#include <string>
#include <vector>

namespace qspectra {

struct TensorData {
  std::vector<int64_t> shape;   // as stored, e.g. [out, in] or [out, in, kh, kw]
  std::vector<double> values;   // row-major (C order), size == product(shape)

  int64_t numel() const {
    int64_t n = 1;
    for (auto d : shape) n *= d;
    return n;
  }
};

std::string shape_to_string(const std::vector<int64_t>& shape);  // "128x512"; "" for a scalar

}  // namespace qspectra
