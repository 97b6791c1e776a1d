// SpectrumBackend::squared_singular_values_raw's default: W as stored (row-major rows x cols, little-endian
// dtype; keep_f64 = false rounds to float32 as WW reads tensors) widened on the host into the
// column-major float64 matrix the CPU backends take. Backends that can do better (CUDA: widen on the
// device) override it.
#include <vector>

#include "qspectra/core/error.hpp"
#include "qspectra/spectral/backend.hpp"

namespace qspectra::spectral {

MatrixSpectrum SpectrumBackend::squared_singular_values_raw(io::DType dtype, const std::byte* data, int64_t rows,
                                                            int64_t cols, bool keep_f64) const {
  if (rows < 0 || cols < 0 || (rows * cols > 0 && data == nullptr))
    throw InternalError("squared_singular_values_raw: bad buffer for a " + std::to_string(rows) + "x" +
                        std::to_string(cols) + " matrix");
  if (!io::dtype_readable(dtype)) throw InternalError("squared_singular_values_raw: " + io::dtype_skip_reason(dtype));
  Eigen::MatrixXd W(rows, cols);
  const std::size_t esz = io::dtype_bits(dtype) / 8;
  std::vector<double> row(static_cast<std::size_t>(cols));
  for (int64_t i = 0; i < rows; ++i) {  // one stored row at a time: bounded extra memory
    io::widen_to_double(dtype, data + static_cast<std::size_t>(i) * static_cast<std::size_t>(cols) * esz,
                        row.size(), row.data());
    for (int64_t j = 0; j < cols; ++j)
      W(i, j) = keep_f64 ? row[static_cast<std::size_t>(j)]
                         : static_cast<double>(static_cast<float>(row[static_cast<std::size_t>(j)]));
  }
  return squared_singular_values(W);
}

}  // namespace qspectra::spectral
