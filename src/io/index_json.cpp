// parse_index_json: the weight_map of a *.safetensors.index.json, in document order.
#include "json_strict.hpp"
#include "qspectra/core/error.hpp"
#include "qspectra/io/model_dir.hpp"

namespace qspectra::io {

std::vector<std::pair<std::string, std::string>> parse_index_json(std::string_view text, const std::string& label) {
  using json = nlohmann::json;
  // nlohmann objects are sorted maps; the parse callback sees the keys in document order.
  std::vector<std::string> order;
  std::string top_key;
  auto record_order = [&](int depth, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::key) {
      if (depth == 1) top_key = parsed.get<std::string>();
      else if (depth == 2 && top_key == "weight_map") order.push_back(parsed.get<std::string>());
    }
    return true;
  };
  const json j = detail::parse_json_strict(text, label, 32, record_order);
  if (!j.is_object()) throw InputError(label, "index is not a JSON object");
  auto wm = j.find("weight_map");
  if (wm == j.end()) throw InputError(label, "index has no \"weight_map\"");
  if (!wm->is_object()) throw InputError(label, "\"weight_map\" is not a JSON object");

  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(order.size());
  for (auto& tensor : order) {
    const json& file = wm->at(tensor);
    if (!file.is_string()) throw InputError(label, tensor + ": weight_map value is not a file name string");
    std::string name = file.get<std::string>();
    // Shards live next to the index: a path would let an index point anywhere on disk, and a NUL
    // would make the OS open a shorter name than the one checked here.
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
        name.find('\\') != std::string::npos || name.find('\0') != std::string::npos)
      throw InputError(label, tensor + ": shard name " + file.dump() + " is not a plain file name");  // escaped
    out.emplace_back(std::move(tensor), std::move(name));
  }
  return out;
}

}  // namespace qspectra::io
