// End to end on GGUF models: ww-analyze and qspectra-inspect on ggml's natural stories260K Q8_0 file
// (tests/data/gguf), against the float safetensors source it was made from.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "../common/reference_csv.hpp"
#include "../io/gguf_builder.hpp"
#include "../io/safetensors_builder.hpp"
#include "app_runner.hpp"
#include "qspectra/io/gguf.hpp"
#include "qspectra/io/safetensors.hpp"

namespace qspectra::testing {
namespace {

const std::string kGguf = std::string(QSPECTRA_TEST_DATA_DIR) + "/gguf/stories260k_natural_q8_0.gguf";
const std::string kModel = std::string(QSPECTRA_DATA_DIR) + "/llama2c-stories260K-plctlab";

TEST(GgufApps, WwAnalyzeGivesTheSafetensorsLayersWithCloseAlpha) {
  test::TempDir out;
  auto g = run_app("ww-analyze", {kGguf, "--out-dir", out.str() + "/g", "--threads", "2"});
  ASSERT_EQ(g.exit_code, 0) << g.output;
  auto s = run_app("ww-analyze", {kModel, "--out-dir", out.str() + "/s", "--threads", "2"});
  ASSERT_EQ(s.exit_code, 0) << s.output;
  const auto gc = read_csv(out.str() + "/g/ww_layers.csv"), sc = read_csv(out.str() + "/s/ww_layers.csv");
  ASSERT_EQ(gc.rows.size(), 36u);
  ASSERT_EQ(sc.rows.size(), 36u);
  double worst = 0;
  for (const auto& r : sc.rows) {
    const auto& q = gc.find("name", r.str("name"));
    EXPECT_EQ(q.str("category"), r.str("category"));
    EXPECT_EQ(q.str("layer_id"), r.str("layer_id"));
    EXPECT_EQ(q.str("tensor_shape"), r.str("tensor_shape"));
    // Q8_0 moves alpha by under 5% on this model (measured 4.6%); the F32 down_proj not at all.
    const double rel = std::abs(q.num("alpha") - r.num("alpha")) / r.num("alpha");
    worst = std::max(worst, rel);
    if (r.str("category") == "mlp_down") {
      EXPECT_EQ(q.str("file_dtype"), "F32");
      EXPECT_EQ(q.num("alpha"), r.num("alpha")) << r.str("name");
    } else {
      EXPECT_EQ(q.str("file_dtype"), "Q8_0");
    }
  }
  EXPECT_LT(worst, 0.1);
}

// E = Q(W) - W: --delta-from the float source; the 5 F32 down_proj give E = 0 (no spectrum), the
// 31 Q8_0 layers a finite alpha.
TEST(GgufApps, DeltaFromTheFloatSourceAnalysesTheQuantizationError) {
  test::TempDir out;
  auto r = run_app("ww-analyze", {kGguf, "--delta-from", kModel, "--out-dir", out.str(), "--threads", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto csv = read_csv(out.str() + "/ww_layers.csv");
  ASSERT_EQ(csv.rows.size(), 36u);
  int finite = 0;
  for (const auto& row : csv.rows)
    if (row.str("category") != "mlp_down" && std::isfinite(row.num("alpha"))) ++finite;
  EXPECT_EQ(finite, 31);
}

TEST(GgufApps, InspectShowsMetadataInTableAndJson) {
  auto t = run_app("qspectra-inspect", {kGguf});
  ASSERT_EQ(t.exit_code, 0) << t.output;
  EXPECT_NE(t.output.find("layout gguf"), std::string::npos);
  EXPECT_NE(t.output.find("llama.attention.head_count_kv"), std::string::npos);
  EXPECT_NE(t.output.find("[string x 1: \"en\"]"), std::string::npos);
  EXPECT_NE(t.output.find("Q8_0"), std::string::npos);
  int code = 0;
  const auto js = read_pipe(shell_quote(app_path("qspectra-inspect")) + " " + shell_quote(kGguf) + " --format json 2>/dev/null", &code);
  ASSERT_EQ(code, 0);
  const auto j = nlohmann::json::parse(js);
  EXPECT_EQ(j["layout"], "gguf");
  EXPECT_EQ(j["gguf"]["version"], 3);
  ASSERT_EQ(j["gguf"]["metadata"].size(), 23u);
  for (const auto& e : j["gguf"]["metadata"]) {
    if (e["key"] == "llama.attention.head_count") EXPECT_EQ(e["value"], 8);
    if (e["key"] == "general.tags") {
      EXPECT_EQ(e["type"], "array");
      EXPECT_EQ(e["elem_type"], "string");
      EXPECT_EQ(e["length"], 4);
      EXPECT_EQ(e["first"][0], "golden");
    }
  }
}

// The float model as llama.cpp's convert would write it (F32): llama.cpp names, attn_q/attn_k rows
// permuted (n_head 8, n_head_kv 4 from config.json). Against the source both ways of comparing line up
// every layer: --delta-from gives E = 0 everywhere, --base pairs all 36 layers.
std::vector<float> permute_rows(const std::vector<double>& w, int64_t rows, int64_t cols, int64_t n) {
  std::vector<float> out(w.size());
  const int64_t d = rows / n, half = d / 2;
  for (int64_t h = 0; h < n; ++h)
    for (int64_t j = 0; j < 2; ++j)
      for (int64_t i = 0; i < half; ++i)
        for (int64_t c = 0; c < cols; ++c)
          out[(h * d + 2 * i + j) * cols + c] = static_cast<float>(w[(h * d + j * half + i) * cols + c]);
  return out;
}

TEST(GgufApps, LlamaCppNamedConversionLinesUpWithItsSource) {
  auto src = io::SafetensorsFile::open(kModel + "/model.safetensors");
  test::GgufBuilder b;
  b.kv_str("general.architecture", "llama").kv_u32("llama.attention.head_count", 8).kv_u32("llama.attention.head_count_kv", 4);
  for (const auto& t : src->header().tensors) {
    const auto name = io::hf_to_gguf_name(t.name);
    ASSERT_TRUE(name.has_value()) << t.name;
    const auto w = src->read(t);
    std::vector<int64_t> ne(t.shape.rbegin(), t.shape.rend());
    std::vector<float> f(w.values.begin(), w.values.end());
    if (name->find(".attn_q.") != std::string::npos) f = permute_rows(w.values, t.shape[0], t.shape[1], 8);
    if (name->find(".attn_k.") != std::string::npos) f = permute_rows(w.values, t.shape[0], t.shape[1], 4);
    b.tensor(*name, ne, 0, test::f32_bytes(f));
  }
  test::TempDir dir;
  test::write_file(dir.path() / "stories-f32.gguf", b.build());
  const std::string gguf = (dir.path() / "stories-f32.gguf").string();

  auto d = run_app("ww-analyze", {gguf, "--delta-from", kModel, "--out-dir", dir.str() + "/d", "--threads", "2"});
  ASSERT_EQ(d.exit_code, 0) << d.output;
  const auto dc = read_csv(dir.str() + "/d/ww_layers.csv");
  ASSERT_EQ(dc.rows.size(), 36u);
  for (const auto& r : dc.rows) EXPECT_EQ(r.num("norm"), 0.0) << r.str("name");  // E = 0: names and rows line up
  EXPECT_EQ(dc.find("name", "blk.0.attn_q").str("category"), "attn_q");
  EXPECT_EQ(dc.find("name", "blk.0.attn_q").str("file_dtype"), "F32");

  auto c = run_app("ww-analyze", {gguf, "--base", kModel, "--out-dir", dir.str() + "/c", "--threads", "2"});
  ASSERT_EQ(c.exit_code, 0) << c.output;
  const auto cc = read_csv(dir.str() + "/c/ww_compare.csv");
  EXPECT_EQ(cc.rows.size(), 36u);
  for (const auto& r : cc.rows) EXPECT_EQ(r.str("presence"), "both") << r.str("name");
}

TEST(GgufApps, HostileHeaderIsOneLineExit1) {
  test::TempDir dir;
  test::GgufBuilder b;
  b.n_tensors_override = 1ull << 62;
  test::write_file(dir.path() / "bad.gguf", b.build());
  auto r = run_app("ww-analyze", {(dir.path() / "bad.gguf").string(), "--out-dir", dir.str() + "/out"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_NE(r.output.find("bad.gguf: tensor count"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace qspectra::testing
