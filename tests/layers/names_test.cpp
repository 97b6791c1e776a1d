// Natural name order and the block index.
#include "qspectra/layers/names.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace qspectra::layers {
namespace {

TEST(NaturalLess, NumbersCompareByValue) {
  EXPECT_TRUE(natural_less("model.layers.2.mlp", "model.layers.10.mlp"));
  EXPECT_FALSE(natural_less("model.layers.10.mlp", "model.layers.2.mlp"));
  EXPECT_TRUE(natural_less("layers.9", "layers.10"));
  EXPECT_TRUE(natural_less("a", "a1"));
  EXPECT_TRUE(natural_less("a.1.x", "a.1.y"));
  EXPECT_FALSE(natural_less("same", "same"));
  // Equal by value, different text: byte order decides, so the order stays total and strict.
  EXPECT_NE(natural_less("x.01", "x.1"), natural_less("x.1", "x.01"));
}

TEST(NaturalLess, SortsATransformerInDepthOrder) {
  std::vector<std::string> names = {"model.layers.10.self_attn.q_proj", "model.layers.2.mlp.up_proj",
                                    "model.embed_tokens", "model.layers.1.self_attn.q_proj", "lm_head",
                                    "model.layers.2.mlp.down_proj"};
  std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) { return natural_less(a, b); });
  EXPECT_EQ(names, (std::vector<std::string>{"lm_head", "model.embed_tokens", "model.layers.1.self_attn.q_proj",
                                             "model.layers.2.mlp.down_proj", "model.layers.2.mlp.up_proj",
                                             "model.layers.10.self_attn.q_proj"}));
}

TEST(BlockIndex, LlamaGpt2AndGgufNames) {
  EXPECT_EQ(block_index("model.layers.12.mlp.up_proj"), 12);
  EXPECT_EQ(block_index("layers.0.attention.wq"), 0);
  EXPECT_EQ(block_index("transformer.h.3.attn.c_attn"), 3);
  EXPECT_EQ(block_index("blk.7.attn_q"), 7);
  EXPECT_EQ(block_index("model.encoder.layers.4.fc1"), 4);
}

TEST(BlockIndex, EmptyWhenTheNameHasNone) {
  EXPECT_EQ(block_index("model.embed_tokens"), std::nullopt);
  EXPECT_EQ(block_index("lm_head"), std::nullopt);
  EXPECT_EQ(block_index("transformer.wte"), std::nullopt);
  EXPECT_EQ(block_index("mlp.dense_h_to_4h"), std::nullopt);  // "4h." is not a component "h."
  EXPECT_EQ(block_index("model.layers.final_norm"), std::nullopt);
  EXPECT_EQ(block_index("model.layers.3x.proj"), std::nullopt);
}

}  // namespace
}  // namespace qspectra::layers
