// CUDA spectrum backend (issue 7). Without a GPU every device test reports SKIPPED with the reason
// ("no CUDA device: ..."); the status/usage tests run everywhere the component is built.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "qspectra/core/error.hpp"
#include "qspectra/io/dtype.hpp"
#include "qspectra/io/model_dir.hpp"
#include "qspectra/metrics/powerlaw.hpp"
#include "qspectra/spectral/backend.hpp"
#include "qspectra/spectral/cuda.hpp"

namespace qs = qspectra;
namespace sp = qspectra::spectral;

namespace {

#define REQUIRE_CUDA_DEVICE()                                   \
  do {                                                          \
    const auto _st = sp::cuda_device_status();                  \
    if (!_st.available) GTEST_SKIP() << _st.message;            \
  } while (0)

Eigen::MatrixXd random_matrix(Eigen::Index r, Eigen::Index c, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  Eigen::MatrixXd W(r, c);
  // A power-law-ish column scaling, so the spectrum is spread like a trained layer's.
  for (Eigen::Index j = 0; j < c; ++j) {
    const double s = std::pow(1.0 + static_cast<double>(j), -0.3);
    for (Eigen::Index i = 0; i < r; ++i) W(i, j) = static_cast<float>(g(rng) * s);  // float32 values
  }
  return W;
}

// Element-wise |a - b| <= tol * max(b): the absolute accuracy of a backward-stable solver.
void expect_spectra_near(const Eigen::VectorXd& a, const Eigen::VectorXd& b, double rel_to_max,
                         const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  if (b.size() == 0) return;
  const double scale = std::max(b.maxCoeff(), 1e-300);
  for (Eigen::Index i = 0; i < a.size(); ++i)
    ASSERT_NEAR(a[i], b[i], rel_to_max * scale) << what << " index " << i;
  for (Eigen::Index i = 1; i < a.size(); ++i) ASSERT_LE(a[i - 1], a[i]) << what << ": not ascending";
}

// The spectra issue's acceptance: the same xmin index and alpha within 1e-9 relative.
void expect_same_fit(const std::vector<double>& got, const std::vector<double>& want, const std::string& what) {
  const auto a = qspectra::metrics::fit_powerlaw(got), b = qspectra::metrics::fit_powerlaw(want);
  EXPECT_EQ(a.xmin_index, b.xmin_index) << what;
  if (std::isfinite(b.alpha)) EXPECT_NEAR(a.alpha, b.alpha, 1e-9 * std::abs(b.alpha)) << what;
}

std::vector<double> to_std(const Eigen::VectorXd& v) { return {v.data(), v.data() + v.size()}; }

}  // namespace

// ---- everywhere the component is built (no device needed) -------------------------------------

TEST(CudaStatus, ReportsOneLineWithoutCrashing) {
  const auto st = sp::cuda_device_status();
  EXPECT_FALSE(st.message.empty());
  EXPECT_EQ(st.message.find('\n'), std::string::npos) << st.message;
  if (st.available) {
    EXPECT_GT(st.device_count, 0);
  } else {
    EXPECT_EQ(st.device_count, 0);
    // No device, or the plugin itself could not be loaded (cuda_plugin_test.cpp covers that).
    EXPECT_TRUE(st.message.rfind("no CUDA device: ", 0) == 0 ||
                st.message.rfind("cannot load the CUDA backend: ", 0) == 0)
        << st.message;
  }
  std::printf("cuda_device_status: %s\n", st.message.c_str());
}

TEST(CudaStatus, UnknownMethodIsAUsageError) {
  try {
    (void)sp::make_cuda_backend("qr");
    FAIL() << "expected UsageError";
  } catch (const qs::Error& e) {
    EXPECT_EQ(e.kind(), qs::ErrorKind::Usage);
    EXPECT_NE(std::string(e.what()).find("qr"), std::string::npos);
  }
}

TEST(CudaStatus, NoDeviceGivesTheStatusMessageAsAnInternalError) {
  const auto st = sp::cuda_device_status();
  if (st.available) GTEST_SKIP() << "a CUDA device is present (" << st.message << ")";
  try {
    (void)sp::make_cuda_backend("gram");
    FAIL() << "expected an error without a device";
  } catch (const qs::Error& e) {
    EXPECT_EQ(e.kind(), qs::ErrorKind::Internal);
    EXPECT_EQ(std::string(e.what()), st.message);
  }
}

TEST(CudaStatus, ParsesGpuPrecision) {
  EXPECT_EQ(sp::parse_gpu_precision("fp64"), sp::GpuPrecision::FP64);
  EXPECT_EQ(sp::parse_gpu_precision("fp32"), sp::GpuPrecision::FP32);
  EXPECT_THROW(sp::parse_gpu_precision("fp16"), qs::UsageError);
}

// ---- device tests (SKIPPED with the reason when there is no GPU) ------------------------------

TEST(CudaBackend, DeviceIndexOutOfRangeIsAUsageError) {
  REQUIRE_CUDA_DEVICE();
  const int n = sp::cuda_device_status().device_count;
  EXPECT_THROW((void)sp::make_cuda_backend("svd", n), qs::UsageError);
}

TEST(CudaBackend, RandomMatricesMatchTheCpu) {
  REQUIRE_CUDA_DEVICE();
  const std::vector<std::pair<int, int>> shapes = {{10, 10}, {64, 64}, {37, 5}, {5, 37}, {128, 512},
                                                   {512, 128}, {300, 301}, {1, 9}};
  for (const char* method : {"svd", "gram", "auto"}) {
    const auto cpu = sp::make_backend(method);
    const auto gpu = sp::make_cuda_backend(method);
    unsigned seed = 1;
    for (auto [r, c] : shapes) {
      const Eigen::MatrixXd W = random_matrix(r, c, seed++);
      const auto want = cpu->squared_singular_values(W);
      const auto got = gpu->squared_singular_values(W);
      const std::string what = std::string(method) + " " + std::to_string(r) + "x" + std::to_string(c);
      // svd vs dgesdd: both backward stable, ~k*eps*lambda_max; gram: the same order (same rule).
      expect_spectra_near(got.evals, want.evals, 1e-11, what);
      EXPECT_EQ(got.method, want.method) << what;
      expect_same_fit(to_std(got.evals), to_std(want.evals), what);
    }
  }
}

TEST(CudaBackend, Fp32IsCloseToFp64) {
  REQUIRE_CUDA_DEVICE();
  const auto cpu = sp::make_backend("svd");
  for (const char* method : {"svd", "gram"}) {
    const auto gpu = sp::make_cuda_backend(method, 0, sp::GpuPrecision::FP32);
    const Eigen::MatrixXd W = random_matrix(200, 500, 7);
    // float32 solver: ~k * 6e-8 relative to lambda_max.
    expect_spectra_near(gpu->squared_singular_values(W).evals, cpu->squared_singular_values(W).evals, 1e-4,
                        std::string("fp32 ") + method);
  }
}

TEST(CudaBackend, BatchEqualsOneByOneAndEmptyMatricesWork) {
  REQUIRE_CUDA_DEVICE();
  const auto backend = sp::make_cuda_backend("auto");
  const auto& cuda = dynamic_cast<const sp::CudaSpectrumBackend&>(*backend);
  std::vector<Eigen::MatrixXd> Ws;
  for (unsigned i = 0; i < 9; ++i) Ws.push_back(random_matrix(64 + 8 * i, 32 + 16 * i, 100 + i));
  Ws.emplace_back(0, 5);
  const auto batch = cuda.squared_singular_values_batch(Ws);
  ASSERT_EQ(batch.size(), Ws.size());
  for (std::size_t i = 0; i < Ws.size(); ++i) {
    const auto one = cuda.squared_singular_values(Ws[i]);
    ASSERT_EQ(one.evals.size(), batch[i].evals.size());
    for (Eigen::Index j = 0; j < one.evals.size(); ++j) EXPECT_EQ(one.evals[j], batch[i].evals[j]);
  }
  EXPECT_EQ(batch.back().evals.size(), 0);
}

TEST(CudaBackend, RawBytesAreWidenedOnTheDevice) {
  REQUIRE_CUDA_DEVICE();
  const auto backend = sp::make_cuda_backend("svd");
  const auto& cuda = dynamic_cast<const sp::CudaSpectrumBackend&>(*backend);
  const auto cpu = sp::make_backend("svd");
  const int rows = 48, cols = 80;
  std::mt19937 rng(3);
  std::vector<uint16_t> h16(rows * cols), b16(rows * cols);
  std::vector<float> f32(rows * cols);
  Eigen::MatrixXd Wh(rows, cols), Wb(rows, cols), Wf(rows, cols);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) {
      const std::size_t k = static_cast<std::size_t>(i) * cols + j;  // row-major, as stored
      const uint16_t sign = (rng() & 1u) << 15;
      h16[k] = static_cast<uint16_t>(sign | ((8u + rng() % 14u) << 10) | (rng() & 0x3FFu));  // finite halves
      b16[k] = static_cast<uint16_t>(sign | ((120u + rng() % 10u) << 7) | (rng() & 0x7Fu));  // finite bf16
      f32[k] = std::ldexp(static_cast<float>(rng() % 2000) - 1000.0f, -10);
      Wh(i, j) = qs::io::f16_to_double(h16[k]);
      Wb(i, j) = qs::io::bf16_to_double(b16[k]);
      Wf(i, j) = f32[k];
    }
  expect_spectra_near(cuda.squared_singular_values_raw(sp::CudaRawDType::F16, h16.data(), rows, cols).evals,
                      cpu->squared_singular_values(Wh).evals, 1e-11, "F16");
  expect_spectra_near(cuda.squared_singular_values_raw(sp::CudaRawDType::BF16, b16.data(), rows, cols).evals,
                      cpu->squared_singular_values(Wb).evals, 1e-11, "BF16");
  expect_spectra_near(cuda.squared_singular_values_raw(sp::CudaRawDType::F32, f32.data(), rows, cols).evals,
                      cpu->squared_singular_values(Wf).evals, 1e-11, "F32");
}

// The pipeline's entry point (SpectrumBackend::squared_singular_values_raw with io::DType): the same
// values as the host-widening default of a CPU backend, for the dtypes widened on the device and for
// one widened on the host (I8), in fp64; in fp32 within float32 round-off.
TEST(CudaBackend, PipelineRawEntryPointMatchesTheHostDefault) {
  REQUIRE_CUDA_DEVICE();
  const int rows = 40, cols = 72;
  std::mt19937 rng(9);
  std::vector<uint16_t> b16(rows * cols);
  std::vector<float> f32(rows * cols);
  std::vector<double> f64(rows * cols);
  std::vector<int8_t> i8(rows * cols);
  for (std::size_t k = 0; k < b16.size(); ++k) {
    b16[k] = static_cast<uint16_t>(((rng() & 1u) << 15) | ((120u + rng() % 10u) << 7) | (rng() & 0x7Fu));
    f32[k] = std::ldexp(static_cast<float>(rng() % 2000) - 1000.0f, -10);
    f64[k] = static_cast<double>(rng() % 100000) / 7.0 - 7000.0;  // not float32-representable
    i8[k] = static_cast<int8_t>(static_cast<int>(rng() % 255) - 127);
  }
  auto bytes = [](const auto& v) { return reinterpret_cast<const std::byte*>(v.data()); };
  const auto cpu = sp::make_backend("svd");
  for (auto prec : {sp::GpuPrecision::FP64, sp::GpuPrecision::FP32}) {
    const auto gpu = sp::make_cuda_backend("svd", 0, prec);
    const double tol = prec == sp::GpuPrecision::FP64 ? 1e-11 : 1e-4;
    const std::string p = prec == sp::GpuPrecision::FP64 ? "fp64 " : "fp32 ";
    for (bool keep : {false, true}) {
      const std::string k = keep ? " keep_f64" : "";
      expect_spectra_near(gpu->squared_singular_values_raw(qs::io::DType::BF16, bytes(b16), rows, cols, keep).evals,
                          cpu->squared_singular_values_raw(qs::io::DType::BF16, bytes(b16), rows, cols, keep).evals,
                          tol, p + "BF16" + k);
      expect_spectra_near(gpu->squared_singular_values_raw(qs::io::DType::F32, bytes(f32), rows, cols, keep).evals,
                          cpu->squared_singular_values_raw(qs::io::DType::F32, bytes(f32), rows, cols, keep).evals,
                          tol, p + "F32" + k);
      expect_spectra_near(gpu->squared_singular_values_raw(qs::io::DType::F64, bytes(f64), rows, cols, keep).evals,
                          cpu->squared_singular_values_raw(qs::io::DType::F64, bytes(f64), rows, cols, keep).evals,
                          tol, p + "F64" + k);
      expect_spectra_near(gpu->squared_singular_values_raw(qs::io::DType::I8, bytes(i8), rows, cols, keep).evals,
                          cpu->squared_singular_values_raw(qs::io::DType::I8, bytes(i8), rows, cols, keep).evals,
                          tol, p + "I8" + k);
    }
  }
}

TEST(CudaBackend, ConcurrentCallersGetTheirOwnStreams) {
  REQUIRE_CUDA_DEVICE();
  const auto backend = sp::make_cuda_backend("gram");
  const Eigen::MatrixXd W = random_matrix(256, 384, 11);
  const Eigen::VectorXd want = backend->squared_singular_values(W).evals;
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      bool same = true;
      for (int rep = 0; rep < 5; ++rep) same = same && backend->squared_singular_values(W).evals == want;
      ok[t] = same ? 1 : 0;
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(ok[t], 1) << "thread " << t;
}

TEST(CudaBackend, NonFiniteInputIsAnInputError) {
  REQUIRE_CUDA_DEVICE();
  Eigen::MatrixXd W = random_matrix(16, 16, 5);
  W(3, 4) = std::nan("");
  EXPECT_THROW((void)sp::make_cuda_backend("svd")->squared_singular_values(W), qs::InputError);
}

// Every analysable layer of the reference fixtures, through the same path as the pipeline
// (float32 rounding, conv2d slices, pooling), CUDA vs CPU for each method.
TEST(CudaBackend, FixtureLayersMatchTheCpu) {
  REQUIRE_CUDA_DEVICE();
  for (const char* fixture : {"synthetic-small", "edge-cases"}) {
    const auto dir = qs::io::ModelDir::open(std::string(QSPECTRA_TEST_DATA_DIR) + "/fixtures/" + fixture);
    int layers = 0;
    for (const auto& t : dir.tensors()) {
      const auto& shape = t.info.shape;
      const bool conv2d = shape.size() == 4;
      if (!(shape.size() == 2 || conv2d) || std::min(shape[0], shape[1]) < 2) continue;
      qs::TensorData data;
      try {
        data = dir.read(t);
      } catch (const qs::Error&) {
        continue;  // unreadable dtype: the io tests cover it
      }
      sp::round_to_float32(data);
      const auto mats = sp::layer_matrices(data, conv2d);
      const int64_t N = std::max(shape[0], shape[1]);
      for (const char* method : {"svd", "gram", "auto"}) {
        const auto want = sp::compute_layer_spectrum(mats, N, *sp::make_backend(method));
        const auto got = sp::compute_layer_spectrum(mats, N, *sp::make_cuda_backend(method));
        const std::string what = std::string(fixture) + " " + t.info.name + " " + method;
        ASSERT_EQ(got.evals.size(), want.evals.size()) << what;
        EXPECT_EQ(got.method, want.method) << what;
        expect_spectra_near(Eigen::Map<const Eigen::VectorXd>(got.evals.data(), static_cast<Eigen::Index>(got.evals.size())),
                            Eigen::Map<const Eigen::VectorXd>(want.evals.data(), static_cast<Eigen::Index>(want.evals.size())),
                            1e-11, what);
        expect_same_fit(got.evals, want.evals, what);
        EXPECT_NEAR(got.sv_max, want.sv_max, 1e-12 * want.sv_max) << what;
      }
      ++layers;
    }
    EXPECT_GT(layers, 0) << fixture;
  }
}
