#include "qspectra/layers/category.hpp"

#include <gtest/gtest.h>

namespace qspectra::layers {
namespace {

struct Case {
  const char* name;
  const char* category;
  bool is_conv = false;
};

TEST(Category, NamingStyles) {
  const Case cases[] = {
      // Llama / Qwen2 / Mistral (HF)
      {"model.layers.0.self_attn.q_proj", "attn_q"}, {"model.layers.0.self_attn.k_proj", "attn_k"},
      {"model.layers.0.self_attn.v_proj", "attn_v"}, {"model.layers.0.self_attn.o_proj", "attn_o"},
      {"model.layers.3.mlp.gate_proj", "mlp_gate"}, {"model.layers.3.mlp.up_proj", "mlp_up"},
      {"model.layers.3.mlp.down_proj", "mlp_down"}, {"model.embed_tokens", "embed"}, {"lm_head", "lm_head"},
      {"model.layers.0.self_attn.q_proj.weight", "attn_q"},  // a full key works too
      // Mixtral experts / Meta Llama originals
      {"model.layers.0.block_sparse_moe.experts.3.w1", "mlp_gate"}, {"model.layers.0.block_sparse_moe.experts.3.w3", "mlp_up"},
      {"model.layers.0.block_sparse_moe.experts.3.w2", "mlp_down"}, {"model.layers.0.block_sparse_moe.gate", "other"},
      {"layers.0.attention.wq", "attn_q"}, {"layers.0.attention.wo", "attn_o"}, {"tok_embeddings", "embed"}, {"output", "lm_head"},
      // llama.cpp GGUF
      {"token_embd.weight", "embed"}, {"output.weight", "lm_head"}, {"blk.0.attn_q.weight", "attn_q"},
      {"blk.0.attn_k.weight", "attn_k"}, {"blk.0.attn_v.weight", "attn_v"}, {"blk.0.attn_output.weight", "attn_o"},
      {"blk.1.attn_qkv.weight", "attn_qkv"}, {"blk.2.ffn_gate.weight", "mlp_gate"}, {"blk.2.ffn_up.weight", "mlp_up"},
      {"blk.2.ffn_down.weight", "mlp_down"}, {"blk.3.ffn_gate_exps.weight", "mlp_gate"},
      {"blk.3.ffn_up_exps.weight", "mlp_up"}, {"blk.3.ffn_down_exps.weight", "mlp_down"},
      {"blk.3.ffn_down_shexp.weight", "mlp_down"}, {"blk.3.ffn_gate_inp.weight", "other"},
      {"blk.0.attn_norm.weight", "other"}, {"blk.0.ffn_norm.weight", "other"}, {"output_norm.weight", "other"},
      // GPT-2
      {"transformer.h.0.attn.c_attn", "attn_qkv"}, {"transformer.h.0.attn.c_proj", "attn_o"},
      {"transformer.h.0.mlp.c_fc", "mlp_up"}, {"transformer.h.0.mlp.c_proj", "mlp_down"},
      {"transformer.wte", "embed"}, {"transformer.wpe", "embed"},
      // BERT
      {"bert.encoder.layer.0.attention.self.query", "attn_q"}, {"bert.encoder.layer.0.attention.self.key", "attn_k"},
      {"bert.encoder.layer.0.attention.self.value", "attn_v"}, {"bert.encoder.layer.0.attention.output.dense", "attn_o"},
      {"bert.encoder.layer.0.intermediate.dense", "mlp_up"}, {"bert.encoder.layer.0.output.dense", "mlp_down"},
      {"bert.embeddings.word_embeddings", "embed"}, {"bert.pooler.dense", "other"},
      // T5
      {"encoder.block.0.layer.0.SelfAttention.q", "attn_q"}, {"encoder.block.0.layer.0.SelfAttention.k", "attn_k"},
      {"encoder.block.0.layer.0.SelfAttention.v", "attn_v"}, {"encoder.block.0.layer.0.SelfAttention.o", "attn_o"},
      {"decoder.block.0.layer.1.EncDecAttention.q", "attn_q"}, {"decoder.block.0.layer.1.EncDecAttention.o", "attn_o"},
      {"encoder.block.0.layer.1.DenseReluDense.wi", "mlp_up"}, {"encoder.block.0.layer.1.DenseReluDense.wi_0", "mlp_gate"},
      {"encoder.block.0.layer.1.DenseReluDense.wi_1", "mlp_up"}, {"encoder.block.0.layer.1.DenseReluDense.wo", "mlp_down"},
      {"shared", "embed"}, {"encoder.embed_tokens", "embed"},
      // fused qkv
      {"model.layers.0.self_attn.qkv_proj", "attn_qkv"}, {"gpt_neox.layers.0.attention.query_key_value", "attn_qkv"},
      {"transformer.blocks.0.attn.Wqkv", "attn_qkv"},
      // conv and the rest
      {"model.layers.0.conv", "conv", true}, {"conv128_1.conv1.conv.filters", "conv", true},
      {"model.layers.0.conv", "other"}, {"sr16k.decoder.rnn.weight_ih", "other"}, {"q", "other"},
      {"model.layers.0.input_layernorm", "other"},
  };
  for (const auto& c : cases) EXPECT_EQ(categorize(c.name, c.is_conv), c.category) << c.name;
}

}  // namespace
}  // namespace qspectra::layers
