#pragma once
// Optional CUDA spectrum backend (built when QSPECTRA_HAVE_CUDA is defined; see docs/cuda.md).
// Same interface as the CPU backends: squared singular values of W as stored, ascending, float64.
// This header includes no CUDA header. The CUDA code (src/spectral/cuda/engine.cu, no Eigen there)
// lives in the plugin libqspectra_cuda.so, loaded on the first call of cuda_device_status() or
// make_cuda_backend() and never before: CPU runs do not load cudart/cuBLAS/cuSOLVER.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "qspectra/spectral/backend.hpp"

namespace qspectra::spectral {

// FP64 (default) matches the CPU backends; FP32 is faster on most GPUs but only ~1e-6 relative.
enum class GpuPrecision { FP64, FP32 };

struct CudaDeviceStatus {
  bool available = false;  // at least one usable device
  int device_count = 0;
  // One line: "2 CUDA devices: cuda:0 NVIDIA H100 (sm_90, 79.1 GiB), ..." or
  // "no CUDA device: cudaErrorNoDevice (no CUDA-capable device is detected)".
  std::string message;
};

// Never throws; safe to call on a machine without a GPU or driver. Loads the plugin (once); when it
// cannot be loaded, available is false and message says why ("cannot load the CUDA backend: ...").
CudaDeviceStatus cuda_device_status();

// The plugin libqspectra_cuda.so: looked up in $QSPECTRA_CUDA_PLUGIN (only there when set), else
// <exe dir>/../lib/, <exe dir>/, then its build-tree path.
struct CudaPluginStatus {
  bool loaded = false;
  std::string path;     // the file loaded (or tried, for probe_cuda_plugin)
  std::string message;  // one line: "CUDA backend loaded from ..." or "cannot load the CUDA backend: ..."
};
CudaPluginStatus cuda_plugin_status();  // loads it on the first call; never throws
bool cuda_plugin_loaded();              // whether it is loaded, without loading it
// Tries to load the plugin from `path` alone, bypassing the cached lookup (diagnostics, tests).
CudaPluginStatus probe_cuda_plugin(const std::string& path);

// Storage dtypes the device can widen itself (row-major bytes as in a safetensors file).
enum class CudaRawDType { F64, F32, F16, BF16 };

// The object make_cuda_backend returns (dynamic_cast to reach the extras). All calls are const and
// thread-safe: each calling thread gets its own CUDA stream pair, cuBLAS/cuSOLVER handles, pinned
// host buffers and device workspaces, created on first use and reused (grown only) afterwards.
class CudaSpectrumBackend : public SpectrumBackend {
public:
  using SpectrumBackend::squared_singular_values_raw;  // the io::DType entry point (widens on the device)
  virtual int device() const = 0;
  virtual GpuPrecision precision() const = 0;
  // Several matrices (e.g. the kh*kw slices of a conv2d) in one call: the upload of matrix i+1
  // overlaps the solve of matrix i. Results in input order.
  virtual std::vector<MatrixSpectrum> squared_singular_values_batch(
      const std::vector<Eigen::MatrixXd>& Ws) const = 0;
  // W given as its stored bytes: `rows` x `cols`, row-major, little-endian `dtype`. F16/BF16/F32
  // are widened on the device (exactly), so the host never builds the float64 copy.
  virtual MatrixSpectrum squared_singular_values_raw(CudaRawDType dtype, const void* data,
                                                     int64_t rows, int64_t cols) const = 0;
};

// method: "gram" (cuBLAS syrk on the smaller Gram matrix + cusolverDnXsyevd, values only), "svd"
// (cusolverDnXgesvd, values only) or "auto" (gram, falling back to svd when the Gram matrix cannot
// resolve the small eigenvalues; the result's method then reads "gram->svd").
// Throws UsageError for an unknown method or device index out of range, InternalError with a
// one-line message when there is no usable device (the message of cuda_device_status()).
std::unique_ptr<SpectrumBackend> make_cuda_backend(std::string_view method, int device = 0,
                                                   GpuPrecision precision = GpuPrecision::FP64);

// "fp64" | "fp32" -> GpuPrecision; throws UsageError otherwise.
GpuPrecision parse_gpu_precision(std::string_view s);

}  // namespace qspectra::spectral
