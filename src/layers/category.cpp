// Layer roles from names. Rules look at the last one or two dot-separated components, so they work
// for any prefix (model.layers.N., transformer.h.N., encoder.block.N.layer.M., experts.K.).
#include "qspectra/layers/category.hpp"

#include <algorithm>
#include <initializer_list>
#include <vector>

namespace qspectra::layers {
namespace {

bool in(std::string_view s, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

bool contains(std::string_view s, std::string_view x) { return s.find(x) != std::string_view::npos; }

std::vector<std::string_view> split(std::string_view name) {
  std::vector<std::string_view> parts;
  for (std::size_t pos = 0;;) {
    auto dot = name.find('.', pos);
    parts.push_back(name.substr(pos, dot - pos));
    if (dot == std::string_view::npos) return parts;
    pos = dot + 1;
  }
}

}  // namespace

std::string categorize(std::string_view name, bool is_conv) {
  if (name.size() > 7 && name.substr(name.size() - 7) == ".weight") name.remove_suffix(7);
  const auto parts = split(name);
  const std::string_view last = parts.back();
  const std::string_view prev = parts.size() > 1 ? parts[parts.size() - 2] : std::string_view{};
  // Single-letter T5 names and BERT's "output.dense" mean attention only inside an attention block.
  const bool in_attention = contains(name, "ttention") || contains(name, "attn");

  if (in(last, {"lm_head", "embed_out"}) || (parts.size() == 1 && last == "output")) return "lm_head";
  if (in(last, {"embed_tokens", "tok_embeddings", "wte", "wpe", "word_embeddings", "position_embeddings",
                "token_type_embeddings", "embed_positions", "embed_in", "shared", "token_embd", "position_embd",
                "token_types"}))
    return "embed";

  // llama.cpp's GGUF names (blk.N.attn_q, blk.N.ffn_down_exps, ...): MoE experts (_exps) and shared
  // experts (_shexp) are MLPs like the dense ones; ffn_gate_inp (the router) stays "other".
  if (last == "attn_qkv") return "attn_qkv";
  if (last == "attn_q") return "attn_q";
  if (last == "attn_k") return "attn_k";
  if (last == "attn_v") return "attn_v";
  if (in(last, {"attn_output", "attn_out"})) return "attn_o";
  if (in(last, {"ffn_gate", "ffn_gate_exps", "ffn_gate_shexp"})) return "mlp_gate";
  if (in(last, {"ffn_up", "ffn_up_exps", "ffn_up_shexp"})) return "mlp_up";
  if (in(last, {"ffn_down", "ffn_down_exps", "ffn_down_shexp"})) return "mlp_down";

  if (in(last, {"qkv_proj", "query_key_value", "Wqkv", "c_attn", "qkv", "in_proj"})) return "attn_qkv";
  if (in(last, {"q_proj", "query", "wq", "q_lin"}) || (last == "q" && in_attention)) return "attn_q";
  if (in(last, {"k_proj", "key", "wk", "k_lin"}) || (last == "k" && in_attention)) return "attn_k";
  if (in(last, {"v_proj", "value", "wv", "v_lin"}) || (last == "v" && in_attention)) return "attn_v";

  if (last == "wo") return prev == "DenseReluDense" ? "mlp_down" : "attn_o";  // T5 FFN vs Meta-Llama attention
  if (last == "c_proj") return prev == "mlp" ? "mlp_down" : "attn_o";         // GPT-2
  if (last == "dense" && prev == "output") return in_attention ? "attn_o" : "mlp_down";  // BERT
  if (in(last, {"o_proj", "out_proj", "out_lin"}) || (last == "o" && in_attention) ||
      (last == "dense" && in_attention))
    return "attn_o";

  if (in(last, {"gate_proj", "w1", "wi_0"})) return "mlp_gate";
  if (in(last, {"up_proj", "w3", "wi", "wi_1", "c_fc", "fc1", "dense_h_to_4h"}) ||
      (last == "dense" && prev == "intermediate"))
    return "mlp_up";
  if (in(last, {"down_proj", "w2", "fc2", "dense_4h_to_h"})) return "mlp_down";

  return is_conv ? "conv" : "other";
}

}  // namespace qspectra::layers
