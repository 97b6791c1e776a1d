// Eigen-side adapter of the CUDA backend: turns Eigen matrices into raw column-major views for the
// CUDA engine (engine.cu, which sees no Eigen) and keeps one Engine per calling thread.
#include <mutex>
#include <thread>
#include <unordered_map>

#include "engine.hpp"
#include "qspectra/core/error.hpp"
#include "qspectra/spectral/cuda.hpp"

namespace qspectra::spectral {
namespace {

using cuda_detail::ElemType;
using cuda_detail::Engine;
using cuda_detail::MatrixView;
using cuda_detail::Method;

class CudaBackend final : public CudaSpectrumBackend {
public:
  CudaBackend(Method method, std::string name, int device, GpuPrecision precision)
      : method_(method), name_(std::move(name)), device_(device), precision_(precision) {}

  std::string_view name() const override { return name_; }
  int device() const override { return device_; }
  GpuPrecision precision() const override { return precision_; }

  MatrixSpectrum squared_singular_values(const Eigen::MatrixXd& W) const override {
    check_finite(W);
    const MatrixView v{ElemType::F64, W.data(), W.rows(), W.cols()};
    return to_spectrum(engine().run(&v, 1, method_, kGramRelFloor).front());
  }

  std::vector<MatrixSpectrum> squared_singular_values_batch(const std::vector<Eigen::MatrixXd>& Ws) const override {
    std::vector<MatrixView> views;
    views.reserve(Ws.size());
    for (const auto& W : Ws) check_finite(W);
    for (const auto& W : Ws) views.push_back({ElemType::F64, W.data(), W.rows(), W.cols()});
    auto results = engine().run(views.data(), views.size(), method_, kGramRelFloor);
    std::vector<MatrixSpectrum> out;
    out.reserve(results.size());
    for (auto& r : results) out.push_back(to_spectrum(r));
    return out;
  }

  MatrixSpectrum squared_singular_values_raw(CudaRawDType dtype, const void* data, int64_t rows,
                                             int64_t cols) const override {
    if (rows < 0 || cols < 0 || (rows * cols > 0 && data == nullptr))
      throw UsageError("squared_singular_values_raw: bad buffer for a " + std::to_string(rows) + "x" +
                       std::to_string(cols) + " matrix");
    ElemType t = ElemType::F64;
    switch (dtype) {
      case CudaRawDType::F64: t = ElemType::F64; break;
      case CudaRawDType::F32: t = ElemType::F32; break;
      case CudaRawDType::F16: t = ElemType::F16; break;
      case CudaRawDType::BF16: t = ElemType::BF16; break;
    }
    // Row-major rows x cols == column-major cols x rows (W^T): the same singular values.
    const MatrixView v{t, data, cols, rows};
    return to_spectrum(engine().run(&v, 1, method_, kGramRelFloor).front());
  }

private:
  // Same check and message as the CPU backends (before any upload).
  static void check_finite(const Eigen::MatrixXd& W) {
    if (!W.allFinite()) throw InputError("", "matrix has NaN or Inf values; its spectrum is undefined");
  }

  static MatrixSpectrum to_spectrum(cuda_detail::Result& r) {
    MatrixSpectrum s;
    s.evals = Eigen::Map<const Eigen::VectorXd>(r.evals.data(), static_cast<Eigen::Index>(r.evals.size()));
    s.method = std::move(r.method);
    return s;
  }

  // One engine (streams, handles, pinned buffers, workspaces) per calling thread, created on first
  // use and kept for the backend's lifetime. The lock only guards the lookup.
  Engine& engine() const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& slot = engines_[std::this_thread::get_id()];
    if (!slot)
      slot = std::make_unique<Engine>(device_, precision_ == GpuPrecision::FP32 ? cuda_detail::Precision::FP32
                                                                               : cuda_detail::Precision::FP64);
    return *slot;
  }

  Method method_;
  std::string name_;
  int device_;
  GpuPrecision precision_;
  mutable std::mutex mutex_;
  mutable std::unordered_map<std::thread::id, std::unique_ptr<Engine>> engines_;
};

}  // namespace

CudaDeviceStatus cuda_device_status() {
  try {
    const auto st = cuda_detail::query_devices();
    return {st.available, st.device_count, st.message};
  } catch (const std::exception& e) {
    return {false, 0, std::string("no CUDA device: ") + e.what()};
  }
}

GpuPrecision parse_gpu_precision(std::string_view s) {
  if (s == "fp64") return GpuPrecision::FP64;
  if (s == "fp32") return GpuPrecision::FP32;
  throw UsageError("--gpu-precision: expected fp64 or fp32, got '" + std::string(s) + "'");
}

std::unique_ptr<SpectrumBackend> make_cuda_backend(std::string_view method, int device, GpuPrecision precision) {
  Method m;
  if (method == "gram") m = Method::Gram;
  else if (method == "svd") m = Method::Svd;
  else if (method == "auto") m = Method::Auto;
  else
    throw UsageError("unknown CUDA spectrum method '" + std::string(method) + "' (known: auto, gram, svd)");
  const CudaDeviceStatus st = cuda_device_status();
  if (!st.available) throw InternalError(st.message);
  if (device < 0 || device >= st.device_count)
    throw UsageError("cuda:" + std::to_string(device) + ": no such device (" + st.message + ")");
  cuda_detail::probe_device(device);  // driver/context problems surface here, once, in one line
  std::string name = "cuda-" + std::string(method);
  if (precision == GpuPrecision::FP32) name += "-fp32";
  return std::make_unique<CudaBackend>(m, std::move(name), device, precision);
}

}  // namespace qspectra::spectral
