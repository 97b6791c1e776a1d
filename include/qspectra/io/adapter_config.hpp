#pragma once
// adapter_config.json of a PEFT LoRA adapter: what --lora-scale needs (PEFT's scaling of dW = B·A).
#include <optional>
#include <string>

namespace qspectra::io {

struct AdapterConfig {
  double lora_alpha = 0;
  double r = 0;
  bool use_rslora = false;      // PEFT's rank-stabilised scaling: lora_alpha / sqrt(r)
  bool has_patterns = false;    // non-empty rank_pattern / alpha_pattern (per-module r and alpha)
  // PEFT's scaling of dW: lora_alpha / r (lora_alpha / sqrt(r) with use_rslora).
  double scaling() const;
};

// adapter_config.json in `model_path` (a directory; nullopt when it is a file or has no such file).
// InputError for malformed JSON or a missing/invalid lora_alpha or r.
std::optional<AdapterConfig> read_adapter_config(const std::string& model_path);

}  // namespace qspectra::io
