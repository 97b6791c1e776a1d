#pragma once
// A coarse role for a layer from its name (Llama/Qwen/Mistral/GPT-2/BERT/T5 naming styles):
// attn_q, attn_k, attn_v, attn_o, attn_qkv, mlp_gate, mlp_up, mlp_down, embed, lm_head, conv, other.
#include <string>
#include <string_view>

namespace qspectra::layers {

// `is_conv` is true for 4-D kernels whose name says nothing more specific.
std::string categorize(std::string_view name, bool is_conv = false);

}  // namespace qspectra::layers
