// ww-analyze --quant-source: a GGUF model (Q8_0 and F32 tensors) against its float source, the bundled
// stories model. The pairing (llama.cpp <-> HF names) and the undone attn_q/attn_k row permutation
// are checked through the error: a wrong pairing or row order gives an error as large as W itself.
#include "qspectra/pipeline/quant_error.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "../io/safetensors_builder.hpp"
#include "qspectra/core/error.hpp"
#include "qspectra/pipeline/analyze.hpp"
#include "qspectra/report/quant_error.hpp"

namespace qspectra::pipeline {
namespace {

const std::string kSource = std::string(QSPECTRA_DATA_DIR) + "/llama2c-stories260K-plctlab";
const std::string kGguf = std::string(QSPECTRA_TEST_DATA_DIR) + "/gguf/stories260k_natural_q8_0.gguf";

TEST(QuantError, GgufAgainstItsFloatSourcePairsEveryLayer) {
  const auto model = io::ModelDir::open(kGguf);
  const auto source = io::ModelDir::open(kSource);
  AnalyzeOptions o;
  o.threads = 2;
  o.quant_source = &source;
  const auto r = analyze_model(model, o);
  ASSERT_EQ(r.layers.size(), 36u);
  ASSERT_EQ(r.quant_error.size(), 36u);
  std::set<std::string> sources;
  int q8 = 0, f32 = 0;
  for (std::size_t i = 0; i < r.layers.size(); ++i) {
    const auto& q = r.layers[i];
    const auto& e = r.quant_error[i];
    SCOPED_TRACE(q.info.name + " <- " + e.source_name);
    sources.insert(e.source_name);
    EXPECT_GT(e.stats.rms_original, 0);
    EXPECT_EQ(e.source.info.name, q.info.name);
    if (q.file_dtype == "F32") {  // stored unquantized: E = 0
      ++f32;
      EXPECT_EQ(e.stats.rmse, 0);
      EXPECT_EQ(e.stats.max_err, 0);
      EXPECT_EQ(e.quantiles.p95, 0);
      EXPECT_TRUE(std::isinf(e.stats.sqnr_db));
      EXPECT_EQ(e.error.status, kStatusZeroError);
    } else {
      ASSERT_EQ(q.file_dtype, "Q8_0");
      ++q8;
      // Q8_0: 8-bit blocks of 32 with an f16 scale: |E| <= scale/2 per block, rmse ~ 1e-3..1e-2 of rms(W).
      EXPECT_GT(e.stats.rel_rmse, 1e-4);
      EXPECT_LT(e.stats.rel_rmse, 2e-2);
      EXPECT_GT(e.stats.sqnr_db, 30);
      EXPECT_LE(e.quantiles.median, e.quantiles.p95);
      EXPECT_LE(e.quantiles.p95, e.stats.max_err);
      EXPECT_GT(e.stats.max_err, 0);
      // E is the quantization noise: its spectrum is far below W's.
      EXPECT_EQ(e.error.status, "success");
      ASSERT_TRUE(e.error.metrics.mp.has_value());  // E always gets the MP fit
      EXPECT_GE(e.error.metrics.mp->num_spikes, 0);
      EXPECT_LT(e.error.metrics.log_spectral_norm, e.source.metrics.log_spectral_norm - 2);
    }
    // A wrong q/k row order pairs rows of other heads: an error as large as W (rel_rmse ~ 1.4).
    if (q.info.category == "attn_q" || q.info.category == "attn_k") EXPECT_LT(e.stats.rel_rmse, 2e-2);
  }
  EXPECT_EQ(sources.size(), 36u);  // every layer paired with a tensor of its own
  EXPECT_GT(q8, 0);
  EXPECT_GT(f32, 0);
  EXPECT_EQ(q8 + f32, 36);

  const auto table = report::quant_error_table(r.layers, r.quant_error);
  ASSERT_EQ(table.rows.size(), 36u);
  const auto j = report::quant_error_json(table);
  EXPECT_EQ(j["layers"], 36);
  EXPECT_EQ(j["by_quant_type"].size(), 2u);
  // E = 0 rows have no alpha_e (empty, not -1): the mean is over the Q8_0 layers only.
  EXPECT_EQ(j["n"]["alpha_e"], q8);
  EXPECT_EQ(j["n"]["rel_rmse"], 36);
  EXPECT_GT(j["means"]["alpha_e"].get<double>(), 1.0);
}

TEST(QuantError, ExcludesDeltaFromAndQuantize) {
  const auto model = io::ModelDir::open(kGguf);
  const auto source = io::ModelDir::open(kSource);
  AnalyzeOptions o;
  o.quant_source = &source;
  o.quantize = "q8_0";
  EXPECT_THROW(analyze_model(model, o), UsageError);
  o.quantize.clear();
  o.delta_base = &source;
  EXPECT_THROW(analyze_model(model, o), UsageError);
}

TEST(QuantError, AgainstItselfTheErrorIsZero) {
  const auto model = io::ModelDir::open(kGguf);
  const auto source = io::ModelDir::open(kGguf);  // itself: every pair has E = 0
  AnalyzeOptions o;
  o.threads = 1;
  o.quant_source = &source;
  o.selector.include_regex = "q_proj";
  const auto r = analyze_model(model, o);
  ASSERT_FALSE(r.quant_error.empty());
  for (const auto& e : r.quant_error) EXPECT_EQ(e.stats.rmse, 0);
}

// A source lacking a layer, or holding it in another shape, is an error naming the source and the tensor.
TEST(QuantError, AMissingOrMisshapenSourceTensorIsAnInputError) {
  const auto model = io::ModelDir::open(kGguf);
  test::TempDir dir;
  test::write_file(dir.path() / "model.safetensors",
                   test::build_safetensors({test::zeros_f32("model.layers.0.self_attn.q_proj.weight", {32, 64})}));
  const auto source = io::ModelDir::open(dir.str());
  AnalyzeOptions o;
  o.threads = 1;
  o.quant_source = &source;
  for (const std::string& layer : {"layers\\.0\\.self_attn\\.q_proj", "layers\\.0\\.self_attn\\.k_proj"}) {
    o.selector.include_regex = layer;
    try {
      analyze_model(model, o);
      ADD_FAILURE() << layer << ": no error";
    } catch (const InputError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(dir.str()), std::string::npos) << what;
      EXPECT_NE(what.find("--quant-source"), std::string::npos) << what;
      EXPECT_NE(what.find(layer.find("q_proj") != std::string::npos ? "shape 32x64" : "not in this model"),
                std::string::npos) << what;
    }
  }
}

}  // namespace
}  // namespace qspectra::pipeline
