// select_layers: WeightWatcher's layer rules (METRICS.md §1-§3) and our additions, in one place.
#include "qspectra/layers/selector.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <regex>

#include "qspectra/core/error.hpp"
#include "qspectra/layers/category.hpp"

namespace qspectra::layers {
namespace {

constexpr std::string_view kWeight = ".weight";

bool is_weight_key(const std::string& key) {
  return key.size() > kWeight.size() && key.compare(key.size() - kWeight.size(), kWeight.size(), kWeight) == 0;
}
bool is_matrix_rank(const std::vector<int64_t>& shape) { return shape.size() == 2 || shape.size() == 4; }

std::optional<std::regex> compile(const std::string& pattern, const char* option) {
  if (pattern.empty()) return std::nullopt;
  try {
    return std::regex(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw UsageError(std::string("invalid ") + option + " regex '" + pattern + "': " + e.what());
  }
}

// WW's layer type from the shape alone [PyStateDictLayer.layer_type].
LayerType layer_type(const std::vector<int64_t>& shape) {
  if (shape.size() == 2 && shape[0] >= 2) return LayerType::Dense;
  if (shape.size() == 4) return LayerType::Conv2d;
  return LayerType::Unknown;
}

std::string unknown_reason(const std::vector<int64_t>& shape) {
  if (shape.size() == 2) return "2-D with first dim " + std::to_string(shape[0]) + " < 2";
  return std::to_string(shape.size()) + "-D tensor";
}

// N, M, rf as WW reports them (§3). Conv2d: N = out, M = in, and when out < in WW swaps them once per
// kh*kw slice, so an even slice count ends unswapped (N < M). We copy that quirk to match its table.
void set_dims(LayerInfo& l, const std::vector<int64_t>& shape) {
  if (l.type == LayerType::Dense) {
    l.N = std::max(shape[0], shape[1]);
    l.M = std::min(shape[0], shape[1]);
    l.rf = 1;
  } else if (l.type == LayerType::Conv2d) {
    l.rf = shape[2] * shape[3];
    l.N = shape[0];
    l.M = shape[1];
    if (l.N < l.M && l.rf % 2 == 1) std::swap(l.N, l.M);
  }
}

std::string size_filter(const LayerInfo& l, const SelectorOptions& o) {
  const int64_t evals = l.M * l.rf;
  if (evals < o.min_evals) return "M*rf = " + std::to_string(evals) + " < min_evals " + std::to_string(o.min_evals);
  if (o.include_oversized) return {};
  if (evals > o.max_evals)
    return "M*rf = " + std::to_string(evals) + " > max_evals " + std::to_string(o.max_evals) + " (use --include-oversized)";
  if (l.N > o.max_N)
    return "N = " + std::to_string(l.N) + " > max_N " + std::to_string(o.max_N) + " (use --include-oversized)";
  return {};
}

void set_lora_dims(LayerInfo& l, const std::vector<int64_t>& a_shape, const std::vector<int64_t>& b_shape) {
  l.type = LayerType::Dense;
  l.lora_rank = a_shape[0];
  l.N = std::max(b_shape[0], a_shape[1]);
  l.M = std::min(b_shape[0], a_shape[1]);
  l.rf = 1;
}

bool lora_shapes_multiply(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  return a.size() == 2 && b.size() == 2 && a[0] >= 1 && a[0] == b[1] && b[0] >= 2 && a[1] >= 1;
}

}  // namespace

std::optional<LoraKey> parse_lora_key(const std::string& key) {
  if (!is_weight_key(key)) return std::nullopt;
  const std::string stem = key.substr(0, key.size() - kWeight.size());
  for (const char factor : {'A', 'B'}) {
    const std::string tag = std::string(".lora_") + factor;
    const auto pos = stem.rfind(tag);
    if (pos == std::string::npos || pos == 0) continue;
    const std::string rest = stem.substr(pos + tag.size());
    if (!rest.empty() && (rest[0] != '.' || rest.size() == 1 || rest.find('.', 1) != std::string::npos)) continue;
    return LoraKey{stem.substr(0, pos), rest.empty() ? "" : rest.substr(1), factor};
  }
  return std::nullopt;
}

std::string lora_layer_name(const LoraKey& k, LayerSource source) {
  const std::string base = k.adapter.empty() ? k.prefix : k.prefix + "." + k.adapter;
  return base + (source == LayerSource::LoraMerged ? ".lora_merged" : ".lora_BA");
}

std::vector<std::string> lora_base_keys(const std::string& prefix) {
  constexpr std::string_view kPeftPrefix = "base_model.model.";
  std::vector<std::string> stems;
  if (prefix.starts_with(kPeftPrefix) && prefix.size() > kPeftPrefix.size())
    stems.push_back(prefix.substr(kPeftPrefix.size()));
  stems.push_back(prefix);
  std::vector<std::string> keys;
  for (const auto& s : stems) keys.push_back(s + ".weight");
  for (const auto& s : stems) keys.push_back(s + ".base_layer.weight");
  return keys;
}

std::string_view layer_type_name(LayerType t) {
  switch (t) {
    case LayerType::Dense: return "dense";
    case LayerType::Conv2d: return "conv2d";
    case LayerType::Unknown: return "unknown";
  }
  return "unknown";
}

std::size_t Selection::num_selected() const {
  return static_cast<std::size_t>(std::count_if(layers.begin(), layers.end(), [](const LayerInfo& l) { return l.selected; }));
}

Selection select_layers(const io::ModelDir& model, const SelectorOptions& options) {
  const auto include = compile(options.include_regex, "--layers");
  const auto exclude = compile(options.exclude_regex, "--exclude");
  Selection sel;
  int64_t next_id = 1;          // WW's dict numbering: every candidate key takes an id, analysed or not
  std::size_t other_matrices = 0;  // 2-D/4-D tensors that only --all-matrices would analyse

  const auto& tensors = model.tensors();
  // LoRA pairs (PEFT adapters): lora_A and lora_B of one module make one layer, dW = B·A.
  struct LoraPair { std::optional<std::size_t> a, b; };
  std::map<std::pair<std::string, std::string>, LoraPair> lora_pairs;
  for (std::size_t i = 0; i < tensors.size(); ++i)
    if (auto k = parse_lora_key(tensors[i].info.name)) {
      auto& p = lora_pairs[{k->prefix, k->adapter}];
      (k->factor == 'A' ? p.a : p.b) = i;
    }
  std::size_t lora_layers = 0, lora_unpaired = 0;

  auto apply_filters = [&](LayerInfo& l, std::initializer_list<const io::TensorInfo*> sources) {
    if (include && !std::regex_search(l.name, *include)) l.skip_reason = "not matched by --layers '" + options.include_regex + "'";
    else if (exclude && std::regex_search(l.name, *exclude)) l.skip_reason = "matched by --exclude '" + options.exclude_regex + "'";
    else if (l.type == LayerType::Unknown) l.skip_reason = unknown_reason(sources.begin()[0]->shape);
    else {
      for (const auto* t : sources)
        if (l.skip_reason.empty() && !t->readable()) l.skip_reason = t->unreadable_reason();
      if (l.skip_reason.empty()) l.skip_reason = size_filter(l, options);
    }
    l.selected = l.skip_reason.empty();
  };

  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const io::TensorInfo& t = tensors[i].info;
    if (auto k = parse_lora_key(t.name)) {
      const auto& pair = lora_pairs.at({k->prefix, k->adapter});
      if (pair.a && pair.b) {
        const std::string product = lora_layer_name(*k, LayerSource::LoraProduct);
        sel.ignored.push_back(t.name + ": LoRA factor, analysed as " + product + " (dW = B·A)");
        if (k->factor == 'B') continue;  // the pair's layers were made at its lora_A (sorted first)
        const io::TensorInfo& tb = tensors[*pair.b].info;
        LayerInfo l;
        l.layer_id = next_id++;
        l.name = product;
        l.tensor_index = i;
        l.lora_b_index = *pair.b;
        l.source = LayerSource::LoraProduct;
        l.lora_prefix = k->prefix;
        l.category = categorize(k->prefix, false);
        if (lora_shapes_multiply(t.shape, tb.shape)) {
          set_lora_dims(l, t.shape, tb.shape);
          apply_filters(l, {&t, &tb});
        } else {
          l.skip_reason = "LoRA factors lora_A " + shape_to_string(t.shape) + " and lora_B " + shape_to_string(tb.shape) +
                          " do not multiply (expected 2-D [r, in] and [out, r])";
        }
        ++lora_layers;
        sel.layers.push_back(l);
        if (options.lora_merged) {
          LayerInfo m = l;
          m.layer_id = next_id++;
          m.name = lora_layer_name(*k, LayerSource::LoraMerged);
          m.source = LayerSource::LoraMerged;
          if (m.type != LayerType::Unknown) {
            m.skip_reason.clear();
            apply_filters(m, {&t, &tb});
          }
          sel.layers.push_back(std::move(m));
        }
        continue;
      }
      // A factor without its partner: listed as a layer that is not analysed, with the reason.
      LayerInfo l;
      l.layer_id = next_id++;
      l.name = t.name.substr(0, t.name.size() - kWeight.size());
      l.tensor_index = i;
      l.type = layer_type(t.shape);
      set_dims(l, t.shape);
      l.category = categorize(k->prefix, false);
      l.skip_reason = std::string("LoRA lora_") + k->factor + " without its lora_" + (k->factor == 'A' ? 'B' : 'A');
      ++lora_unpaired;
      sel.layers.push_back(std::move(l));
      continue;
    }
    // With --all-matrices a non-.weight matrix keeps its full key as name and takes the next id in
    // reference order, as the harness's --all-matrices outputs number them.
    const bool weight_key = is_weight_key(t.name);
    if (!weight_key && !(options.all_matrices && is_matrix_rank(t.shape))) {
      if (is_matrix_rank(t.shape)) ++other_matrices;
      sel.ignored.push_back(t.name + ": " +
                            (t.name.ends_with(".bias") ? "bias, never analysed"
                             : is_matrix_rank(t.shape) ? "not a *.weight key (use --all-matrices)"
                                                       : "not a *.weight key"));
      continue;
    }
    LayerInfo l;
    l.layer_id = next_id++;
    l.name = weight_key ? t.name.substr(0, t.name.size() - kWeight.size()) : t.name;
    l.tensor_index = i;
    l.type = layer_type(t.shape);
    set_dims(l, t.shape);
    l.category = categorize(l.name, l.type == LayerType::Conv2d);

    if (include && !std::regex_search(l.name, *include)) l.skip_reason = "not matched by --layers '" + options.include_regex + "'";
    else if (exclude && std::regex_search(l.name, *exclude)) l.skip_reason = "matched by --exclude '" + options.exclude_regex + "'";
    else if (l.type == LayerType::Unknown) l.skip_reason = unknown_reason(t.shape);
    else if (!t.readable()) l.skip_reason = t.unreadable_reason();
    else l.skip_reason = size_filter(l, options);
    l.selected = l.skip_reason.empty();
    sel.layers.push_back(std::move(l));
  }

  if (lora_layers > 0) {
    std::size_t analysed = 0, skipped = 0;
    const LayerInfo* example = nullptr;
    for (const auto& l : sel.layers) {
      if (l.source != LayerSource::LoraProduct) continue;
      if (l.selected) ++analysed;
      else if (++skipped == 1) example = &l;
    }
    std::string note = "LoRA adapter: " + std::to_string(lora_layers) +
                       " lora_A/lora_B pair(s), each one layer <module>.lora_BA = the update dW = B·A (rank r: at most "
                       "r nonzero eigenvalues), as WeightWatcher's peft=True: " + std::to_string(analysed) + " analysed";
    if (skipped > 0)
      note += ", " + std::to_string(skipped) + " skipped (e.g. " + example->name + ": " + example->skip_reason + ")";
    if (options.lora_merged) note += "; <module>.lora_merged is W_base + dW";
    sel.lora_notes.push_back(note);
  }
  if (lora_unpaired > 0) {
    const auto it = std::find_if(sel.layers.begin(), sel.layers.end(), [](const LayerInfo& l) {
      return l.skip_reason.starts_with("LoRA lora_");
    });
    sel.lora_notes.push_back(std::to_string(lora_unpaired) + " LoRA factor(s) without a partner are not analysed (e.g. " +
                             it->name + ": " + it->skip_reason + ")");
  }
  if (other_matrices > 0 && sel.num_selected() == 0)
    sel.notes.push_back(std::string(sel.layers.empty() ? "no *.weight keys" : "no *.weight key passes the rules") +
                        ": WeightWatcher's rules select nothing here, but " + std::to_string(other_matrices) +
                        " 2-D/4-D tensors have other names (TF.js/ONNX/LSTM style); use --all-matrices to analyse them");
  else if (other_matrices > 0)
    sel.notes.push_back(std::to_string(other_matrices) +
                        " 2-D/4-D tensors are not *.weight keys and are ignored as WeightWatcher does; --all-matrices includes them");
  return sel;
}

}  // namespace qspectra::layers
