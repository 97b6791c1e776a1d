#include "shard_set.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "qspectra/core/error.hpp"
#include "qspectra/layers/names.hpp"
#include "qspectra/report/output_dir.hpp"

namespace qspectra::app::merge {
namespace fs = std::filesystem;
namespace {

struct ToolInfo {
  const char* tool;
  const char* meta_file;
  std::vector<const char*> settings;  // meta keys beyond "options" that change the results
};
const std::vector<ToolInfo>& tools() {
  static const std::vector<ToolInfo> t = {
      {"ww-analyze", "ww_summary.json", {}},
      {"precision-sweep", "sweep_comparison.json", {"variants", "baseline"}},
      {"rate-distortion", "rd_summary.json", {"methods", "bits", "targets", "sample", "seed"}},
  };
  return t;
}

// Options that change how fast, not what: left out of the comparison.
nlohmann::ordered_json result_options(nlohmann::ordered_json options) {
  options.erase("threads");
  return options;
}

std::string short_json(const nlohmann::ordered_json& j) {
  std::string s = j.dump();
  return s.size() > 200 ? s.substr(0, 197) + "..." : s;
}

// The first key where a and b differ, for the error message.
std::string first_difference(const nlohmann::ordered_json& a, const nlohmann::ordered_json& b) {
  if (a.is_object() && b.is_object()) {
    for (const auto& [k, v] : a.items())
      if (!b.contains(k) || b[k] != v)
        return k + " " + short_json(v) + " vs " + (b.contains(k) ? short_json(b[k]) : std::string("(absent)"));
    for (const auto& [k, v] : b.items())
      if (!a.contains(k)) return k + " (absent) vs " + short_json(v);
  }
  return short_json(a) + " vs " + short_json(b);
}

}  // namespace

nlohmann::ordered_json read_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "cannot read");
  try {
    return nlohmann::ordered_json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path, std::string("not valid JSON: ") + e.what());
  }
}

ShardSet load_shard_set(const std::vector<std::string>& dirs) {
  if (dirs.empty()) throw UsageError("no shard directory given");
  ShardSet set;
  std::vector<Shard> shards;
  std::vector<std::vector<std::string>> file_lists;
  for (const auto& dir : dirs) {
    if (!fs::is_directory(dir)) throw InputError(dir, "not a directory");
    const auto manifest = report::read_manifest(dir);
    if (!manifest) throw InputError(dir, "no .qspectra-manifest.json: not the out-dir of a finished run");
    if (!manifest->complete) throw InputError(dir, "the run that writes here did not finish (manifest incomplete)");
    const auto tool = std::find_if(tools().begin(), tools().end(), [&](const ToolInfo& t) { return manifest->tool == t.tool; });
    if (tool == tools().end()) throw InputError(dir, "written by '" + manifest->tool + "', which qspectra-merge does not merge");
    if (set.tool.empty()) {
      set.tool = tool->tool;
      set.meta_file = tool->meta_file;
    } else if (set.tool != tool->tool) {
      throw InputError(dir, "written by " + std::string(tool->tool) + ", " + dirs.front() + " by " + set.tool);
    }
    std::vector<std::string> files;
    for (const auto& e : manifest->files) files.push_back(e.path);
    file_lists.push_back(files);

    Shard s;
    s.dir = dir;
    const std::string meta_path = dir + "/" + set.meta_file;
    s.meta = read_json(meta_path).value("meta", nlohmann::ordered_json::object());
    if (!s.meta.contains("shard"))
      throw InputError(meta_path, "no meta.shard: not written by a --shard I/N run");
    const auto& sh = s.meta["shard"];
    s.index = sh.at("index").get<int>();
    s.layers = sh.at("layers").get<std::vector<std::string>>();
    shards.push_back(std::move(s));
  }

  const Shard& first = shards.front();
  const int count = first.meta["shard"]["count"].get<int>();
  const auto& info = *std::find_if(tools().begin(), tools().end(), [&](const ToolInfo& t) { return set.tool == t.tool; });
  std::map<int, std::string> seen;
  for (std::size_t i = 0; i < shards.size(); ++i) {
    const Shard& s = shards[i];
    const auto& sh = s.meta["shard"];
    if (sh["count"].get<int>() != count)
      throw InputError(s.dir, "shard " + std::to_string(s.index) + "/" + sh["count"].dump() + ", but " + first.dir +
                                  " is one of " + std::to_string(count) + " shards");
    if (s.index < 0 || s.index >= count) throw InputError(s.dir, "shard index " + std::to_string(s.index) + " out of range");
    if (auto [it, fresh] = seen.emplace(s.index, s.dir); !fresh)
      throw InputError(s.dir, "duplicate shard " + std::to_string(s.index) + "/" + std::to_string(count) +
                                  " (also in " + it->second + ")");
    if (result_options(s.meta.value("options", nlohmann::ordered_json{})) !=
        result_options(first.meta.value("options", nlohmann::ordered_json{})))
      throw InputError(s.dir, "options differ from " + first.dir + ": " +
                                  first_difference(result_options(s.meta["options"]), result_options(first.meta["options"])));
    for (const char* key : info.settings)
      if (s.meta.value(key, nlohmann::ordered_json{}) != first.meta.value(key, nlohmann::ordered_json{}))
        throw InputError(s.dir, std::string("--") + key + " differs from " + first.dir + ": " +
                                    short_json(s.meta.value(key, nlohmann::ordered_json{})) + " vs " +
                                    short_json(first.meta.value(key, nlohmann::ordered_json{})));
    if (s.meta.value("model_identity", nlohmann::ordered_json{}) != first.meta.value("model_identity", nlohmann::ordered_json{}))
      throw InputError(s.dir, "a different model than " + first.dir + " (file sizes or tensor headers differ: " +
                                  first_difference(s.meta.value("model_identity", nlohmann::ordered_json{}),
                                                   first.meta.value("model_identity", nlohmann::ordered_json{})) + ")");
    if (sh["layers_total"] != first.meta["shard"]["layers_total"])
      throw InputError(s.dir, "a different layer selection than " + first.dir);
    if (file_lists[i] != file_lists.front())
      throw InputError(s.dir, "wrote other files than " + first.dir + " (different --format, --save-evals?)");
  }
  std::string missing;
  for (int i = 0; i < count; ++i)
    if (!seen.count(i)) missing += (missing.empty() ? "" : ", ") + std::to_string(i) + "/" + std::to_string(count);
  if (!missing.empty())
    throw InputError(first.dir, "incomplete shard set: missing shard " + missing + " (" + std::to_string(shards.size()) +
                                    " of " + std::to_string(count) + " given)");

  std::sort(shards.begin(), shards.end(), [](const Shard& a, const Shard& b) { return a.index < b.index; });
  set.shards = std::move(shards);
  set.files = file_lists.front();
  // One run writes its layers in natural name order (pipeline::plan_layers); the shards keep that order,
  // so merging the shards' lists by natural order gives the single run's order.
  for (std::size_t i = 0; i < set.shards.size(); ++i)
    for (const auto& name : set.shards[i].layers) {
      if (auto [it, fresh] = set.owner.emplace(name, i); !fresh)
        throw InputError(set.shards[i].dir, "layer " + name + " is also in " + set.shards[it->second].dir);
      set.layers.push_back(name);
    }
  std::stable_sort(set.layers.begin(), set.layers.end(),
                   [](const std::string& a, const std::string& b) { return layers::natural_less(a, b); });
  const auto total = set.shards.front().meta["shard"]["layers_total"].get<std::size_t>();
  if (set.layers.size() != total)
    throw InputError(set.shards.front().dir, "the shards hold " + std::to_string(set.layers.size()) +
                                                 " layers, the model's selection " + std::to_string(total));
  return set;
}

nlohmann::ordered_json merged_meta(const ShardSet& set) {
  nlohmann::ordered_json meta = set.shards.front().meta;
  meta.erase("shard");
  nlohmann::ordered_json from = nlohmann::ordered_json::array();
  double wall = 0;
  std::vector<std::string> notes, warnings;
  auto join = [](std::vector<std::string>& into, const nlohmann::ordered_json& j) {
    if (!j.is_array()) return;
    for (const auto& v : j)
      if (v.is_string() && std::find(into.begin(), into.end(), v.get<std::string>()) == into.end())
        into.push_back(v.get<std::string>());
  };
  for (const auto& s : set.shards) {
    from.push_back(s.dir);
    wall = std::max(wall, s.meta.value("wall_s", 0.0));
    join(notes, s.meta.value("notes", nlohmann::ordered_json::array()));
    join(warnings, s.meta.value("warnings", nlohmann::ordered_json::array()));
  }
  if (meta.contains("wall_s")) meta["wall_s"] = wall;
  if (meta.contains("time_ms_summed_over_layers")) {  // summed over every shard's layers
    auto& t = meta["time_ms_summed_over_layers"];
    for (auto& [k, v] : t.items()) {
      double sum = 0;
      for (const auto& s : set.shards) sum += s.meta["time_ms_summed_over_layers"].value(k, 0.0);
      v = sum;
    }
  }
  if (meta.contains("notes")) meta["notes"] = notes;
  if (meta.contains("warnings")) meta["warnings"] = warnings;
  meta.erase("proc_io");  // one process's counters: meaningless for the merged run
  meta["merged_from"] = from;
  return meta;
}

}  // namespace qspectra::app::merge
