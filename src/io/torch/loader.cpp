// Built into qspectra_io in the LibTorch build: open_checkpoint loads the plugin libqspectra_io_torch.so
// (checkpoint.cpp, linked with LibTorch) on first use, so only runs that read a PyTorch file pay for
// LibTorch. The plugin is looked up in $QSPECTRA_TORCH_PLUGIN, next to the executable (../lib/, ./),
// then at its build-tree path. It is never unloaded (the sources it returns live in it).
#include <dlfcn.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>

#include "qspectra/core/error.hpp"
#include "qspectra/io/torch_checkpoint.hpp"

#ifndef QSPECTRA_TORCH_PLUGIN
#error "QSPECTRA_TORCH_PLUGIN (the plugin's build-tree path) is set by cmake/Torch.cmake"
#endif

namespace qspectra::io::torch {
namespace {

constexpr int kPluginAbi = 1;  // qspectra_torch_plugin_abi() of a matching checkpoint.cpp
constexpr const char* kPluginName = "libqspectra_io_torch.so";
using OpenFn = void (*)(const std::string&, std::shared_ptr<const TensorSource>&);
using AbiFn = int (*)();

std::vector<std::string> candidates() {
  std::vector<std::string> out;
  if (const char* env = std::getenv("QSPECTRA_TORCH_PLUGIN"); env && *env) out.push_back(env);
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    out.push_back((exe.parent_path().parent_path() / "lib" / kPluginName).string());
    out.push_back((exe.parent_path() / kPluginName).string());
  }
  out.push_back(QSPECTRA_TORCH_PLUGIN);
  return out;
}

// The plugin's open function, or the reasons it could not be loaded.
OpenFn load_plugin(std::string* why) {
  for (const auto& path : candidates()) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) continue;
    void* h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      const char* e = ::dlerror();
      *why += (why->empty() ? "" : "; ") + std::string(e ? e : path + ": dlopen failed");
      continue;
    }
    auto abi = reinterpret_cast<AbiFn>(::dlsym(h, "qspectra_torch_plugin_abi"));
    auto open = reinterpret_cast<OpenFn>(::dlsym(h, "qspectra_torch_plugin_open"));
    if (abi && open && abi() == kPluginAbi) return open;
    *why += (why->empty() ? "" : "; ") + path + ": not a matching qspectra LibTorch plugin";
    ::dlclose(h);
  }
  if (why->empty()) *why = std::string(kPluginName) + " not found (set QSPECTRA_TORCH_PLUGIN to its path)";
  return nullptr;
}

}  // namespace

bool checkpoints_supported() { return true; }

std::shared_ptr<const TensorSource> open_checkpoint(const std::string& path) {
  static std::once_flag once;
  static OpenFn open = nullptr;
  static std::string why;
  std::call_once(once, [] { open = load_plugin(&why); });
  if (!open) throw InternalError(path + ": cannot load the LibTorch checkpoint reader: " + why);
  std::shared_ptr<const TensorSource> out;
  open(path, out);
  return out;
}

}  // namespace qspectra::io::torch
