// analyze_model on the bundled model: natural layer order, WW's summary, the backend that ran.
#include "qspectra/pipeline/analyze.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "../io/safetensors_builder.hpp"
#include "qspectra/layers/names.hpp"

namespace qspectra::pipeline {
namespace {

const std::string kModel = std::string(QSPECTRA_DATA_DIR) + "/llama2c-stories260K-plctlab";

// numpy's pairwise sums depend on the order: the summary must add the layers in WW's order
// (layer_id), whatever order the rows come in.
void expect_means_summed_in_ww_order(const AnalysisResult& r) {
  std::vector<const LayerResult*> ww_order;
  for (const auto& l : r.layers) ww_order.push_back(&l);
  std::sort(ww_order.begin(), ww_order.end(), [](auto* a, auto* b) { return a->info.layer_id < b->info.layer_id; });
  std::vector<const metrics::LayerMetrics*> ms;
  for (auto* l : ww_order) ms.push_back(&l->metrics);
  const auto expected = metrics::summarize(ms);
  for (const auto& [key, value] : expected.means) EXPECT_EQ(r.summary.means.at(key), value) << key;
}

TEST(AnalyzeModel, LayersInNaturalOrderSummaryAsWeightWatcher) {
  const auto model = io::ModelDir::open(kModel);
  AnalyzeOptions o;
  o.threads = 2;
  const auto r = analyze_model(model, o);
  ASSERT_EQ(r.layers.size(), 36u);
  for (std::size_t i = 1; i < r.layers.size(); ++i)
    EXPECT_TRUE(layers::natural_less(r.layers[i - 1].info.name, r.layers[i].info.name))
        << r.layers[i - 1].info.name << " before " << r.layers[i].info.name;
  // layer_id keeps WW's numbering (byte order of the keys), whatever the row order.
  EXPECT_EQ(r.layers.front().info.name, "model.embed_tokens");
  // The means are summed in WW's order (layer_id), not row order: bit for bit.
  expect_means_summed_in_ww_order(r);
  // ... and WW's numbers.
  std::ifstream in(std::string(QSPECTRA_TEST_DATA_DIR) + "/reference/llama2c-stories260K-plctlab/ww_summary.json");
  const auto ref = nlohmann::json::parse(in)["summary"];
  for (const auto& [key, value] : ref.items())
    EXPECT_NEAR(r.summary.means.at(key), value.get<double>(), 1e-9 * std::fabs(value.get<double>())) << key;
  EXPECT_EQ(r.backend, "cpu/auto");
  EXPECT_TRUE(r.warnings.empty());
}

// GGML types on rows that are not whole blocks run llama-quantize's fallback (rows of 64 and 172 here),
// named in the layer's quant_spec and counted in one run warning; the run does not fail.
TEST(AnalyzeModel, GgmlRowsNotWholeBlocksFallBackAndAreCounted) {
  const auto model = io::ModelDir::open(kModel);
  AnalyzeOptions o;
  o.threads = 2;
  o.quantize = "q8_0";
  const auto q8 = analyze_model(model, o);
  ASSERT_EQ(q8.layers.size(), 36u);
  int fell = 0;
  for (const auto& l : q8.layers) {
    ASSERT_TRUE(l.quant) << l.info.name;
    const bool down = l.info.name.find("down_proj") != std::string::npos;  // [64, 172]: 172 = 5.4 x 32
    EXPECT_EQ(l.quant->spec, down ? "q8_0->f16" : "q8_0") << l.info.name;
    EXPECT_DOUBLE_EQ(l.quant->bits_per_weight, down ? 16.0 : 8.5) << l.info.name;
    EXPECT_TRUE(l.analysed()) << l.info.name;
    fell += down;
  }
  EXPECT_EQ(fell, 5);
  ASSERT_EQ(q8.warnings.size(), 1u);
  EXPECT_NE(q8.warnings[0].find("5 of 36 layers fell back (q8_0->f16: 5)"), std::string::npos) << q8.warnings[0];

  o.quantize = "q4_k";
  const auto q4 = analyze_model(model, o);
  for (const auto& l : q4.layers) {
    const bool down = l.info.name.find("down_proj") != std::string::npos;
    EXPECT_EQ(l.quant->spec, down ? "q4_k->f16" : "q4_k->q5_0") << l.info.name;  // 64 = 2 x 32, not 256
    EXPECT_DOUBLE_EQ(l.quant->bits_per_weight, down ? 16.0 : 5.5) << l.info.name;
  }
  ASSERT_EQ(q4.warnings.size(), 1u);
  EXPECT_NE(q4.warnings[0].find("36 of 36 layers fell back (q4_k->f16: 5, q4_k->q5_0: 31)"), std::string::npos)
      << q4.warnings[0];

  o.quantize = "sym:4:channel";  // not a GGML type: never a fallback warning
  EXPECT_TRUE(analyze_model(model, o).warnings.empty());
}

// Twelve blocks: WW's order puts layers.10 and layers.11 before layers.2; rows do not.
TEST(AnalyzeModel, RowsInNaturalOrderLayerIdsAndMeansInWeightWatchersOrder) {
  test::TempDir dir;
  std::vector<test::StEntry> entries;
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  for (int b = 0; b < 12; ++b) {
    std::vector<float> w(24 * 16);
    for (auto& x : w) x = normal(rng) * static_cast<float>(1 + b);
    entries.push_back({"model.layers." + std::to_string(b) + ".mlp.up_proj.weight", "F32", {24, 16}, test::le_bytes(w)});
  }
  test::write_file(dir.path() / "model.safetensors", test::build_safetensors(entries));
  const auto model = io::ModelDir::open(dir.str());
  AnalyzeOptions o;
  o.threads = 3;
  const auto r = analyze_model(model, o);
  ASSERT_EQ(r.layers.size(), 12u);
  for (std::size_t b = 0; b < 12; ++b) {
    EXPECT_EQ(r.layers[b].info.name, "model.layers." + std::to_string(b) + ".mlp.up_proj");
    // layer_id keeps WW's numbering: keys in byte order (0, 1, 10, 11, 2, ...).
    const int64_t ww_id = b < 2 ? int64_t(b) + 1 : b >= 10 ? int64_t(b) - 7 : int64_t(b) + 3;
    EXPECT_EQ(r.layers[b].info.layer_id, ww_id) << b;
  }
  expect_means_summed_in_ww_order(r);
}

TEST(AnalyzeModel, DeviceAutoRecordsTheDeviceThatRan) {
  AnalyzeOptions o;
  o.device = "auto";
  std::vector<std::string> warnings;
  std::string device;
  auto backend = make_layer_backend(o, &warnings, &device);
  ASSERT_TRUE(backend);
#ifdef QSPECTRA_HAVE_CUDA
  if (device == "cpu") EXPECT_EQ(warnings.size(), 1u);  // no usable GPU: a warning says so
  else EXPECT_EQ(device.rfind("cuda:", 0), 0u) << device;
#else
  EXPECT_EQ(device, "cpu");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("using the CPU"), std::string::npos) << warnings[0];
#endif
  o.device = "cpu";
  warnings.clear();
  make_layer_backend(o, &warnings, &device);
  EXPECT_EQ(device, "cpu");
  EXPECT_TRUE(warnings.empty());
}

}  // namespace
}  // namespace qspectra::pipeline
