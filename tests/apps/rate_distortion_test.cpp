// End to end: rate-distortion on the bundled model.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "../common/reference_csv.hpp"
#include "../io/safetensors_builder.hpp"
#include "app_runner.hpp"

namespace qspectra::testing {
namespace {

const std::string kModel = std::string(QSPECTRA_DATA_DIR) + "/llama2c-stories260K-plctlab";

TEST(RateDistortion, CurvesTargetsSummaryAndGapTable) {
  test::TempDir out;
  auto r = run_app("rate-distortion", {kModel, "--layers", "layers\\.0\\.", "--bits", "1-4",
                                       "--methods", "uniform_sym,lloyd_max,group_32,nf4,vq_d2",
                                       "--targets", "0.01,0.1", "--out-dir", out.str(), "--seed", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Gap summary"), std::string::npos);

  const auto curves = read_csv(out.str() + "/rd_curves.csv");
  for (const char* c : {"name", "category", "method", "bits", "rate", "mse", "sqnr_db", "max_err", "variance",
                        "kurtosis", "shannon_d", "gap_bits"})
    EXPECT_NE(std::find(curves.columns.begin(), curves.columns.end(), c), curves.columns.end()) << c;
  EXPECT_EQ(curves.rows.size(), 7u * 5u * 4u);  // 7 layers in block 0 x 5 methods x 4 bit settings
  for (const auto& row : curves.rows) EXPECT_EQ(row.str("block"), "0") << row.str("name");
  for (const auto& row : curves.rows) {
    if (row.str("skipped") == "True") {
      EXPECT_FALSE(row.str("note").empty());
      continue;
    }
    // The Shannon bound is a lower bound on the distortion of any quantizer at that rate... for a
    // Gaussian; these weights are not Gaussian, so only check the definitions are consistent.
    EXPECT_NEAR(row.num("shannon_d"), row.num("variance") * std::pow(2.0, -2 * row.num("rate")), 1e-12 * row.num("variance"));
    EXPECT_NEAR(row.num("gap_bits"), 0.5 * std::log2(row.num("mse") / row.num("shannon_d")), 1e-9);
  }
  // nf4 exists at 4 bits only: the other settings are skipped with a note.
  const auto nf4 = curves.where("method", "nf4");
  EXPECT_EQ(std::count_if(nf4.begin(), nf4.end(), [](auto* r) { return r->str("skipped") == "True"; }), 7 * 3);

  const auto targets = read_csv(out.str() + "/rd_targets.csv");
  for (const char* c : {"name", "method", "target_d", "r_emp", "r_shannon", "gap", "status"})
    EXPECT_NE(std::find(targets.columns.begin(), targets.columns.end(), c), targets.columns.end()) << c;
  for (const auto& row : targets.rows)
    EXPECT_TRUE(row.str("status") == "ok" || row.str("status") == "insufficient coverage") << row.str("status");

  std::ifstream js(out.str() + "/rd_summary.json");
  const auto j = nlohmann::json::parse(js);
  EXPECT_EQ(j["layers"].size(), 7u);
  EXPECT_EQ(j["meta"]["seed"], 3);
  EXPECT_FALSE(j["categories"].empty());
}

// Per-tensor vs per-channel in one command: quantizer specs as methods, through the spec parser.
TEST(RateDistortion, QuantizerSpecsAsMethodsNewColumns) {
  test::TempDir out;
  auto r = run_app("rate-distortion", {kModel, "--layers", "layers\\.0\\.", "--bits", "2-4", "--methods",
                                       "sym:B,sym:B:channel,sym:4:g64,lloyd_max", "--out-dir", out.str(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto curves = read_csv(out.str() + "/rd_curves.csv");
  EXPECT_EQ(curves.rows.size(), 7u * 4u * 3u);
  for (const char* c : {"gap_bits_with_codebook", "converged", "status"})
    EXPECT_NE(std::find(curves.columns.begin(), curves.columns.end(), c), curves.columns.end()) << c;
  int fixed_ran = 0;
  for (const auto& row : curves.rows) {
    EXPECT_EQ(row.str("status"), "ok");
    if (row.str("method") == "sym:4:g64" && row.str("skipped") == "False") {
      EXPECT_EQ(row.integer("bits"), 4);
      ++fixed_ran;
    }
    if (row.str("skipped") == "True") continue;
    EXPECT_EQ(row.str("converged"), "True") << row.str("method");  // lloyd_max converges on these layers
    EXPECT_NEAR(row.num("gap_bits_with_codebook"),
                0.5 * std::log2(row.num("mse") / (row.num("variance") * std::pow(2.0, -2 * row.num("rate_with_codebook")))),
                1e-9);
    // per-channel costs 16 bits per row in rate; per-tensor pays its one scale in rate_with_codebook only
    if (row.str("method") == "sym:B") EXPECT_EQ(row.num("rate"), row.num("bits"));
    if (row.str("method") == "sym:B:channel") EXPECT_GT(row.num("rate"), row.num("bits"));
  }
  EXPECT_EQ(fixed_ran, 7);
  const auto bad = run_app("rate-distortion", {kModel, "--methods", "sym:1", "--out-dir", out.str() + "/x"});
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("--methods: sym"), std::string::npos) << bad.output;
}

TEST(RateDistortion, SameSeedSameResult) {
  test::TempDir a, b;
  for (auto* d : {&a, &b}) {
    auto r = run_app("rate-distortion", {kModel, "--layers", "layers\\.1\\.self_attn\\.q_proj", "--bits", "2-3",
                                         "--methods", "vq_d4,pq_d8_m2", "--out-dir", d->str(), "--quiet", "--seed", "11"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  std::ifstream fa(a.str() + "/rd_curves.csv"), fb(b.str() + "/rd_curves.csv");
  std::string sa((std::istreambuf_iterator<char>(fa)), {}), sb((std::istreambuf_iterator<char>(fb)), {});
  EXPECT_EQ(sa, sb);
}

TEST(RateDistortion, PreQuantizedLayerGivesMinusInfGapNotACrash) {
  // A layer with 3 distinct values {-a, 0, a}: the 2-bit symmetric grid {-s, 0, s} (group_32, s = absmax)
  // represents it exactly, mse = 0; the seed's 5-level grid does not.
  test::TempDir dir, out;
  std::vector<float> w(64 * 32);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(static_cast<int>(i % 3) - 1) * 0.5f;
  test::write_file(dir.path() / "model.safetensors",
                   test::build_safetensors({{"q.weight", "F32", {64, 32}, test::le_bytes(w)}}));
  auto r = run_app("rate-distortion", {dir.str(), "--bits", "2", "--methods", "group_32,seed_sym", "--out-dir",
                                       out.str(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto curves = read_csv(out.str() + "/rd_curves.csv");
  EXPECT_EQ(curves.find("method", "group_32").str("gap_bits"), "-inf");
  EXPECT_EQ(curves.find("method", "group_32").num("mse"), 0.0);
  EXPECT_GT(curves.find("method", "seed_sym").num("mse"), 0.0);
}

TEST(RateDistortion, UsageErrors) {
  test::TempDir out;
  EXPECT_EQ(run_app("rate-distortion", {kModel, "--methods", "magic", "--out-dir", out.str()}).exit_code, 2);
  EXPECT_EQ(run_app("rate-distortion", {kModel, "--bits", "0-3", "--out-dir", out.str()}).exit_code, 2);
  EXPECT_EQ(run_app("rate-distortion", {kModel, "--targets", "2", "--out-dir", out.str()}).exit_code, 2);
  EXPECT_TRUE(files_under(out.path()).empty());
}

TEST(QspectraInspect, ListsLayersAndReasonsFromHeadersOnly) {
  auto r = run_app("qspectra-inspect", {std::string(QSPECTRA_TEST_DATA_DIR) + "/fixtures/edge-cases"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("model.layers.1.too_long.weight"), std::string::npos);
  EXPECT_NE(r.output.find("max_N"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("layer(s) would be analysed"), std::string::npos);
}

TEST(QspectraInspect, VersionAndCsvAndJsonFormats) {
  auto v = run_app("qspectra-inspect", {"--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_NE(v.output.find("qspectra-inspect (qspectra) "), std::string::npos) << v.output;

  const std::string model = std::string(QSPECTRA_TEST_DATA_DIR) + "/fixtures/edge-cases";
  test::TempDir out;
  const std::string csv_path = out.str() + "/tensors.csv";
  int code = -1;
  read_pipe(shell_quote(app_path("qspectra-inspect")) + " " + shell_quote(model) + " --format csv > " +
                shell_quote(csv_path),
            &code);
  ASSERT_EQ(code, 0);
  const auto csv = read_csv(csv_path);
  for (const char* c : {"layer_id", "tensor", "block", "dtype", "shape", "type", "category", "analysed", "skip_reason"})
    EXPECT_NE(std::find(csv.columns.begin(), csv.columns.end(), c), csv.columns.end()) << c;
  const auto& too_long = csv.find("tensor", "model.layers.1.too_long.weight");
  EXPECT_EQ(too_long.str("analysed"), "False");
  EXPECT_NE(too_long.str("skip_reason").find("max_N"), std::string::npos);
  EXPECT_EQ(too_long.str("block"), "1");

  auto j = run_app("qspectra-inspect", {model, "--format", "json", "--selected-only"});
  ASSERT_EQ(j.exit_code, 0) << j.output;
  const auto parsed = nlohmann::json::parse(j.output);
  EXPECT_EQ(parsed["layout"], "index");
  EXPECT_EQ(parsed["tensors"].size(), parsed["layers_selected"].get<std::size_t>());
  for (const auto& t : parsed["tensors"]) EXPECT_EQ(t["analysed"], true);
  EXPECT_EQ(run_app("qspectra-inspect", {model, "--format", "xml"}).exit_code, 2);
}

}  // namespace
}  // namespace qspectra::testing
