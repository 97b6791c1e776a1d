// End to end: ww-analyze's command line, exit codes, error messages and output files.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <tuple>

#include <nlohmann/json.hpp>

#include "../common/reference_csv.hpp"
#include "../io/safetensors_builder.hpp"
#include "app_runner.hpp"

namespace qspectra::testing {
namespace {

namespace fs = std::filesystem;
const std::string kData = QSPECTRA_TEST_DATA_DIR;
const std::string kModel = std::string(QSPECTRA_DATA_DIR) + "/llama2c-stories260K-plctlab";

std::size_t line_count(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

// A bad input: exit 1, exactly one line on stderr naming the problem, no output file left behind.
void expect_bad_input(const std::string& model_dir, const std::string& expected_in_message,
                      std::vector<std::string> extra = {}) {
  test::TempDir out;
  const std::string out_dir = out.str() + "/result";
  std::vector<std::string> args = {model_dir, "--out-dir", out_dir};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = run_app("ww-analyze", args);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(line_count(r.output), 1u) << r.output;
  EXPECT_NE(r.output.find("ww-analyze: error: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(expected_in_message), std::string::npos) << r.output;
  EXPECT_TRUE(files_under(out.path()).empty()) << "output files left behind";
}

TEST(WwAnalyzeCli, HelpExplainsMetricsAndShowsAnExample) {
  auto r = run_app("ww-analyze", {"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* s : {"alpha_weighted", "log_norm", "stable_rank", "alpha_hill", "--all-matrices", "Example",
                        "--method", "--device", "--base", "--quantize"})
    EXPECT_NE(r.output.find(s), std::string::npos) << s;
}

TEST(WwAnalyzeCli, UsageErrorsExit2) {
  EXPECT_EQ(run_app("ww-analyze", {}).exit_code, 2);
  EXPECT_EQ(run_app("ww-analyze", {kModel, "--no-such-flag"}).exit_code, 2);
  EXPECT_EQ(run_app("ww-analyze", {kModel, "--method", "bogus"}).exit_code, 2);
  EXPECT_EQ(run_app("ww-analyze", {kModel, "--format", "xml"}).exit_code, 2);
  auto bad_regex = run_app("ww-analyze", {kModel, "--layers", "(unclosed", "--out-dir", "/tmp/qspectra-never"});
  EXPECT_EQ(bad_regex.exit_code, 2) << bad_regex.output;
  auto bad_quant = run_app("ww-analyze", {kModel, "--quantize", "sym:1", "--out-dir", "/tmp/qspectra-never"});
  EXPECT_EQ(bad_quant.exit_code, 2) << bad_quant.output;
  EXPECT_FALSE(fs::exists("/tmp/qspectra-never/ww_layers.csv"));
}

TEST(WwAnalyzeCli, CudaWithoutCudaBuildOrDeviceIsAClearError) {
  test::TempDir out;
  auto r = run_app("ww-analyze", {kModel, "--device", "cuda", "--out-dir", out.str() + "/o", "--quiet"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(line_count(r.output), 1u) << r.output;
  EXPECT_NE(r.output.find("cuda"), std::string::npos) << r.output;
  // auto falls back to the CPU with a warning.
  auto a = run_app("ww-analyze", {kModel, "--device", "auto", "--out-dir", out.str() + "/a", "--format", "csv,json"});
  EXPECT_EQ(a.exit_code, 0) << a.output;
  EXPECT_TRUE(fs::exists(out.str() + "/a/ww_layers.csv"));
  // ... and the metadata records the device that ran, not the one asked for.
  std::ifstream js(out.str() + "/a/ww_summary.json");
  const auto j = nlohmann::json::parse(js);
  const std::string backend = j["meta"]["backend"];
  EXPECT_TRUE(backend.rfind("cpu/", 0) == 0 || backend.rfind("cuda:", 0) == 0) << backend;
  if (backend.rfind("cpu/", 0) == 0) {
    EXPECT_NE(a.output.find("warning"), std::string::npos) << a.output;
    EXPECT_NE(a.output.find("using the CPU"), std::string::npos) << a.output;
    ASSERT_EQ(j["meta"]["warnings"].size(), 1u);
  }
}

TEST(WwAnalyzeCli, WritesCsvJsonAndTable) {
  test::TempDir out;
  auto r = run_app("ww-analyze", {kModel, "--out-dir", out.str(), "--threads", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("model.layers.0.self_attn.q_proj"), std::string::npos);
  EXPECT_NE(r.output.find("alpha in [2,6]"), std::string::npos);
  const auto csv = read_csv(out.str() + "/ww_layers.csv");
  EXPECT_EQ(csv.rows.size(), 36u);
  for (const char* c : {"layer_id", "name", "tensor_shape", "file_dtype", "file", "D", "xmin", "category",
                        "alpha_hill", "hill_k", "alpha_mid", "method", "elapsed_ms"})
    EXPECT_NE(std::find(csv.columns.begin(), csv.columns.end(), c), csv.columns.end()) << c;
  EXPECT_EQ(csv.find("name", "model.layers.0.mlp.down_proj").str("category"), "mlp_down");
  std::ifstream js(out.str() + "/ww_summary.json");
  const auto j = nlohmann::json::parse(js);
  EXPECT_EQ(j["counts"]["layers_analysed"].get<int>(), 36);
  EXPECT_EQ(j["meta"]["tool"], "ww-analyze");
  EXPECT_TRUE(j["meta"]["files"][0].contains("bytes"));
  EXPECT_FALSE(j["meta"]["files"][0].contains("sha256"));
  // No temporary files remain.
  for (const auto& f : files_under(out.path())) EXPECT_EQ(f.find(".tmp."), std::string::npos) << f;
}

TEST(WwAnalyzeCli, HashInputsRecordsSha256) {
  test::TempDir out;
  auto r = run_app("ww-analyze", {kModel, "--out-dir", out.str(), "--quiet", "--hash-inputs", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream js(out.str() + "/ww_summary.json");
  const auto j = nlohmann::json::parse(js);
  EXPECT_EQ(j["meta"]["files"][0]["sha256"], "56debb83ce751820dc822c3446eafd89c07f8ad58fa5db3368087935304cce82");
  EXPECT_FALSE(fs::exists(out.str() + "/ww_layers.csv"));  // --format json only
}

TEST(WwAnalyzeCli, DefaultOutDirIsModelNameDotWw) {
  test::TempDir cwd;
  const std::string cmd = "cd " + shell_quote(cwd.str()) + " && " + shell_quote(app_path("ww-analyze")) + " " +
                          shell_quote(kModel) + " --quiet 2>&1";
  int code = -1;
  const std::string out = read_pipe(cmd, &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_TRUE(fs::exists(cwd.path() / "llama2c-stories260K-plctlab.ww" / "ww_layers.csv"));
}

TEST(WwAnalyzeCli, CompareWithBaseline) {
  test::TempDir out;
  auto r = run_app("ww-analyze", {kData + "/fixtures/synthetic-small", "--base", kModel, "--out-dir", out.str(),
                                  "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream js(out.str() + "/ww_compare.json");
  const auto j = nlohmann::json::parse(js);
  for (const char* side : {"baseline", "finetuned", "changes"})
    for (const char* m : {"log_norm", "alpha", "alpha_weighted", "log_alpha_norm", "log_spectral_norm", "stable_rank"})
      EXPECT_TRUE(j[side].contains(m)) << side << " " << m;
  const double d = j["changes"]["alpha"].get<double>();
  EXPECT_NEAR(d, j["finetuned"]["alpha"].get<double>() - j["baseline"]["alpha"].get<double>(), 1e-12);
  const auto csv = read_csv(out.str() + "/ww_compare.csv");
  EXPECT_EQ(csv.find("name", "model.layers.4.tiny").str("presence"), "finetuned_only");
  EXPECT_EQ(csv.find("name", "model.embed_tokens").str("presence"), "baseline_only");
}

// --quantize applies to the analysed model only: the baseline is analysed as stored (unless
// --base-quantize asks otherwise), so comparing a model with its own quantized self shows a change.
TEST(WwAnalyzeCli, QuantizeAppliesToTheAnalysedModelNotTheBaseline) {
  std::ifstream ref_in(kData + "/reference/llama2c-stories260K-plctlab/ww_summary.json");
  const double stored_alpha = nlohmann::json::parse(ref_in)["summary"]["alpha"].get<double>();  // 4.3476...
  test::TempDir out;
  auto r = run_app("ww-analyze", {kModel, "--quantize", "sym:4:channel", "--base", kModel, "--out-dir", out.str(),
                                  "--quiet", "--threads", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream js(out.str() + "/ww_compare.json");
  const auto j = nlohmann::json::parse(js);
  EXPECT_NEAR(j["baseline"]["alpha"].get<double>(), stored_alpha, 1e-9);
  EXPECT_NEAR(j["finetuned"]["alpha"].get<double>(), 4.1478, 1e-4);
  EXPECT_LT(j["changes"]["alpha"].get<double>(), -0.1);
  EXPECT_EQ(j["meta"]["finetuned"]["options"]["quantize"], "sym:4:channel");
  EXPECT_EQ(j["meta"]["baseline"]["options"]["quantize"], "");

  // --base-quantize quantizes the baseline: the same spec on both sides changes nothing.
  test::TempDir out2;
  auto both = run_app("ww-analyze", {kModel, "--quantize", "sym:4:channel", "--base", kModel, "--base-quantize",
                                     "sym:4:channel", "--out-dir", out2.str(), "--quiet", "--threads", "2"});
  ASSERT_EQ(both.exit_code, 0) << both.output;
  std::ifstream js2(out2.str() + "/ww_compare.json");
  const auto j2 = nlohmann::json::parse(js2);
  EXPECT_EQ(j2["changes"]["alpha"].get<double>(), 0.0);
  EXPECT_EQ(j2["meta"]["baseline"]["options"]["quantize"], "sym:4:channel");
  // --base-quantize without --base is a usage error.
  EXPECT_EQ(run_app("ww-analyze", {kModel, "--base-quantize", "sym:4"}).exit_code, 2);
}

// GGML types: llama-quantize's fallback for rows that are not whole blocks (down_proj rows are 172
// long), visible per layer in ww_layers.csv and counted in a warning (stderr and ww_summary.json).
TEST(WwAnalyzeCli, GgmlQuantizeFallsBackAsLlamaQuantize) {
  for (const auto& [spec, down, other, down_bpw, other_bpw, fell] :
       {std::tuple{"q8_0", "q8_0->f16", "q8_0", 16.0, 8.5, "5 of 36"},
        std::tuple{"q4_k", "q4_k->f16", "q4_k->q5_0", 16.0, 5.5, "36 of 36"}}) {
    test::TempDir out;
    auto r = run_app("ww-analyze", {kModel, "--quantize", spec, "--out-dir", out.str(), "--threads", "2", "--quiet"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find(std::string(fell) + " layers fell back"), std::string::npos) << r.output;
    const auto csv = read_csv(out.str() + "/ww_layers.csv");
    ASSERT_EQ(csv.rows.size(), 36u);
    const auto& d = csv.find("name", "model.layers.0.mlp.down_proj");
    EXPECT_EQ(d.str("quant_spec"), down);
    EXPECT_DOUBLE_EQ(d.num("bits_per_weight"), down_bpw);
    const auto& q = csv.find("name", "model.layers.0.self_attn.q_proj");
    EXPECT_EQ(q.str("quant_spec"), other);
    EXPECT_DOUBLE_EQ(q.num("bits_per_weight"), other_bpw);
    std::ifstream js(out.str() + "/ww_summary.json");
    const auto j = nlohmann::json::parse(js);
    EXPECT_EQ(j["counts"]["layers_analysed"].get<int>(), 36);
    ASSERT_EQ(j["meta"]["warnings"].size(), 1u) << j["meta"]["warnings"].dump();
    EXPECT_NE(j["meta"]["warnings"][0].get<std::string>().find(fell), std::string::npos);
  }
}

TEST(WwAnalyzeCli, BaseWithNoLayerInCommonIsAnError) {
  test::TempDir other, out;
  test::write_file(other.path() / "model.safetensors",
                   test::build_safetensors({test::zeros_f32("encoder.proj.weight", {16, 16})}));
  auto r = run_app("ww-analyze", {kModel, "--base", other.str(), "--out-dir", out.str() + "/o", "--quiet"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(line_count(r.output), 1u) << r.output;
  EXPECT_NE(r.output.find("no layer name in common"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out.str() + "/o/ww_compare.json"));
}

TEST(WwAnalyzeCli, PartialOverlapIsReported) {
  test::TempDir out;
  auto r = run_app("ww-analyze", {kData + "/fixtures/synthetic-small", "--base", kModel, "--out-dir", out.str()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream js(out.str() + "/ww_compare.json");
  const auto j = nlohmann::json::parse(js);
  const auto& layers = j["layers"];
  EXPECT_GT(layers["in_both"].get<int>(), 0);
  EXPECT_GT(layers["baseline_only"].get<int>(), 0);
  EXPECT_GT(layers["finetuned_only"].get<int>(), 0);
  const auto& only_b = layers["baseline_only_names"];
  EXPECT_NE(std::find(only_b.begin(), only_b.end(), "model.embed_tokens"), only_b.end());
  EXPECT_EQ(j["meta"]["baseline"]["model_dir"], kModel);
  // The table on stdout says it too.
  EXPECT_NE(r.output.find(std::to_string(layers["in_both"].get<int>()) + " layer(s) in both"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("only in the baseline"), std::string::npos) << r.output;
}

TEST(WwAnalyzeCli, JsonIsStrictCsvKeepsInfAndNan) {
  // edge-cases: alpha = inf, alpha_weighted = nan and log_norm = -inf means (METRICS.md §9).
  test::TempDir out;
  auto r = run_app("ww-analyze", {kData + "/fixtures/edge-cases", "--out-dir", out.str()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream js(out.str() + "/ww_summary.json");
  const std::string text((std::istreambuf_iterator<char>(js)), {});
  for (const char* bad : {"\"inf\"", "\"-inf\"", "\"nan\"", "Infinity", "NaN"})
    EXPECT_EQ(text.find(bad), std::string::npos) << bad;
  const auto j = nlohmann::json::parse(text);  // a strict parser
  EXPECT_TRUE(j["summary"]["alpha"].is_null());
  EXPECT_TRUE(j["summary"]["log_norm"].is_null());
  EXPECT_TRUE(j["summary"]["stable_rank"].is_number());
  EXPECT_GE(j["infinite_in_means"]["alpha"].get<int>(), 1);
  EXPECT_EQ(j["left_out_of_means"]["non_finite_weights"], 0);
  EXPECT_TRUE(j["left_out_of_means"]["nan_value"].contains("alpha_weighted"));
  EXPECT_NE(r.output.find("infinite value(s) kept"), std::string::npos) << r.output;
  const auto csv = read_csv(out.str() + "/ww_layers.csv");
  bool inf_in_csv = false;
  for (const auto& row : csv.rows) inf_in_csv = inf_in_csv || row.str("alpha") == "inf";
  EXPECT_TRUE(inf_in_csv);
}

TEST(WwAnalyzeCli, RowsInNaturalOrderWithBlock) {
  // layers.10 and layers.11 come after layers.9, not after layers.1 (WW's byte order); layer_id
  // keeps WW's numbering.
  test::TempDir model, out;
  std::vector<test::StEntry> entries;
  for (int b = 0; b < 12; ++b) {
    std::vector<float> w(16 * 16);
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(std::sin(double(i * (b + 3))));
    entries.push_back({"model.layers." + std::to_string(b) + ".mlp.up_proj.weight", "F32", {16, 16}, test::le_bytes(w)});
  }
  entries.push_back(test::zeros_f32("lm_head.weight", {32, 16}));
  test::write_file(model.path() / "model.safetensors", test::build_safetensors(entries));
  auto r = run_app("ww-analyze", {model.str(), "--out-dir", out.str(), "--quiet", "--format", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto csv = read_csv(out.str() + "/ww_layers.csv");
  ASSERT_EQ(csv.rows.size(), 13u);
  EXPECT_EQ(csv.rows[0].str("name"), "lm_head");
  EXPECT_EQ(csv.rows[0].str("block"), "");
  for (int b = 0; b < 12; ++b) {
    EXPECT_EQ(csv.rows[b + 1].str("name"), "model.layers." + std::to_string(b) + ".mlp.up_proj");
    EXPECT_EQ(csv.rows[b + 1].str("block"), std::to_string(b));
  }
  EXPECT_EQ(csv.find("name", "model.layers.10.mlp.up_proj").integer("layer_id"), 4);
}

TEST(WwAnalyzeBadInput, ConfigJsonAsTheModelIsNotSafetensors) {
  test::TempDir d;
  test::write_file(d.path() / "config.json", std::string_view("{\n  \"architectures\": [\"LlamaForCausalLM\"]\n}\n"));
  test::TempDir out;
  auto r = run_app("ww-analyze", {(d.path() / "config.json").string(), "--out-dir", out.str() + "/o"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(line_count(r.output), 1u) << r.output;
  EXPECT_NE(r.output.find("config.json: not a safetensors file"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("exceeds the limit"), std::string::npos) << r.output;  // not "a 7e18-byte header"
  EXPECT_EQ(r.output.find("runs past the end"), std::string::npos) << r.output;
}

TEST(WwAnalyzeCli, ErrorsNameTheOptionTyped) {
  auto r = run_app("ww-analyze", {kModel, "--layers", "(unclosed", "--out-dir", "/tmp/qspectra-never"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--layers"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("--include"), std::string::npos) << r.output;
}

TEST(WwAnalyzeCli, DeltaFromAnalysesTheDifference) {
  // W - W = 0 for every layer: every fit fails (WW's zero-matrix case), nothing crashes.
  test::TempDir out;
  const std::string m = kData + "/fixtures/synthetic-small";
  auto r = run_app("ww-analyze", {m, "--delta-from", m, "--out-dir", out.str(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto csv = read_csv(out.str() + "/ww_layers.csv");
  ASSERT_EQ(csv.rows.size(), 9u);
  for (const auto& row : csv.rows) {
    EXPECT_EQ(row.str("status"), "failed");
    EXPECT_EQ(row.num("norm"), 0.0);
  }
  // A base model whose layers differ (shape or name) is a bad input naming the layer.
  test::TempDir out2;
  auto bad = run_app("ww-analyze", {m, "--delta-from", kModel, "--out-dir", out2.str()});
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  EXPECT_NE(bad.output.find("(--delta-from)"), std::string::npos) << bad.output;
  EXPECT_EQ(run_app("ww-analyze", {m, "--delta-from", m, "--base", m}).exit_code, 2);
}

TEST(WwAnalyzeBadInput, MissingDirectory) { expect_bad_input("/nonexistent/model-dir", "/nonexistent/model-dir"); }

TEST(WwAnalyzeBadInput, EmptyDirectory) {
  test::TempDir d;
  expect_bad_input(d.str(), d.str());
}

TEST(WwAnalyzeBadInput, NoAnalysableLayerSaysAllMatrices) {
  test::TempDir d;
  test::write_file(d.path() / "model.safetensors",
                   test::build_safetensors({test::zeros_f32("conv.filters", {16, 16}), test::zeros_f32("norm.weight", {16})}));
  expect_bad_input(d.str(), "--all-matrices");
}

TEST(WwAnalyzeBadInput, MalformedFiles) {
  const auto valid = test::build_safetensors({test::zeros_f32("a.weight", {16, 16})});
  struct Case { std::string what; std::vector<std::byte> bytes; };
  std::vector<Case> cases;
  cases.push_back({"truncated", std::vector<std::byte>(valid.begin(), valid.end() - 10)});
  cases.push_back({"header length past EOF", test::raw_safetensors("{}", {}, 1000)});
  cases.push_back({"bad JSON", test::raw_safetensors("{\"a.weight\": [")});
  cases.push_back({"too short", std::vector<std::byte>(4)});
  std::vector<std::byte> data(16 * 16 * 4);
  cases.push_back({"overlap", test::raw_safetensors("{" + test::tensor_json("a.weight", "F32", {16, 16}, 0, 1024) + "," +
                                                    test::tensor_json("b.weight", "F32", {16, 16}, 0, 1024) + "}",
                                                    data)});
  cases.push_back({"unknown dtype", test::raw_safetensors("{" + test::tensor_json("a.weight", "Q7", {16, 16}, 0, 1024) + "}", data)});
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    test::TempDir d;
    test::write_file(d.path() / "model.safetensors", c.bytes);
    expect_bad_input(d.str(), "model.safetensors");
  }
}

TEST(WwAnalyzeBadInput, OutDirParentIsARegularFile) {
  test::TempDir d;
  test::write_file(d.path() / "plain-file", std::string_view("x"));
  auto r = run_app("ww-analyze", {kModel, "--out-dir", (d.path() / "plain-file" / "out").string(), "--quiet"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(line_count(r.output), 1u) << r.output;
  EXPECT_NE(r.output.find("plain-file"), std::string::npos);
}

TEST(WwAnalyzeCli, ExistingOutputIsReplacedOnlyByACompleteOne) {
  test::TempDir out;
  test::write_file(out.path() / "ww_layers.csv", std::string_view("old"));
  // A failing run (bad input) leaves the old file untouched.
  auto bad = run_app("ww-analyze", {"/nonexistent", "--out-dir", out.str()});
  EXPECT_EQ(bad.exit_code, 1);
  std::ifstream in(out.path() / "ww_layers.csv");
  std::string content((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(content, "old");
}

// The default table has `fingers` and none of the optional columns; --bootstrap and --farms add theirs,
// seeded per layer: the same numbers with 1 and 2 threads. A square layer is its own FARMS window.
TEST(WwAnalyzeCli, BootstrapAndFarmsColumnsSeededPerLayer) {
  test::TempDir plain;
  auto p = run_app("ww-analyze", {kModel, "--out-dir", plain.str(), "--quiet", "--format", "csv"});
  ASSERT_EQ(p.exit_code, 0) << p.output;
  const auto base = read_csv(plain.str() + "/ww_layers.csv");
  auto has = [](const CsvTable& t, const char* c) {
    return std::find(t.columns.begin(), t.columns.end(), c) != t.columns.end();
  };
  EXPECT_TRUE(has(base, "fingers"));
  for (const char* c : {"alpha_ci_low", "alpha_farms", "detX_num", "rand_distance", "num_fingers"})
    EXPECT_FALSE(has(base, c)) << c;

  std::vector<CsvTable> runs;
  for (const char* threads : {"1", "2"}) {
    test::TempDir out;
    auto r = run_app("ww-analyze", {kModel, "--out-dir", out.str(), "--quiet", "--format", "csv", "--bootstrap",
                                    "30", "--farms", "--seed", "7", "--threads", threads});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    runs.push_back(read_csv(out.str() + "/ww_layers.csv"));
  }
  const auto& a = runs[0];
  ASSERT_EQ(a.rows.size(), base.rows.size());
  for (std::size_t i = 0; i < a.rows.size(); ++i) {
    const auto& row = a.rows[i];
    SCOPED_TRACE(row.str("name"));
    for (const char* c : {"alpha_ci_low", "alpha_ci_high", "xmin_stability", "alpha_farms", "fingers"})
      EXPECT_EQ(row.str(c), runs[1].rows[i].str(c)) << c << " depends on the thread count";
    EXPECT_EQ(row.str("alpha"), base.rows[i].str("alpha"));  // the new options change no WW column
    EXPECT_LE(row.num("alpha_ci_low"), row.num("alpha_ci_high"));
    EXPECT_GE(row.num("xmin_stability"), 0.0);
    EXPECT_LE(row.num("xmin_stability"), 1.0);
    if (row.integer("M") == row.integer("N")) EXPECT_EQ(row.str("alpha_farms"), row.str("alpha"));
    else EXPECT_TRUE(std::isfinite(row.num("alpha_farms")));
  }
}

}  // namespace
}  // namespace qspectra::testing
