// libFuzzer harness: io::parse_index_json (the weight_map of a *.safetensors.index.json). A rejected
// input must be an InputError; an accepted one must name each tensor once and only plain shard file
// names (no path separators, no "." or ".."), since ModelDir opens dir/<name>.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string_view>

#include "qspectra/core/error.hpp"
#include "qspectra/io/model_dir.hpp"

using namespace qspectra;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::pair<std::string, std::string>> map;
  try {
    map = io::parse_index_json(text, "fuzz.safetensors.index.json");
  } catch (const InputError&) {
    return 0;
  }
  std::set<std::string_view> tensors;
  for (const auto& [tensor, file] : map) {
    bool ok = tensors.insert(tensor).second && !file.empty() && file != "." && file != ".." &&
              file.find('/') == std::string::npos && file.find('\\') == std::string::npos &&
              file.find('\0') == std::string::npos;
    if (!ok) {
      std::fprintf(stderr, "invariant violated: tensor \"%s\" -> shard \"%s\"\n", tensor.c_str(), file.c_str());
      std::abort();
    }
  }
  return 0;
}
