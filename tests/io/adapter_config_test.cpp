// adapter_config.json: PEFT's scaling for --lora-scale.
#include "qspectra/io/adapter_config.hpp"

#include <gtest/gtest.h>

#include "qspectra/core/error.hpp"
#include "safetensors_builder.hpp"

namespace qspectra::io {
namespace {

std::optional<AdapterConfig> with_config(const test::TempDir& dir, const std::string& text) {
  test::write_file(dir.path() / "adapter_config.json", text);
  return read_adapter_config(dir.str());
}

TEST(AdapterConfig, ScalingIsAlphaOverR) {
  test::TempDir dir;
  const auto c = with_config(dir, R"({"r": 8, "lora_alpha": 32, "target_modules": ["q_proj"]})");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->scaling(), 4.0);
  EXPECT_FALSE(c->has_patterns);
  const auto rs = with_config(dir, R"({"r": 16, "lora_alpha": 32, "use_rslora": true, "rank_pattern": {}})");
  EXPECT_EQ(rs->scaling(), 8.0);
  EXPECT_FALSE(rs->has_patterns);
  EXPECT_TRUE(with_config(dir, R"({"r": 8, "lora_alpha": 8, "alpha_pattern": {"q_proj": 16}})")->has_patterns);
}

TEST(AdapterConfig, MissingFileIsNoConfigBadValuesAreInputErrors) {
  test::TempDir dir;
  EXPECT_FALSE(read_adapter_config(dir.str()));
  EXPECT_FALSE(read_adapter_config((dir.path() / "nothing-here").string()));
  EXPECT_THROW(with_config(dir, R"({"r": 0, "lora_alpha": 8})"), InputError);
  EXPECT_THROW(with_config(dir, R"({"r": 8})"), InputError);
  EXPECT_THROW(with_config(dir, R"({"r": "8", "lora_alpha": 8})"), InputError);
  EXPECT_THROW(with_config(dir, R"({"r": 8, "r": 4, "lora_alpha": 8})"), InputError);  // duplicate key
  EXPECT_THROW(with_config(dir, "[1, 2]"), InputError);
}

}  // namespace
}  // namespace qspectra::io
