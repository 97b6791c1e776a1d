#pragma once
// Which tensors are analysed, in one place: WeightWatcher's default rules (METRICS.md §1-§3) plus
// regex include/exclude and --all-matrices.
#include <cstdint>
#include <string>
#include <vector>

#include "qspectra/io/model_dir.hpp"

namespace qspectra::layers {

enum class LayerType { Dense, Conv2d, Unknown };
std::string_view layer_type_name(LayerType t);  // "dense", "conv2d", "unknown"

struct SelectorOptions {
  int64_t min_evals = 10;        // skip if M*rf < min_evals (strict: 10x10 is analysed)
  int64_t max_evals = 15000;     // skip if M*rf > max_evals
  int64_t max_N = 50000;         // skip if N > max_N
  bool all_matrices = false;     // any 2-D/4-D tensor, not only *.weight keys
  bool include_oversized = false;// ignore max_N / max_evals (e.g. to analyse large embeddings)
  std::string include_regex;     // --layers: ECMAScript regex searched in the layer name; empty = all
  std::string exclude_regex;     // --exclude; empty = none
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
};

struct Selection {
  std::vector<LayerInfo> layers;      // every candidate (selected or not), in reference order
  std::vector<std::string> ignored;   // keys that are not layers at all (e.g. ".bias"), with reason
  // Hints for the user, e.g. that WW's *.weight rule selects nothing and --all-matrices would help.
  std::vector<std::string> notes;
  std::size_t num_selected() const;
};

// Throws UsageError for an invalid regex.
Selection select_layers(const io::ModelDir& model, const SelectorOptions& options);

}  // namespace qspectra::layers
