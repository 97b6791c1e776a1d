// End to end: precision-sweep on the bundled model; its output files and their columns.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "../common/reference_csv.hpp"
#include "../io/safetensors_builder.hpp"
#include "app_runner.hpp"

namespace qspectra::testing {
namespace {

const std::string kModel = std::string(QSPECTRA_DATA_DIR) + "/llama2c-stories260K-plctlab";
const std::string kRef = std::string(QSPECTRA_TEST_DATA_DIR) + "/reference/llama2c-stories260K-plctlab";

bool has_column(const CsvTable& t, const std::string& c) {
  return std::find(t.columns.begin(), t.columns.end(), c) != t.columns.end();
}

TEST(PrecisionSweep, WritesAllOutputsWithDocumentedColumns) {
  test::TempDir out;
  auto r = run_app("precision-sweep", {kModel, "--variants", "fp32,bf16,sym:8:g128,nf4", "--bits", "4",
                                       "--granularity", "channel", "--out-dir", out.str()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("pearson"), std::string::npos) << r.output;

  const auto longt = read_csv(out.str() + "/sweep_long.csv");
  EXPECT_EQ(longt.rows.size(), 36u * 5u);
  for (const char* c : {"name", "category", "variant", "alpha", "alpha_hill", "hill_k", "num_evals", "stable_rank",
                        "log_norm", "status", "q_mse", "q_sqnr_db", "q_max_err", "bits_per_weight"})
    EXPECT_TRUE(has_column(longt, c)) << c;

  const auto wide = read_csv(out.str() + "/precision_alpha_hill_results.csv");
  EXPECT_EQ(wide.rows.size(), 36u);
  for (const char* c : {"layer_name", "block", "category", "out_features", "in_features", "numel", "alpha_fp32", "k_used_fp32",
                        "n_eigs_fp32", "method_fp32", "ww_alpha_fp32", "alpha_sym_8_g128", "alpha_nf4",
                        "alpha_sym_4_channel"})
    EXPECT_TRUE(has_column(wide, c)) << c;
  const auto& down = wide.find("layer_name", "model.layers.0.mlp.down_proj");
  EXPECT_EQ(down.integer("out_features"), 64);
  EXPECT_EQ(down.integer("in_features"), 172);
  EXPECT_EQ(down.integer("numel"), 64 * 172);

  // fp32 is the identity on an F32 model: its numbers are ww-analyze's (the reference).
  const auto ref = read_csv(kRef + "/ww_layers.csv");
  const auto hill = read_csv(kRef + "/hill.csv");
  double hill_mean = 0, ww_mean = 0, ww_min = 1e300, ww_max = -1e300;
  int64_t ww_count = 0, ww_in_2_6 = 0;
  for (const auto& row : ref.rows) {
    if (row.str("status") == "success") {
      const double a = row.num("alpha");
      ww_mean += a;
      ww_min = std::min(ww_min, a);
      ww_max = std::max(ww_max, a);
      ++ww_count;
      ww_in_2_6 += a >= 2 && a <= 6;
    }
    const auto& w = wide.find("layer_name", row.str("name"));
    EXPECT_NEAR(w.num("ww_alpha_fp32"), row.num("alpha"), 1e-9 * std::fabs(row.num("alpha"))) << row.str("name");
    const auto& h = hill.find("name", row.str("name"));
    EXPECT_NEAR(w.num("alpha_fp32"), h.num("alpha_hill"), 1e-9 * std::fabs(h.num("alpha_hill"))) << row.str("name");
    EXPECT_EQ(w.integer("k_used_fp32"), h.integer("k"));
    hill_mean += h.num("alpha_hill") / double(ref.rows.size());
  }
  ww_mean /= double(ww_count);

  const auto stats = read_csv(out.str() + "/precision_summary_statistics.csv");
  EXPECT_EQ(stats.columns, (std::vector<std::string>{"metric", "precision", "count", "mean", "std", "min", "median", "max",
                                                      "q25", "q75"}));
  EXPECT_EQ(stats.rows.size(), 5u);
  EXPECT_EQ(stats.find("precision", "fp32").integer("count"), 36);
  for (const auto& row : stats.rows) EXPECT_EQ(row.str("metric"), "alpha_hill");
  EXPECT_NEAR(stats.find("precision", "fp32").num("mean"), hill_mean, 1e-9 * hill_mean);

  // WW alpha per variant (the seed notebook's summary table): fp32 matches ww-analyze's layers.
  const auto ww = read_csv(out.str() + "/precision_ww_alpha_summary.csv");
  EXPECT_EQ(ww.columns, (std::vector<std::string>{"variant", "count", "mean", "std", "median", "min", "max", "in_2_6",
                                                   "below_2", "above_6"}));
  ASSERT_EQ(ww.rows.size(), 5u);
  const auto& fp32 = ww.find("variant", "fp32");
  EXPECT_EQ(fp32.integer("count"), ww_count);
  EXPECT_NEAR(fp32.num("mean"), ww_mean, 1e-9 * ww_mean);
  EXPECT_NEAR(fp32.num("min"), ww_min, 1e-12);
  EXPECT_NEAR(fp32.num("max"), ww_max, 1e-12);
  EXPECT_EQ(fp32.integer("in_2_6") + fp32.integer("below_2") + fp32.integer("above_6"), ww_count);
  EXPECT_EQ(fp32.integer("in_2_6"), ww_in_2_6);

  std::ifstream js(out.str() + "/sweep_comparison.json");
  const auto j = nlohmann::json::parse(js);
  EXPECT_EQ(j["baseline"], "fp32");
  ASSERT_EQ(j["variants"].size(), 5u);
  EXPECT_DOUBLE_EQ(j["variants"][0]["pearson_alpha"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(j["variants"][0]["change_pct"].get<double>(), 0.0);
  for (const auto& v : j["variants"])
    for (const char* k : {"variant", "mean_alpha", "change_pct", "pearson_alpha", "alpha_in_2_6", "alpha_in_2_6_pct",
                          "alpha_below_2", "alpha_above_6", "failed", "non_finite"})
      EXPECT_TRUE(v.contains(k)) << k;
}

TEST(PrecisionSweep, ReadsEachLayerOnce) {
  test::TempDir out;
  auto r = run_app("precision-sweep", {kModel, "--variants", "fp32,fp16,bf16,sym:8,sym:4,sym:2", "--out-dir", out.str(),
                                       "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream js(out.str() + "/sweep_comparison.json");
  const auto j = nlohmann::json::parse(js);
  const auto wide = read_csv(out.str() + "/precision_alpha_hill_results.csv");
  uint64_t bytes = 0;
  for (const auto& row : wide.rows) bytes += static_cast<uint64_t>(row.integer("numel")) * 4;
  EXPECT_EQ(j["meta"]["tensor_bytes_read"].get<uint64_t>(), bytes);
}

TEST(PrecisionSweep, GgmlVariantsFallBackPerLayerWithAWarningEach) {
  test::TempDir out;
  auto r = run_app("precision-sweep", {kModel, "--variants", "fp32,q8_0,q4_k", "--out-dir", out.str(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto longt = read_csv(out.str() + "/sweep_long.csv");
  int q8_down = 0;
  for (const auto* row : longt.where("name", "model.layers.0.mlp.down_proj")) {
    if (row->str("variant") == "q8_0") {
      EXPECT_EQ(row->str("quant_spec"), "q8_0->f16");
      ++q8_down;
    }
    if (row->str("variant") == "q4_k") EXPECT_EQ(row->str("quant_spec"), "q4_k->f16");
  }
  EXPECT_EQ(q8_down, 1);
  std::ifstream js(out.str() + "/sweep_comparison.json");
  const auto j = nlohmann::json::parse(js);
  ASSERT_EQ(j["meta"]["warnings"].size(), 2u) << j["meta"]["warnings"].dump();
  EXPECT_NE(j["meta"]["warnings"][0].get<std::string>().find("(q8_0->f16: 5)"), std::string::npos);
  EXPECT_NE(j["meta"]["warnings"][1].get<std::string>().find("(q4_k->f16: 5, q4_k->q5_0: 31)"), std::string::npos);
}

TEST(PrecisionSweep, BadVariantAndBaselineAreUsageErrors) {
  test::TempDir out;
  EXPECT_EQ(run_app("precision-sweep", {kModel, "--variants", "sym:99", "--out-dir", out.str()}).exit_code, 2);
  EXPECT_EQ(run_app("precision-sweep", {kModel, "--variants", "fp16", "--baseline", "bf16", "--out-dir", out.str()}).exit_code, 2);
  EXPECT_EQ(run_app("precision-sweep", {kModel, "--bits", "4", "--granularity", "rows", "--out-dir", out.str()}).exit_code, 2);
  EXPECT_TRUE(files_under(out.path()).empty());
}

TEST(PrecisionSweep, NonFiniteAfterCastIsReportedNotAnalysed) {
  // A weight above the fp16 range overflows to inf in the fp16 variant only.
  test::TempDir dir, out;
  std::vector<float> w(32 * 32);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(static_cast<int>(i * 7919 % 101) - 50) / 50.0f;
  w[5] = 1e6f;
  test::write_file(dir.path() / "model.safetensors",
                   test::build_safetensors({{"big.weight", "F32", {32, 32}, test::le_bytes(w)}}));
  auto r = run_app("precision-sweep", {dir.str(), "--variants", "fp32,fp16", "--out-dir", out.str(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto longt = read_csv(out.str() + "/sweep_long.csv");
  EXPECT_EQ(longt.find("variant", "fp32").str("status"), "success");
  EXPECT_EQ(longt.find("variant", "fp16").str("status"), "non_finite");
  EXPECT_EQ(longt.find("variant", "fp16").integer("non_finite_count"), 1);
}

}  // namespace
}  // namespace qspectra::testing
