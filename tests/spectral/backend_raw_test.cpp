// SpectrumBackend::squared_singular_values_raw's default (host widening): the same spectrum as the
// float64 matrix built by hand, with F64 rounded to float32 unless keep_f64.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "qspectra/io/dtype.hpp"
#include "qspectra/spectral/backend.hpp"

namespace sp = qspectra::spectral;
namespace io = qspectra::io;

namespace {

TEST(BackendRaw, DefaultWidensOnTheHostAsStored) {
  const int rows = 7, cols = 12;
  std::mt19937 rng(4);
  std::vector<uint16_t> b16(rows * cols);
  std::vector<double> f64(rows * cols);
  Eigen::MatrixXd Wb(rows, cols), Wd(rows, cols), Wd32(rows, cols);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) {
      const std::size_t k = static_cast<std::size_t>(i) * cols + j;  // row-major, as stored
      b16[k] = static_cast<uint16_t>(((rng() & 1u) << 15) | ((120u + rng() % 10u) << 7) | (rng() & 0x7Fu));
      f64[k] = static_cast<double>(rng() % 100000) / 7.0 - 7000.0;
      Wb(i, j) = io::bf16_to_double(b16[k]);
      Wd(i, j) = f64[k];
      Wd32(i, j) = static_cast<double>(static_cast<float>(f64[k]));
    }
  const auto backend = sp::make_backend("svd");
  auto raw = [&](io::DType dt, const void* p, bool keep) {
    return backend->squared_singular_values_raw(dt, static_cast<const std::byte*>(p), rows, cols, keep).evals;
  };
  EXPECT_EQ(raw(io::DType::BF16, b16.data(), false), backend->squared_singular_values(Wb).evals);
  EXPECT_EQ(raw(io::DType::BF16, b16.data(), true), backend->squared_singular_values(Wb).evals);
  EXPECT_EQ(raw(io::DType::F64, f64.data(), true), backend->squared_singular_values(Wd).evals);
  EXPECT_EQ(raw(io::DType::F64, f64.data(), false), backend->squared_singular_values(Wd32).evals);
}

TEST(BackendRaw, EmptyMatrixAndBadBuffer) {
  const auto backend = sp::make_backend("auto");
  EXPECT_EQ(backend->squared_singular_values_raw(io::DType::F32, nullptr, 0, 5, false).evals.size(), 0);
  EXPECT_ANY_THROW((void)backend->squared_singular_values_raw(io::DType::F32, nullptr, 3, 5, false));
}

}  // namespace
