#pragma once
// The C entry point of the CUDA plugin libqspectra_cuda.so (plugin.cpp, linked with cudart/cuBLAS/
// cuSOLVER) as seen by the loader in qspectra_spectral (loader.cpp, which links none of them): one table
// of plain functions over the engine's raw-buffer types (engine.hpp). Both sides are built from the
// same tree by the same compiler; kCudaPluginAbi guards against a stale plugin found on the path.
// Errors cross as qspectra::Error exceptions (header-only classes; the plugin is never unloaded).
#include <cstddef>
#include <vector>

#include "engine.hpp"

namespace qspectra::spectral::cuda_detail {

inline constexpr int kCudaPluginAbi = 1;

struct PluginApi {
  int abi;                                    // kCudaPluginAbi of the plugin
  DeviceStatus (*query_devices)();            // never throws
  void (*probe_device)(int device);           // throws qspectra::Error
  Engine* (*create_engine)(int device, Precision precision);  // throws qspectra::Error
  void (*destroy_engine)(Engine* engine) noexcept;
  std::vector<Result> (*run)(Engine* engine, const MatrixView* mats, std::size_t count, Method method,
                             double gram_rel_floor);
};

}  // namespace qspectra::spectral::cuda_detail

// The one symbol the loader looks up (dlsym), C linkage so its name is stable.
extern "C" const qspectra::spectral::cuda_detail::PluginApi* qspectra_cuda_plugin_api();
