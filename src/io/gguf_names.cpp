// llama.cpp's GGUF tensor names and row order against the Hugging Face llama layout (convert_hf_to_gguf.py's
// tensor map and LlamaModel.permute), so a GGUF model can be compared with its float source.
#include <array>
#include <string>

#include "qspectra/io/gguf.hpp"

namespace qspectra::io {
namespace {

struct NamePair {
  std::string_view gguf, hf;  // the part after "blk.N." / "model.layers.N."
};
constexpr std::array<NamePair, 11> kBlock{{
    {"attn_q", "self_attn.q_proj"}, {"attn_k", "self_attn.k_proj"}, {"attn_v", "self_attn.v_proj"},
    {"attn_output", "self_attn.o_proj"}, {"ffn_gate", "mlp.gate_proj"}, {"ffn_up", "mlp.up_proj"},
    {"ffn_down", "mlp.down_proj"}, {"attn_norm", "input_layernorm"}, {"ffn_norm", "post_attention_layernorm"},
    {"attn_q_norm", "self_attn.q_norm"}, {"attn_k_norm", "self_attn.k_norm"},
}};
constexpr std::array<NamePair, 3> kTop{{
    {"token_embd", "model.embed_tokens"}, {"output", "lm_head"}, {"output_norm", "model.norm"},
}};

// "<prefix><digits>.<rest>" -> (digits, rest)
std::optional<std::pair<std::string_view, std::string_view>> block_parts(std::string_view name, std::string_view prefix) {
  if (name.substr(0, prefix.size()) != prefix) return std::nullopt;
  name.remove_prefix(prefix.size());
  const auto dot = name.find('.');
  if (dot == 0 || dot == std::string_view::npos) return std::nullopt;
  for (char c : name.substr(0, dot))
    if (c < '0' || c > '9') return std::nullopt;
  return std::pair{name.substr(0, dot), name.substr(dot + 1)};
}

// "x.weight" -> ("x", ".weight"); also ".bias"
std::pair<std::string_view, std::string_view> split_suffix(std::string_view s) {
  for (std::string_view suf : {".weight", ".bias"})
    if (s.size() > suf.size() && s.substr(s.size() - suf.size()) == suf) return {s.substr(0, s.size() - suf.size()), suf};
  return {s, {}};
}

std::optional<std::string> translate(std::string_view name, bool to_hf) {
  const std::string_view from_prefix = to_hf ? "blk." : "model.layers.", to_prefix = to_hf ? "model.layers." : "blk.";
  if (const auto bp = block_parts(name, from_prefix)) {
    const auto [base, suffix] = split_suffix(bp->second);
    for (const auto& p : kBlock)
      if ((to_hf ? p.gguf : p.hf) == base)
        return std::string(to_prefix) + std::string(bp->first) + "." + std::string(to_hf ? p.hf : p.gguf) + std::string(suffix);
    return std::nullopt;
  }
  const auto [base, suffix] = split_suffix(name);
  for (const auto& p : kTop)
    if ((to_hf ? p.gguf : p.hf) == base) return std::string(to_hf ? p.hf : p.gguf) + std::string(suffix);
  return std::nullopt;
}

}  // namespace

std::optional<std::string> gguf_to_hf_name(std::string_view n) { return translate(n, true); }
std::optional<std::string> hf_to_gguf_name(std::string_view n) { return translate(n, false); }

std::optional<std::pair<int64_t, int64_t>> gguf_llama_heads(const GgufHeader& h) {
  const auto* arch = h.find("general.architecture");
  // convert_hf_to_gguf.py permutes for LlamaModel (architecture "llama", which Mistral also uses).
  if (!arch || arch->value.type != GgufType::STRING || arch->value.s != "llama") return std::nullopt;
  const auto n_head = h.find_int("llama.attention.head_count");
  if (!n_head || *n_head <= 0) return std::nullopt;
  const auto n_kv = h.find_int("llama.attention.head_count_kv").value_or(*n_head);
  if (n_kv <= 0) return std::nullopt;
  return std::pair{*n_head, n_kv};
}

bool unpermute_llama_rows(TensorData& t, int64_t n_head) {
  if (t.shape.size() != 2 || n_head <= 0 || t.shape[0] % (2 * n_head) != 0) return false;
  const int64_t rows = t.shape[0], cols = t.shape[1], d = rows / n_head, half = d / 2;
  std::vector<double> out(t.values.size());
  for (int64_t h = 0; h < n_head; ++h)
    for (int64_t i = 0; i < half; ++i)
      for (int64_t j = 0; j < 2; ++j) {
        const double* src = t.values.data() + (h * d + 2 * i + j) * cols;
        std::copy(src, src + cols, out.data() + (h * d + j * half + i) * cols);
      }
  t.values = std::move(out);
  return true;
}

}  // namespace qspectra::io
