// ww-analyze on a LoRA adapter directory: --lora-scale, --peft-base, the skip message, --help.
#include <gtest/gtest.h>

#include <random>

#include "../common/reference_csv.hpp"
#include "../io/safetensors_builder.hpp"
#include "app_runner.hpp"

namespace qspectra::testing {
namespace {

const std::string kQ = "base_model.model.model.layers.0.self_attn.q_proj";

test::StEntry random_entry(const std::string& name, int64_t rows, int64_t cols, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(static_cast<std::size_t>(rows * cols));
  for (auto& x : v) x = d(gen);
  return {name, "F32", {rows, cols}, test::le_bytes(v)};
}

void write_adapter(const test::TempDir& dir, int64_t out, int64_t r, int64_t in) {
  test::write_file(dir.path() / "adapter_model.safetensors",
                   test::build_safetensors({random_entry(kQ + ".lora_A.weight", r, in, 1),
                                            random_entry(kQ + ".lora_B.weight", out, r, 2)}));
  test::write_file(dir.path() / "adapter_config.json", std::string(R"({"r": 8, "lora_alpha": 32})"));
}

TEST(LoraCli, AdapterLayersScaledAndMerged) {
  test::TempDir dir, base, out;
  write_adapter(dir, 24, 8, 40);
  test::write_file(base.path() / "model.safetensors",
                   test::build_safetensors({random_entry("model.layers.0.self_attn.q_proj.weight", 24, 40, 3)}));
  auto r = run_app("ww-analyze", {dir.str(), "--out-dir", out.str(), "--save-evals", "--lora-scale", "--peft-base",
                                  base.str(), "--format", "csv,json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("--lora-scale: dW = 4 * B"), std::string::npos) << r.output;  // 32 / 8
  const auto layers = read_csv(out.str() + "/ww_layers.csv");
  ASSERT_EQ(layers.rows.size(), 2u);
  EXPECT_EQ(layers.rows[0].str("name"), kQ + ".lora_BA");
  EXPECT_EQ(layers.rows[0].str("tensor_shape"), "24x40");
  EXPECT_EQ(layers.rows[0].integer("num_evals"), 24);
  EXPECT_EQ(layers.rows[0].integer("matrix_rank"), 8);
  EXPECT_EQ(layers.rows[1].str("name"), kQ + ".lora_merged");
  EXPECT_EQ(layers.rows[1].integer("matrix_rank"), 24);
  const auto evals = read_csv(out.str() + "/ww_evals.csv");
  std::size_t product_rows = 0, product_nonzero = 0;
  for (const auto& row : evals.rows)
    if (row.str("name") == kQ + ".lora_BA") {
      ++product_rows;
      product_nonzero += row.num("lambda") > 0;
    }
  EXPECT_EQ(product_rows, 24u);
  EXPECT_EQ(product_nonzero, 8u);
}

TEST(LoraCli, EverythingSkippedPointsAtMinEvals) {
  test::TempDir dir, out;
  write_adapter(dir, 16, 2, 8);  // dW is 16 x 8: 8 eigenvalues < 10
  auto r = run_app("ww-analyze", {dir.str(), "--out-dir", out.str(), "--quiet"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("M*rf = 8 < min_evals 10"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--min-evals 8"), std::string::npos) << r.output;
  auto ok = run_app("ww-analyze", {dir.str(), "--out-dir", out.str(), "--quiet", "--min-evals", "8"});
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
}

TEST(LoraCli, HelpNamesTheOptions) {
  for (const char* app : {"ww-analyze", "precision-sweep"}) {
    auto r = run_app(app, {"--help"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    for (const char* opt : {"--save-evals", "--lora-scale", "--peft-base"})
      EXPECT_NE(r.output.find(opt), std::string::npos) << app << " " << opt;
  }
}

}  // namespace
}  // namespace qspectra::testing
