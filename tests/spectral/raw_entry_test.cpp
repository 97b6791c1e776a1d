// SpectrumBackend::squared_singular_values_raw (the read path): the stored bytes of a row-major W give
// the spectrum the widened matrix gives, for every CPU method, dtype and shape; the unanalysable
// weights are counted, not solved.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "qspectra/spectral/backend.hpp"

namespace qspectra::spectral {
namespace {

// Row-major rows x cols values, float32-representable, heavy-ish tail.
std::vector<float> random_weights(int64_t rows, int64_t cols, unsigned seed) {
  std::mt19937 rng(seed);
  std::student_t_distribution<float> t(3.0f);
  std::vector<float> w(static_cast<std::size_t>(rows * cols));
  for (auto& v : w) v = 0.05f * t(rng);
  return w;
}

std::vector<std::byte> as_bytes(const std::vector<float>& w, io::DType dt) {
  std::vector<std::byte> out;
  for (float v : w) {
    std::byte b[8];
    std::size_t n = 0;
    if (dt == io::DType::F32) {
      std::memcpy(b, &v, 4);
      n = 4;
    } else if (dt == io::DType::F64) {
      const double d = v;
      std::memcpy(b, &d, 8);
      n = 8;
    } else if (dt == io::DType::BF16) {
      const auto u = static_cast<uint16_t>(std::bit_cast<uint32_t>(v) >> 16);
      std::memcpy(b, &u, 2);
      n = 2;
    }
    out.insert(out.end(), b, b + n);
  }
  return out;
}

// The matrix the bytes stand for, as the TensorData path builds it (column-major W).
Eigen::MatrixXd widened(const std::vector<std::byte>& bytes, io::DType dt, int64_t rows, int64_t cols) {
  std::vector<double> v(static_cast<std::size_t>(rows * cols));
  io::widen_to_double(dt, bytes.data(), v.size(), v.data());
  Eigen::MatrixXd W(rows, cols);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) W(i, j) = static_cast<float>(v[static_cast<std::size_t>(i * cols + j)]);
  return W;
}

TEST(RawEntry, SameSpectrumAsTheWidenedMatrix) {
  for (const std::string method : {"auto", "gram", "svd", "eigen"}) {
    const auto backend = make_backend(method);
    for (auto dt : {io::DType::F32, io::DType::BF16, io::DType::F64}) {
      for (auto [rows, cols] : {std::pair<int64_t, int64_t>{40, 17}, {17, 40}, {30, 30}}) {
        SCOPED_TRACE(method + " " + std::string(io::dtype_name(dt)) + " " + std::to_string(rows) + "x" +
                     std::to_string(cols));
        const auto bytes = as_bytes(random_weights(rows, cols, 3), dt);
        const auto raw = backend->squared_singular_values_raw(dt, bytes.data(), rows, cols, false);
        const auto ref = backend->squared_singular_values(widened(bytes, dt, rows, cols));
        EXPECT_EQ(raw.non_finite, 0);
        EXPECT_EQ(raw.method, ref.method);
        ASSERT_EQ(raw.evals.size(), ref.evals.size());
        const double lmax = ref.evals.maxCoeff();
        for (Eigen::Index i = 0; i < ref.evals.size(); ++i) EXPECT_NEAR(raw.evals[i], ref.evals[i], 1e-12 * lmax) << i;
      }
    }
  }
}

TEST(RawEntry, KeepF64KeepsTheDoubles) {
  const auto backend = make_backend("auto");
  const double w[] = {1.0 + 1e-12, 0.5, 0.25, 2.0, 0.0, 1.0};  // 2 x 3
  std::vector<std::byte> bytes(sizeof w);
  std::memcpy(bytes.data(), w, sizeof w);
  const auto kept = backend->squared_singular_values_raw(io::DType::F64, bytes.data(), 2, 3, true);
  Eigen::MatrixXd W(2, 3);
  W << w[0], w[1], w[2], w[3], w[4], w[5];
  const auto ref = backend->squared_singular_values(W);
  for (Eigen::Index i = 0; i < 2; ++i) EXPECT_NEAR(kept.evals[i], ref.evals[i], 1e-14);
}

TEST(RawEntry, UnanalysableWeightsAreCountedNotSolved) {
  for (const std::string precision : {"fp64", "fp32"}) {
    const auto backend = make_backend("auto", precision);
    auto w = random_weights(12, 9, 5);
    w[3] = std::numeric_limits<float>::quiet_NaN();
    w[50] = std::numeric_limits<float>::infinity();
    const auto bytes = as_bytes(w, io::DType::F32);
    const auto r = backend->squared_singular_values_raw(io::DType::F32, bytes.data(), 12, 9, false);
    EXPECT_EQ(r.non_finite, 2) << precision;
    EXPECT_EQ(r.evals.size(), 0) << precision;
  }
  // F64 beyond float32's range rounds to inf as WW reads it; kept as F64 it is analysable.
  const double big[] = {1e100, 1.0, 2.0, 3.0};
  std::vector<std::byte> bytes(sizeof big);
  std::memcpy(bytes.data(), big, sizeof big);
  EXPECT_EQ(make_backend("auto")->squared_singular_values_raw(io::DType::F64, bytes.data(), 2, 2, false).non_finite, 1);
  EXPECT_EQ(make_backend("auto")->squared_singular_values_raw(io::DType::F64, bytes.data(), 2, 2, true).non_finite, 0);
}

TEST(RawEntry, Fp32CloseToFp64AndMarksWhatItRedoes) {
  const auto f32 = make_backend("auto", "fp32");
  const auto f64 = make_backend("auto");
  // Well conditioned (tall, aspect 4): float32 resolves it.
  const auto bytes = as_bytes(random_weights(160, 40, 7), io::DType::F32);
  const auto a = f32->squared_singular_values_raw(io::DType::F32, bytes.data(), 160, 40, false);
  const auto b = f64->squared_singular_values_raw(io::DType::F32, bytes.data(), 160, 40, false);
  EXPECT_EQ(a.method, "gram32");
  for (Eigen::Index i = 0; i < b.evals.size(); ++i) EXPECT_NEAR(a.evals[i], b.evals[i], 1e-4 * b.evals[i]) << i;
  // Rank one: lambda_min / lambda_max is 0, float32 cannot resolve it: redone in fp64 (then svd).
  std::vector<float> r1(30 * 20);
  for (int i = 0; i < 30; ++i)
    for (int j = 0; j < 20; ++j) r1[static_cast<std::size_t>(i * 20 + j)] = float(i + 1) * float(j + 1) / 100.0f;
  const auto rb = as_bytes(r1, io::DType::F32);
  const auto c = f32->squared_singular_values_raw(io::DType::F32, rb.data(), 30, 20, false);
  EXPECT_EQ(c.method, "gram32->gram->svd");
  const auto d = f64->squared_singular_values_raw(io::DType::F32, rb.data(), 30, 20, false);
  for (Eigen::Index i = 0; i < d.evals.size(); ++i) EXPECT_EQ(c.evals[i], d.evals[i]) << i;
  // The matrix entry point follows the same rule.
  EXPECT_EQ(f32->squared_singular_values(widened(rb, io::DType::F32, 30, 20)).method, "gram32->gram->svd");
}

TEST(RawEntry, Fp32SquareGoesToSgesdd) {
  const auto f32 = make_backend("auto", "fp32");
  const auto f64 = make_backend("auto");
  // Square and random: sigma_min / sigma_max ~ 1 / (2n), lambda_min ~ 1e-5 lambda_max, which sgesdd
  // resolves far better than a float32 Gram (which knows it only to ~u32 * lambda_max absolute).
  const int n = 96;
  const auto bytes = as_bytes(random_weights(n, n, 11), io::DType::F32);
  const auto a = f32->squared_singular_values_raw(io::DType::F32, bytes.data(), n, n, false);
  const auto b = f64->squared_singular_values_raw(io::DType::F32, bytes.data(), n, n, false);
  EXPECT_EQ(a.method, "svd32");
  ASSERT_EQ(a.evals.size(), b.evals.size());
  EXPECT_LT(b.evals[0], 1e-3 * b.evals[n - 1]);  // the case a float32 Gram is poor at
  // sgesdd's singular values carry ~u32 * sigma_max absolute error: lambda_i = sigma_i^2 then
  // ~2 u32 sigma_i sigma_max (u32 = 2^-24; 8x that as the bound).
  const double smax = std::sqrt(b.evals[n - 1]);
  for (Eigen::Index i = 0; i < b.evals.size(); ++i)
    EXPECT_NEAR(a.evals[i], b.evals[i], 16 * 0x1p-24 * std::sqrt(b.evals[i]) * smax) << i;
  EXPECT_EQ(f32->squared_singular_values(widened(bytes, io::DType::F32, n, n)).method, "svd32");
  // Square and rank one: sigma_min is 0, below float32's resolution: redone in fp64, marked.
  std::vector<float> r1(20 * 20);
  for (int i = 0; i < 20; ++i)
    for (int j = 0; j < 20; ++j) r1[static_cast<std::size_t>(i * 20 + j)] = float(i + 1) * float(j + 1) / 100.0f;
  const auto rb = as_bytes(r1, io::DType::F32);
  const auto c = f32->squared_singular_values_raw(io::DType::F32, rb.data(), 20, 20, false);
  EXPECT_EQ(c.method, "svd32->gram->svd");
  const auto d = f64->squared_singular_values_raw(io::DType::F32, rb.data(), 20, 20, false);
  for (Eigen::Index i = 0; i < d.evals.size(); ++i) EXPECT_EQ(c.evals[i], d.evals[i]) << i;
  EXPECT_EQ(f32->squared_singular_values(widened(rb, io::DType::F32, 20, 20)).method, "svd32->gram->svd");
}

TEST(RawEntry, Fp32LargeSquareGoesStraightToFp64) {
  // From order 2048 on, even a random square W is beyond a float32 Gram and sgesdd costs more than
  // the fp64 Gram: fp32 runs the exact path at once (same numbers, its method).
  const int n = 2048;
  const auto bytes = as_bytes(random_weights(n, n, 5), io::DType::BF16);
  const auto a = make_backend("auto", "fp32")->squared_singular_values_raw(io::DType::BF16, bytes.data(), n, n, false);
  const auto b = make_backend("auto")->squared_singular_values_raw(io::DType::BF16, bytes.data(), n, n, false);
  EXPECT_EQ(a.method, b.method);
  EXPECT_EQ(a.method.find("32"), std::string::npos) << a.method;
  ASSERT_EQ(a.evals.size(), n);
  EXPECT_TRUE(a.evals == b.evals);
}

TEST(RawEntry, EmptyMatrixAndBadBuffer) {
  const auto backend = make_backend("auto");
  EXPECT_EQ(backend->squared_singular_values_raw(io::DType::F32, nullptr, 0, 5, false).evals.size(), 0);
  EXPECT_ANY_THROW((void)backend->squared_singular_values_raw(io::DType::F32, nullptr, 3, 5, false));
}

TEST(Fp32Resolves, Rule) {
  Eigen::VectorXd ok(4), low(4), zero(2), nan(2);
  ok << 0.5, 1, 2, 3;
  low << 1e-9, 1, 2, 3;
  zero << 0, 0;
  nan << 1, std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(fp32_resolves(ok));
  EXPECT_FALSE(fp32_resolves(low));
  EXPECT_FALSE(fp32_resolves(zero));
  EXPECT_FALSE(fp32_resolves(nan));
  EXPECT_TRUE(fp32_resolves(Eigen::VectorXd()));
}

}  // namespace
}  // namespace qspectra::spectral
