#include "outputs.hpp"

#include <filesystem>

#include <spdlog/spdlog.h>

#include "app_main.hpp"
#include "qspectra/core/error.hpp"

namespace qspectra::app {
namespace fs = std::filesystem;

std::string default_out_dir_name(const std::string& model_path, const std::string& suffix) {
  std::error_code ec;
  const fs::path p(model_path.empty() ? "." : model_path);
  std::string name;
  if (fs::is_directory(p, ec)) {
    const fs::path real = fs::canonical(p, ec);  // ".", "..", "dir/" and symlinks resolved
    name = (ec ? fs::absolute(p).lexically_normal() : real).filename().string();
  } else {
    name = fs::absolute(p).lexically_normal().filename().string();  // a file keeps the name typed
    if (fs::path(name).extension() == ".safetensors") name = fs::path(name).stem().string();
  }
  if (name.empty() || name == "." || name == ".." || name == "/") name = "model";
  return name + "." + suffix;
}

std::string resolve_out_dir(const CommonCli& c, const std::string& default_suffix) {
  const std::string dir = c.out_dir.empty() ? default_out_dir_name(c.model_dir, default_suffix) : c.out_dir;
  // Fail before the analysis when the directory could never be made; create nothing.
  std::error_code ec;
  const fs::path target = fs::absolute(dir, ec).lexically_normal();
  for (fs::path p = target; !p.empty(); p = p.parent_path()) {
    if (fs::exists(p, ec)) {
      if (!fs::is_directory(p, ec))
        throw InputError(dir, p == target ? "output directory exists and is not a directory"
                                          : "cannot create output directory: " + p.string() + " is not a directory");
      break;
    }
    if (p == p.parent_path()) break;
  }
  return dir;
}

report::CommitResult commit_outputs(const std::string& out_dir,
                                    const std::vector<std::pair<std::string, std::string>>& files,
                                    const std::string& tool) {
  report::OutputDir out(out_dir);
  for (const auto& [path, content] : files) out.add_path(path, content);
  report::CommitOptions opts;
  opts.tool = tool;
  opts.tool_version = QSPECTRA_VERSION;
  opts.cancel = &cancel_flag();
  opts.on_wait = [](const std::string& message) { spdlog::warn("{}", message); };
  auto result = out.commit(opts);
  for (const auto& f : result.removed) spdlog::info("removed {} (an earlier run's output that this run does not write)", f);
  return result;
}

}  // namespace qspectra::app
