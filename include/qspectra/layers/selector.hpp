#pragma once
// Which tensors are analysed, in one place: WeightWatcher's default rules (METRICS.md §1-§3) plus
// regex include/exclude and --all-matrices.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "qspectra/io/model_dir.hpp"

namespace qspectra::layers {

enum class LayerType { Dense, Conv2d, Unknown };
// Where a layer's matrix comes from: one stored tensor, or a LoRA pair (lora_A, lora_B) of a PEFT
// adapter: the update dW = B·A (`<prefix>.lora_BA`) or W_base + dW (`<prefix>.lora_merged`, --peft-base).
enum class LayerSource { Tensor, LoraProduct, LoraMerged };
std::string_view layer_type_name(LayerType t);  // "dense", "conv2d", "unknown"

struct SelectorOptions {
  int64_t min_evals = 10;        // skip if M*rf < min_evals (strict: 10x10 is analysed)
  int64_t max_evals = 15000;     // skip if M*rf > max_evals
  int64_t max_N = 50000;         // skip if N > max_N
  bool all_matrices = false;     // any 2-D/4-D tensor, not only *.weight keys
  bool include_oversized = false;// ignore max_N / max_evals (e.g. to analyse large embeddings)
  std::string include_regex;     // --layers: ECMAScript regex searched in the layer name; empty = all
  std::string exclude_regex;     // --exclude; empty = none
  bool lora_merged = false;      // also a `<prefix>.lora_merged` layer per LoRA pair (--peft-base)
  // --shard I/N: pipeline::plan_layers keeps shard I of N of the selected layers (pipeline/shard.hpp);
  // the selection itself (ids, skip reasons) is the whole model's.
  int shard_index = 0, shard_count = 1;
};

struct LayerInfo {
  int64_t layer_id = 0;          // 1-based, counts every *.weight key (WW's dict numbering)
  std::string name;              // key without ".weight" (join key everywhere)
  std::size_t tensor_index = 0;  // into ModelDir::tensors()
  LayerType type = LayerType::Unknown;
  int64_t N = 0, M = 0, rf = 1;  // N = max dim, M = min dim, rf = kh*kw (conv2d)
  std::string category;          // see category.hpp
  bool selected = false;
  std::string skip_reason;       // why not selected (empty when selected)
  // LoRA layers: tensor_index is lora_A's [r, in], lora_b_index lora_B's [out, r]; N, M of dW [out, in].
  LayerSource source = LayerSource::Tensor;
  std::size_t lora_b_index = 0;
  int64_t lora_rank = 0;
  std::string lora_prefix;       // the adapted module's key, e.g. base_model.model.model.layers.0.self_attn.q_proj
};

// A LoRA factor key: `<prefix>.lora_A.weight` / `<prefix>.lora_B.weight` (also `.lora_A.<adapter>.weight`).
struct LoraKey {
  std::string prefix;     // the module, e.g. base_model.model.model.layers.0.self_attn.q_proj
  std::string adapter;    // "" or the adapter name between lora_A/lora_B and .weight
  char factor = 0;        // 'A' or 'B'
};
std::optional<LoraKey> parse_lora_key(const std::string& key);
// The layer name of a LoRA pair's update dW = B·A: `<prefix>.lora_BA` (`<prefix>.<adapter>.lora_BA`).
std::string lora_layer_name(const LoraKey& k, LayerSource source);
// The keys W_base may have in the base model, most likely first: the prefix without PEFT's
// `base_model.model.`, then the prefix itself, each + `.weight` (and `.base_layer.weight`).
std::vector<std::string> lora_base_keys(const std::string& prefix);

struct Selection {
  std::vector<LayerInfo> layers;      // every candidate (selected or not), in reference order
  std::vector<std::string> ignored;   // keys that are not layers at all (e.g. ".bias"), with reason
  // Hints for the user, e.g. that WW's *.weight rule selects nothing and --all-matrices would help.
  std::vector<std::string> notes;
  // What became of a LoRA adapter's factors (pairs analysed as dW = B·A, pairs skipped and why,
  // factors without a partner); the pipeline passes these on to the run's notes.
  std::vector<std::string> lora_notes;
  std::size_t num_selected() const;
};

// Throws UsageError for an invalid regex.
Selection select_layers(const io::ModelDir& model, const SelectorOptions& options);

}  // namespace qspectra::layers
