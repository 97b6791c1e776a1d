#include "run_meta.hpp"

#include <fstream>

#include "qspectra/core/sha256.hpp"

namespace qspectra::app {

nlohmann::ordered_json input_files_json(const io::ModelDir& model, bool hash_inputs) {
  nlohmann::ordered_json files = nlohmann::ordered_json::array();
  for (const auto& f : model.files()) {
    nlohmann::ordered_json j = {{"name", f.name}, {"bytes", f.size}};
    if (hash_inputs) j["sha256"] = sha256_file_hex(f.path);
    files.push_back(std::move(j));
  }
  return files;
}

nlohmann::ordered_json proc_io_json() {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  std::ifstream in("/proc/self/io");
  std::string key;
  uint64_t value = 0;
  while (in >> key >> value)
    if (key == "read_bytes:" || key == "rchar:") j[key.substr(0, key.size() - 1)] = value;
  return j;
}

nlohmann::ordered_json options_json(const CommonCli& c) {
  const auto& a = c.analyze;
  const auto& s = a.selector;
  return {{"method", a.method}, {"device", a.device}, {"precision", a.precision},
          {"threads", a.threads}, {"keep_f64", a.keep_f64}, {"quantize", a.quantize},
          {"layers", s.include_regex}, {"exclude", s.exclude_regex}, {"all_matrices", s.all_matrices},
          {"include_oversized", s.include_oversized}, {"max_N", s.max_N}, {"min_evals", s.min_evals},
          {"max_evals", s.max_evals}, {"k_frac", a.metrics.k_frac}, {"mp_fit", a.metrics.mp_fit},
          {"fix_fingers", c.fix_fingers.empty() ? "none" : c.fix_fingers},
          {"delta_from", a.delta_base ? a.delta_base->path() : ""},
          {"quant_source", a.quant_source ? a.quant_source->path() : ""},
          {"xmin_max", a.metrics.fit.xmin_max}, {"detx", a.metrics.detx}, {"randomize", a.randomize},
          {"bootstrap", a.bootstrap}, {"seed", a.seed}, {"farms", a.farms}, {"farms_window", a.farms_window},
          {"farms_windows", a.farms_windows_per_dim},
          {"lora_scale", a.lora_scale}, {"peft_base", a.peft_base ? a.peft_base->path() : ""}};
}

nlohmann::ordered_json not_analysed_json(const pipeline::AnalysisResult& r) {
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (const auto& l : r.selection.layers)
    if (!l.selected) arr.push_back({{"name", l.name}, {"layer_id", l.layer_id}, {"reason", l.skip_reason}});
  for (const auto& k : r.selection.ignored) arr.push_back({{"name", k}, {"reason", "not a layer"}});
  return arr;
}

nlohmann::ordered_json model_identity_json(const io::ModelDir& model) {
  std::string headers;
  for (const auto& t : model.tensors()) {
    headers += t.info.name + '\t' + std::string(io::dtype_name(t.info.dtype)) + '\t';
    for (auto d : t.info.shape) headers += std::to_string(d) + ',';
    headers += '\t' + std::to_string(t.info.data_begin) + '\t' + std::to_string(t.info.data_end) + '\t' +
               model.files().at(t.file_index).name + '\n';
  }
  nlohmann::ordered_json files = nlohmann::ordered_json::array();
  for (const auto& f : model.files()) files.push_back({{"name", f.name}, {"bytes", f.size}});
  return {{"files", files}, {"header_sha256", sha256_hex(headers)}};
}

void add_shard_meta(nlohmann::ordered_json& meta, const CommonCli& c, const layers::Selection& selection,
                    const std::vector<std::string>& layer_names) {
  if (!c.sharded()) return;
  std::size_t total = 0;
  for (const auto& l : selection.layers) total += l.selected;
  meta["shard"] = {{"index", c.analyze.selector.shard_index}, {"count", c.analyze.selector.shard_count},
                   {"layers_total", total}, {"layers", layer_names}};
}

nlohmann::ordered_json run_meta_base(const std::string& tool, const CommonCli& c, const io::ModelDir& model,
                                     bool hash_inputs) {
  return {{"tool", tool},
          {"version", QSPECTRA_VERSION},
          {"model_dir", model.path()},
          {"layout", std::string(io::layout_name(model.layout()))},
          {"options", options_json(c)},
          {"files", input_files_json(model, hash_inputs)},
          {"model_identity", model_identity_json(model)}};
}

nlohmann::ordered_json run_meta_json(const std::string& tool, const CommonCli& c, const io::ModelDir& model,
                                     const pipeline::AnalysisResult& r, bool hash_inputs) {
  auto j = run_meta_base(tool, c, model, hash_inputs);
  j["backend"] = r.backend;
  j["threads"] = r.threads;
  j["wall_s"] = r.wall_s;
  j["time_ms_summed_over_layers"] = {{"read", r.timing_sum.read_ms}, {"quantize", r.timing_sum.quant_ms},
                                     {"spectrum", r.timing_sum.spectrum_ms}, {"fit", r.timing_sum.fit_ms}};
  j["layers_analysed"] = r.layers.size();
  j["proc_io"] = proc_io_json();
  j["notes"] = r.notes;
  j["warnings"] = r.warnings;
  j["not_analysed"] = not_analysed_json(r);
  return j;
}

nlohmann::ordered_json compare_meta_json(const CommonCli& finetuned_cli, const pipeline::AnalysisResult& finetuned,
                                         const CommonCli& baseline_cli, const pipeline::AnalysisResult& baseline) {
  auto side = [](const CommonCli& c, const pipeline::AnalysisResult& r) {
    return nlohmann::ordered_json{{"model_dir", c.model_dir}, {"options", options_json(c)},
                                  {"backend", r.backend}, {"layers_analysed", r.layers.size()}};
  };
  return {{"tool", "ww-analyze"},
          {"version", QSPECTRA_VERSION},
          {"baseline", side(baseline_cli, baseline)},
          {"finetuned", side(finetuned_cli, finetuned)},
          {"note", "compares two analyses (summary means, and layers joined by name); not WW's base_model "
                   "(W - W_base, --delta-from)"}};
}

}  // namespace qspectra::app
