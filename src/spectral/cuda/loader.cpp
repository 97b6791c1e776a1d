// Built into qspectra_spectral in the CUDA build: finds and dlopens the plugin libqspectra_cuda.so
// (engine.cu + plugin.cpp, linked with cudart/cuBLAS/cuSOLVER) the first time a CUDA function is
// called, so runs on the CPU never load the CUDA libraries (~250 MB and ~0.5 s at start-up) and the
// binaries start where CUDA is not installed. Looked up in $QSPECTRA_CUDA_PLUGIN (only there when
// set), else next to the executable (../lib/, ./), then at its build-tree path. Never unloaded.
#include <dlfcn.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "plugin_api.hpp"
#include "qspectra/core/error.hpp"
#include "qspectra/spectral/cuda.hpp"

#ifndef QSPECTRA_CUDA_PLUGIN
#error "QSPECTRA_CUDA_PLUGIN (the plugin's build-tree path) is set by cmake/CUDA.cmake"
#endif

namespace qspectra::spectral {
namespace {

constexpr const char* kPluginName = "libqspectra_cuda.so";
constexpr const char* kCannotLoad = "cannot load the CUDA backend: ";
using ApiFn = const cuda_detail::PluginApi* (*)();

std::vector<std::string> candidates() {
  if (const char* env = std::getenv("QSPECTRA_CUDA_PLUGIN"); env && *env) return {env};
  std::vector<std::string> out;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    out.push_back((exe.parent_path().parent_path() / "lib" / kPluginName).string());
    out.push_back((exe.parent_path() / kPluginName).string());
  }
  out.push_back(QSPECTRA_CUDA_PLUGIN);
  return out;
}

// Tries one file; on failure appends the reason to *why and returns nullptr.
const cuda_detail::PluginApi* try_load(const std::string& path, std::string* why) {
  auto add = [why](const std::string& s) { *why += (why->empty() ? "" : "; ") + s; };
  void* h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char* e = ::dlerror();
    add(e ? std::string(e) : path + ": dlopen failed");
    return nullptr;
  }
  auto fn = reinterpret_cast<ApiFn>(::dlsym(h, "qspectra_cuda_plugin_api"));
  const cuda_detail::PluginApi* api = fn ? fn() : nullptr;
  if (api && api->abi == cuda_detail::kCudaPluginAbi) return api;
  add(path + ": not a matching qspectra CUDA plugin (rebuild it with this tree)");
  ::dlclose(h);
  return nullptr;
}

struct Loaded {
  const cuda_detail::PluginApi* api = nullptr;
  std::string path;
  std::string why;
};

Loaded load_first() {
  Loaded l;
  std::string looked;
  for (const auto& path : candidates()) {
    looked += (looked.empty() ? "" : ", ") + path;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) continue;
    if ((l.api = try_load(path, &l.why))) {
      l.path = path;
      return l;
    }
  }
  if (l.why.empty())
    l.why = std::string(kPluginName) + " not found (looked for " + looked + "; set QSPECTRA_CUDA_PLUGIN to its path)";
  return l;
}

std::once_flag g_once;
Loaded g_loaded;
std::atomic<bool> g_tried{false};  // set once g_loaded is final

const Loaded& loaded() {
  std::call_once(g_once, [] {
    g_loaded = load_first();
    g_tried = true;
  });
  return g_loaded;
}

}  // namespace

namespace cuda_detail {
// For backend.cpp: the plugin's table, or an InternalError saying why it cannot be loaded.
const PluginApi& plugin_api() {
  const Loaded& l = loaded();
  if (!l.api) throw InternalError(kCannotLoad + l.why);
  return *l.api;
}
}  // namespace cuda_detail

CudaPluginStatus cuda_plugin_status() {
  const Loaded& l = loaded();
  return {l.api != nullptr, l.path, l.api ? "CUDA backend loaded from " + l.path : kCannotLoad + l.why};
}

bool cuda_plugin_loaded() {
  return g_tried.load() && g_loaded.api != nullptr;
}

CudaPluginStatus probe_cuda_plugin(const std::string& path) {
  std::string why;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return {false, path, kCannotLoad + path + ": no such file"};
  const auto* api = try_load(path, &why);
  return {api != nullptr, path, api ? "CUDA backend loaded from " + path : kCannotLoad + why};
}

}  // namespace qspectra::spectral
