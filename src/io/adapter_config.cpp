#include "qspectra/io/adapter_config.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "json_strict.hpp"
#include "qspectra/core/error.hpp"

namespace qspectra::io {
namespace fs = std::filesystem;

double AdapterConfig::scaling() const { return use_rslora ? lora_alpha / std::sqrt(r) : lora_alpha / r; }

std::optional<AdapterConfig> read_adapter_config(const std::string& model_path) {
  std::error_code ec;
  if (!fs::is_directory(model_path, ec)) return std::nullopt;
  const fs::path p = fs::path(model_path) / "adapter_config.json";
  if (!fs::is_regular_file(p, ec)) return std::nullopt;
  std::ifstream in(p, std::ios::binary);
  if (!in) throw InputError(p.string(), "cannot read");
  std::ostringstream ss;
  ss << in.rdbuf();
  const auto j = detail::parse_json_strict(ss.str(), p.string());
  if (!j.is_object()) throw InputError(p.string(), "not a JSON object");
  auto positive = [&](const char* key) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number() || !(it->get<double>() > 0) || !std::isfinite(it->get<double>()))
      throw InputError(p.string(), std::string(key) + ": expected a positive number");
    return it->get<double>();
  };
  AdapterConfig c;
  c.lora_alpha = positive("lora_alpha");
  c.r = positive("r");
  if (auto it = j.find("use_rslora"); it != j.end() && it->is_boolean()) c.use_rslora = it->get<bool>();
  for (const char* key : {"rank_pattern", "alpha_pattern"})
    if (auto it = j.find(key); it != j.end() && it->is_object() && !it->empty()) c.has_patterns = true;
  return c;
}

}  // namespace qspectra::io
