#include "qspectra/report/inspect.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "qspectra/core/tensor.hpp"
#include "qspectra/layers/names.hpp"
#include "qspectra/report/json.hpp"

namespace qspectra::report {

Table inspect_table(const io::ModelDir& model, const layers::Selection& sel, bool selected_only) {
  std::map<std::size_t, const layers::LayerInfo*> by_tensor;
  for (const auto& l : sel.layers) {
    by_tensor.emplace(l.tensor_index, &l);
    // Both factors of a LoRA pair describe the pair's layer (<module>.lora_BA, listed before lora_merged).
    if (l.source != layers::LayerSource::Tensor) by_tensor.emplace(l.lora_b_index, &l);
  }
  const auto& tensors = model.tensors();
  std::vector<std::size_t> order(tensors.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return layers::natural_less(tensors[a].info.name, tensors[b].info.name);
  });
  Table t;
  t.columns = {"layer_id", "tensor", "block", "dtype", "shape", "type", "category", "analysed", "skip_reason"};
  for (std::size_t i : order) {
    const auto& ti = tensors[i].info;
    auto it = by_tensor.find(i);
    const layers::LayerInfo* l = it == by_tensor.end() ? nullptr : it->second;
    if (selected_only && !(l && l->selected)) continue;
    const auto block = layers::block_index(ti.name);
    t.rows.push_back({l && l->layer_id > 0 ? Cell{l->layer_id} : Cell{}, ti.name, block ? Cell{*block} : Cell{},
                      ti.type_name(), shape_to_string(ti.shape),
                      l ? Cell{std::string(layers::layer_type_name(l->type))} : Cell{},
                      l ? Cell{l->category} : Cell{}, Cell{l && l->selected},
                      std::string(l ? l->skip_reason : "not a layer")});
  }
  return t;
}

Table gguf_metadata_table(const io::GgufHeader& h) {
  Table t;
  t.columns = {"key", "type", "value"};
  for (const auto& kv : h.kv)
    t.rows.push_back({kv.key, std::string(io::gguf_type_name(kv.value.type)), io::gguf_value_text(kv.value)});
  return t;
}

namespace {

constexpr std::size_t kFirstElements = 8;  // arrays (a vocabulary of 256k tokens) are summarised

nlohmann::ordered_json gguf_json_value(const io::GgufValue& v) {
  using io::GgufType;
  switch (v.type) {
    case GgufType::U8: case GgufType::U16: case GgufType::U32: case GgufType::U64: return v.u;
    case GgufType::I8: case GgufType::I16: case GgufType::I32: case GgufType::I64: return v.i;
    case GgufType::F32: case GgufType::F64:
      if (std::isfinite(v.f)) return v.f;
      return io::gguf_value_text(v);  // strict JSON has no inf/nan
    case GgufType::BOOL: return v.u != 0;
    case GgufType::STRING: return v.s;
    case GgufType::ARRAY: return io::gguf_value_text(v, kFirstElements);  // a nested array, as text
  }
  return nullptr;
}

nlohmann::ordered_json gguf_json(const io::GgufHeader& h) {
  nlohmann::ordered_json meta = nlohmann::ordered_json::array();
  for (const auto& kv : h.kv) {
    nlohmann::ordered_json e = {{"key", kv.key}, {"type", std::string(io::gguf_type_name(kv.value.type))}};
    if (kv.value.type == io::GgufType::ARRAY) {
      e["elem_type"] = std::string(io::gguf_type_name(kv.value.elem_type));
      e["length"] = kv.value.count;
      nlohmann::ordered_json first = nlohmann::ordered_json::array();
      for (const auto& x : io::gguf_array_elements(kv.value, kFirstElements)) first.push_back(gguf_json_value(x));
      e["first"] = std::move(first);
    } else {
      e["value"] = gguf_json_value(kv.value);
    }
    meta.push_back(std::move(e));
  }
  return {{"version", h.version}, {"alignment", h.alignment}, {"data_offset", h.data_offset}, {"metadata", meta}};
}

}  // namespace

nlohmann::ordered_json inspect_json(const io::ModelDir& model, const layers::Selection& sel, bool selected_only) {
  nlohmann::ordered_json files = nlohmann::ordered_json::array();
  for (const auto& f : model.files()) files.push_back({{"name", f.name}, {"bytes", f.size}});
  nlohmann::ordered_json j = {{"model_dir", model.path()},
                              {"layout", std::string(io::layout_name(model.layout()))},
                              {"files", files},
                              {"notes", model.notes()},
                              {"layers_selected", sel.num_selected()},
                              {"tensors", table_json(inspect_table(model, sel, selected_only))}};
  if (const auto* h = model.gguf_header()) j["gguf"] = gguf_json(*h);
  return j;
}

}  // namespace qspectra::report
