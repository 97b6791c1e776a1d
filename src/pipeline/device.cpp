// Choosing the spectrum backend from --method and --device. Only --device cuda|cuda:N|auto touches
// CUDA: cuda_device_status() is what loads the plugin libqspectra_cuda.so (src/spectral/cuda/loader.cpp),
// so CPU runs never load the CUDA libraries. A missing plugin or no usable device: --device cuda[:N]
// fails with one line, --device auto warns and runs on the CPU.
#include <charconv>

#include "qspectra/core/error.hpp"
#include "qspectra/pipeline/analyze.hpp"
#ifdef QSPECTRA_HAVE_CUDA
#include "qspectra/spectral/cuda.hpp"
#endif

namespace qspectra::pipeline {
namespace {

struct DeviceSpec {
  std::string kind;  // cpu | cuda | auto
  int index = 0;
};

DeviceSpec parse_device(const std::string& s) {
  if (s == "cpu" || s == "auto" || s == "cuda") return {s, 0};
  if (s.rfind("cuda:", 0) == 0) {
    int idx = -1;
    const char* b = s.data() + 5;
    const char* e = s.data() + s.size();
    auto [p, ec] = std::from_chars(b, e, idx);
    if (ec == std::errc() && p == e && idx >= 0) return {"cuda", idx};
  }
  throw UsageError("--device: expected cpu, cuda, cuda:N or auto, got '" + s + "'");
}

#ifdef QSPECTRA_HAVE_CUDA
spectral::GpuPrecision requested_precision(const AnalyzeOptions& options) {
  return spectral::parse_gpu_precision(options.precision);
}
#endif

}  // namespace

std::unique_ptr<spectral::SpectrumBackend> make_layer_backend(const AnalyzeOptions& options,
                                                              std::vector<std::string>* warnings,
                                                              std::string* device_used) {
  const DeviceSpec dev = parse_device(options.device);
  std::string ignored;
  std::string& used = device_used ? *device_used : ignored;
  used = "cpu";
  if (dev.kind == "cpu") return spectral::make_backend(options.method, options.precision);
#ifdef QSPECTRA_HAVE_CUDA
  const auto status = spectral::cuda_device_status();
  if (status.available) {
    const std::string method = options.method == "eigen" ? "svd" : options.method;
    used = "cuda:" + std::to_string(dev.index);
    return spectral::make_cuda_backend(method, dev.index, requested_precision(options));
  }
  if (dev.kind == "auto") {
    if (warnings) warnings->push_back("--device auto: " + status.message + "; using the CPU");
    return spectral::make_backend(options.method, options.precision);
  }
  throw InputError("--device " + options.device, status.message);
#else
  if (dev.kind == "auto") {
    if (warnings) warnings->push_back("--device auto: this build has no CUDA backend; using the CPU");
    return spectral::make_backend(options.method, options.precision);
  }
  throw UsageError("--device " + options.device +
                   ": this build has no CUDA backend (configure with -DQSPECTRA_WITH_CUDA=ON on a "
                   "machine with the CUDA toolkit)");
#endif
}

}  // namespace qspectra::pipeline
