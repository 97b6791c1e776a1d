#include "qspectra/report/inspect.hpp"

#include <algorithm>
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

nlohmann::ordered_json inspect_json(const io::ModelDir& model, const layers::Selection& sel, bool selected_only) {
  nlohmann::ordered_json files = nlohmann::ordered_json::array();
  for (const auto& f : model.files()) files.push_back({{"name", f.name}, {"bytes", f.size}});
  return {{"model_dir", model.path()},
          {"layout", std::string(io::layout_name(model.layout()))},
          {"files", files},
          {"notes", model.notes()},
          {"layers_selected", sel.num_selected()},
          {"tensors", table_json(inspect_table(model, sel, selected_only))}};
}

}  // namespace qspectra::report
