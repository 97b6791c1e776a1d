// Eigen-side adapter of the CUDA backend, built into qspectra_spectral (not the plugin): turns Eigen
// matrices and stored bytes into raw column-major views for the CUDA engine, which it reaches through
// the plugin's function table (loader.cpp), and keeps one engine per calling thread.
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "plugin_api.hpp"
#include "qspectra/core/error.hpp"
#include "qspectra/spectral/cuda.hpp"

namespace qspectra::spectral {
namespace cuda_detail {
const PluginApi& plugin_api();  // loader.cpp
}  // namespace cuda_detail

namespace {

using cuda_detail::ElemType;
using cuda_detail::Engine;
using cuda_detail::MatrixView;
using cuda_detail::Method;
using cuda_detail::PluginApi;

// The storage dtypes the device widens itself; nullopt for the others (widened on the host).
std::optional<ElemType> device_type(io::DType dt) {
  switch (dt) {
    case io::DType::F64: return ElemType::F64;
    case io::DType::F32: return ElemType::F32;
    case io::DType::F16: return ElemType::F16;
    case io::DType::BF16: return ElemType::BF16;
    default: return std::nullopt;
  }
}

ElemType elem_type(CudaRawDType dt) {
  switch (dt) {
    case CudaRawDType::F64: return ElemType::F64;
    case CudaRawDType::F32: return ElemType::F32;
    case CudaRawDType::F16: return ElemType::F16;
    case CudaRawDType::BF16: return ElemType::BF16;
  }
  return ElemType::F64;
}

void check_buffer(const void* data, int64_t rows, int64_t cols) {
  if (rows < 0 || cols < 0 || (rows * cols > 0 && data == nullptr))
    throw UsageError("squared_singular_values_raw: bad buffer for a " + std::to_string(rows) + "x" +
                     std::to_string(cols) + " matrix");
}

class CudaBackend final : public CudaSpectrumBackend {
public:
  CudaBackend(const PluginApi& api, Method method, std::string name, int device, GpuPrecision precision)
      : api_(api), method_(method), name_(std::move(name)), device_(device), precision_(precision) {}

  std::string_view name() const override { return name_; }
  int device() const override { return device_; }
  GpuPrecision precision() const override { return precision_; }

  MatrixSpectrum squared_singular_values(const Eigen::MatrixXd& W) const override {
    check_finite(W);
    const MatrixView v{ElemType::F64, W.data(), W.rows(), W.cols()};
    return run_one(v);
  }

  std::vector<MatrixSpectrum> squared_singular_values_batch(const std::vector<Eigen::MatrixXd>& Ws) const override {
    std::vector<MatrixView> views;
    views.reserve(Ws.size());
    for (const auto& W : Ws) check_finite(W);
    for (const auto& W : Ws) views.push_back({ElemType::F64, W.data(), W.rows(), W.cols()});
    auto results = api_.run(engine(), views.data(), views.size(), method_, kGramRelFloor);
    std::vector<MatrixSpectrum> out;
    out.reserve(results.size());
    for (auto& r : results) out.push_back(to_spectrum(r));
    return out;
  }

  MatrixSpectrum squared_singular_values_raw(CudaRawDType dtype, const void* data, int64_t rows,
                                             int64_t cols) const override {
    check_buffer(data, rows, cols);
    // Row-major rows x cols == column-major cols x rows (W^T): the same singular values.
    return run_one({elem_type(dtype), data, cols, rows});
  }

  // The pipeline's entry point: F16/BF16/F32 (and F64 kept as float64) go to the device as stored and
  // are widened there; other dtypes, and F64 to be rounded to float32, are widened on the host.
  MatrixSpectrum squared_singular_values_raw(io::DType dtype, const std::byte* data, int64_t rows, int64_t cols,
                                             bool keep_f64) const override {
    const auto t = device_type(dtype);
    if (!t || (*t == ElemType::F64 && !keep_f64))
      return SpectrumBackend::squared_singular_values_raw(dtype, data, rows, cols, keep_f64);
    check_buffer(data, rows, cols);
    // NaN/Inf must not reach cuSOLVER: counted on the host first (the pipeline reports such layers).
    const auto n = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
    if (const int64_t bad = count_unanalysable_weights(dtype, data, n, keep_f64); bad > 0) {
      MatrixSpectrum none;
      none.method = "none";
      none.non_finite = bad;
      return none;
    }
    return run_one({*t, data, cols, rows});
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

  MatrixSpectrum run_one(const MatrixView& v) const {
    return to_spectrum(api_.run(engine(), &v, 1, method_, kGramRelFloor).front());
  }

  struct EngineDeleter {
    const PluginApi* api;
    void operator()(Engine* e) const noexcept { api->destroy_engine(e); }
  };
  using EnginePtr = std::unique_ptr<Engine, EngineDeleter>;

  // One engine (streams, handles, pinned buffers, workspaces) per calling thread, created on first
  // use and kept for the backend's lifetime. The lock only guards the lookup.
  Engine* engine() const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& slot = engines_[std::this_thread::get_id()];
    if (!slot)
      slot = EnginePtr(api_.create_engine(device_, precision_ == GpuPrecision::FP32 ? cuda_detail::Precision::FP32
                                                                                     : cuda_detail::Precision::FP64),
                       EngineDeleter{&api_});
    return slot.get();
  }

  const PluginApi& api_;
  Method method_;
  std::string name_;
  int device_;
  GpuPrecision precision_;
  mutable std::mutex mutex_;
  mutable std::unordered_map<std::thread::id, EnginePtr> engines_;
};

}  // namespace

CudaDeviceStatus cuda_device_status() {
  const CudaPluginStatus plugin = cuda_plugin_status();
  if (!plugin.loaded) return {false, 0, plugin.message};
  try {
    const auto st = cuda_detail::plugin_api().query_devices();
    return {st.available, st.device_count, st.message};
  } catch (const std::exception& e) {
    return {false, 0, std::string("no CUDA device: ") + e.what()};
  }
}

GpuPrecision parse_gpu_precision(std::string_view s) {
  if (s == "fp64") return GpuPrecision::FP64;
  if (s == "fp32") return GpuPrecision::FP32;
  throw UsageError("--precision: expected fp64 or fp32, got '" + std::string(s) + "'");
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
  const PluginApi& api = cuda_detail::plugin_api();
  api.probe_device(device);  // driver/context problems surface here, once, in one line
  std::string name = "cuda-" + std::string(method);
  if (precision == GpuPrecision::FP32) name += "-fp32";
  return std::make_unique<CudaBackend>(api, m, std::move(name), device, precision);
}

}  // namespace qspectra::spectral
