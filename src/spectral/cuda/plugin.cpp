// The plugin's only export: the function table over the CUDA engine (engine.cu). Compiled into
// libqspectra_cuda.so (cmake/CUDA.cmake), never into the apps: they reach it through loader.cpp.
#include "plugin_api.hpp"

namespace qspectra::spectral::cuda_detail {
namespace {

Engine* create_engine(int device, Precision precision) { return new Engine(device, precision); }
void destroy_engine(Engine* engine) noexcept { delete engine; }
std::vector<Result> run(Engine* engine, const MatrixView* mats, std::size_t count, Method method, double floor) {
  return engine->run(mats, count, method, floor);
}

constexpr PluginApi kApi{kCudaPluginAbi, &query_devices, &probe_device, &create_engine, &destroy_engine, &run};

}  // namespace
}  // namespace qspectra::spectral::cuda_detail

extern "C" __attribute__((visibility("default"))) const qspectra::spectral::cuda_detail::PluginApi*
qspectra_cuda_plugin_api() {
  return &qspectra::spectral::cuda_detail::kApi;
}
