#include "qspectra/layers/selector.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "../io/safetensors_builder.hpp"
#include "qspectra/core/error.hpp"

namespace qspectra::layers {
namespace {

using test::build_safetensors;
using test::zeros_f32;

const std::string kData = QSPECTRA_TEST_DATA_DIR;

// The columns of a reference ww_layers.csv that describe the layer set.
struct RefLayer {
  int64_t layer_id;
  std::string name, tensor_shape, file;
  int64_t M, N, rf;
};

std::vector<RefLayer> read_reference(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::string line;
  std::getline(in, line);
  std::map<std::string, std::size_t> col;
  auto split = [](const std::string& s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    for (std::string cell; std::getline(ss, cell, ',');) out.push_back(cell);
    return out;
  };
  auto header = split(line);
  for (std::size_t i = 0; i < header.size(); ++i) col[header[i]] = i;
  std::vector<RefLayer> rows;
  while (std::getline(in, line)) {
    auto c = split(line);
    rows.push_back({std::stoll(c[col.at("layer_id")]), c[col.at("name")], c[col.at("tensor_shape")], c[col.at("file")],
                    std::stoll(c[col.at("M")]), std::stoll(c[col.at("N")]), std::stoll(c[col.at("rf")])});
  }
  return rows;
}

void expect_matches_reference(const std::string& model_path, const std::string& ref_path, const SelectorOptions& opt = {}) {
  auto model = io::ModelDir::open(model_path);
  auto sel = select_layers(model, opt);
  auto ref = read_reference(ref_path);
  std::vector<const LayerInfo*> selected;
  for (const auto& l : sel.layers)
    if (l.selected) selected.push_back(&l);
  ASSERT_EQ(selected.size(), ref.size()) << model_path;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    const LayerInfo& l = *selected[i];
    const auto& t = model.tensors()[l.tensor_index];
    EXPECT_EQ(l.layer_id, ref[i].layer_id) << ref[i].name;
    EXPECT_EQ(l.name, ref[i].name);
    EXPECT_EQ(l.N, ref[i].N) << ref[i].name;
    EXPECT_EQ(l.M, ref[i].M) << ref[i].name;
    EXPECT_EQ(l.rf, ref[i].rf) << ref[i].name;
    EXPECT_EQ(shape_to_string(t.info.shape), ref[i].tensor_shape) << ref[i].name;
    EXPECT_EQ(model.files()[t.file_index].name, ref[i].file) << ref[i].name;
  }
}

const LayerInfo& layer(const Selection& s, const std::string& name) {
  auto it = std::find_if(s.layers.begin(), s.layers.end(), [&](const LayerInfo& l) { return l.name == name; });
  if (it == s.layers.end()) throw std::runtime_error("no layer " + name);
  return *it;
}

bool any_contains(const std::vector<std::string>& v, const std::string& part) {
  return std::any_of(v.begin(), v.end(), [&](const std::string& s) { return s.find(part) != std::string::npos; });
}

// A model directory written from entries, kept for the test's lifetime.
struct TempModel {
  test::TempDir dir;
  io::ModelDir model;
  explicit TempModel(const std::vector<test::StEntry>& entries)
      : model((test::write_file(dir.path() / "model.safetensors", build_safetensors(entries)), io::ModelDir::open(dir.str()))) {}
};

TEST(Selector, SyntheticSmallMatchesReference) {
  expect_matches_reference(kData + "/fixtures/synthetic-small", kData + "/reference/synthetic-small/ww_layers.csv");
}

TEST(Selector, EdgeCasesMatchesReference) {
  expect_matches_reference(kData + "/fixtures/edge-cases", kData + "/reference/edge-cases/ww_layers.csv");
}

TEST(Selector, BundledLlamaMatchesReference) {
  expect_matches_reference(std::string(QSPECTRA_DATA_DIR) + "/llama2c-stories260K-plctlab",
                           kData + "/reference/llama2c-stories260K-plctlab/ww_layers.csv");
}

TEST(Selector, SkipReasonsAndIgnoredKeys) {
  auto sel = select_layers(io::ModelDir::open(kData + "/fixtures/edge-cases"), {});
  EXPECT_EQ(layer(sel, "model.layers.0.row_vector").layer_id, 4);
  EXPECT_EQ(layer(sel, "model.layers.0.row_vector").skip_reason, "2-D with first dim 1 < 2");
  EXPECT_EQ(layer(sel, "model.layers.0.tensor3d").skip_reason, "3-D tensor");
  EXPECT_EQ(layer(sel, "model.layers.1.too_long").skip_reason, "N = 50001 > max_N 50000 (use --include-oversized)");
  EXPECT_EQ(layer(sel, "model.layers.0.conv").type, LayerType::Conv2d);
  EXPECT_EQ(layer(sel, "model.layers.0.conv").category, "conv");
  EXPECT_EQ(layer(sel, "model.embed_tokens").category, "embed");
  EXPECT_TRUE(any_contains(sel.ignored, "model.layers.0.not_a_weight_key: not a *.weight key"));
  EXPECT_EQ(sel.num_selected(), 9u);

  auto small = select_layers(io::ModelDir::open(kData + "/fixtures/synthetic-small"), {});
  EXPECT_TRUE(any_contains(small.ignored, "q_proj.bias: bias, never analysed"));
  EXPECT_EQ(layer(small, "model.layers.3.self_attn.o_proj").category, "attn_o");
  EXPECT_EQ(layer(small, "model.layers.0.mlp.down_proj").category, "mlp_down");
}

TEST(Selector, SizeFiltersAreWWs) {
  TempModel t({zeros_f32("a.weight", {10, 10}), zeros_f32("b.weight", {9, 16}), zeros_f32("c.weight", {2, 20}),
               zeros_f32("d.weight", {12, 50001}), zeros_f32("e.weight", {3}), {"f.weight", "C64", {4, 4}, std::vector<std::byte>(128)}});
  auto sel = select_layers(t.model, {});
  EXPECT_TRUE(layer(sel, "a").selected);  // 10x10: strict min_evals
  EXPECT_EQ(layer(sel, "b").skip_reason, "M*rf = 9 < min_evals 10");
  EXPECT_EQ(layer(sel, "c").skip_reason, "M*rf = 2 < min_evals 10");  // 2x20: N/M from max/min
  EXPECT_EQ(layer(sel, "d").skip_reason, "N = 50001 > max_N 50000 (use --include-oversized)");
  EXPECT_EQ(layer(sel, "e").skip_reason, "1-D tensor");
  EXPECT_EQ(layer(sel, "f").skip_reason, "dtype C64 is not readable (complex)");
  EXPECT_EQ(layer(sel, "f").layer_id, 6);

  SelectorOptions o;
  o.max_evals = 9;
  o.min_evals = 1;
  EXPECT_EQ(layer(select_layers(t.model, o), "a").skip_reason, "M*rf = 10 > max_evals 9 (use --include-oversized)");
  o.include_oversized = true;
  auto big = select_layers(t.model, o);
  EXPECT_TRUE(layer(big, "a").selected);
  EXPECT_TRUE(layer(big, "d").selected);
}

TEST(Selector, ConvDimsFollowWWIncludingTheEvenSliceQuirk) {
  TempModel t({zeros_f32("c33.weight", {16, 32, 3, 3}), zeros_f32("c22.weight", {16, 32, 2, 2}),
               zeros_f32("c11.weight", {64, 8, 1, 1}), zeros_f32("tiny.weight", {1, 1, 3, 3})});
  auto sel = select_layers(t.model, {});
  const auto& c33 = layer(sel, "c33");
  EXPECT_EQ(std::tuple(c33.N, c33.M, c33.rf), std::tuple(32, 16, 9));
  const auto& c22 = layer(sel, "c22");  // out < in with an even kh*kw: WW ends with N < M
  EXPECT_EQ(std::tuple(c22.N, c22.M, c22.rf), std::tuple(16, 32, 4));
  const auto& c11 = layer(sel, "c11");
  EXPECT_EQ(std::tuple(c11.N, c11.M, c11.rf), std::tuple(64, 8, 1));
  EXPECT_EQ(c11.skip_reason, "M*rf = 8 < min_evals 10");
  EXPECT_EQ(layer(sel, "tiny").type, LayerType::Conv2d);  // 4-D is conv2d whatever its first dim
}

TEST(Selector, RegexIncludeExclude) {
  TempModel t({zeros_f32("layers.0.q_proj.weight", {16, 16}), zeros_f32("layers.0.k_proj.weight", {16, 16}),
               zeros_f32("layers.1.q_proj.weight", {16, 16})});
  SelectorOptions o;
  o.include_regex = "q_proj";
  o.exclude_regex = "^layers\\.1\\.";
  auto sel = select_layers(t.model, o);
  EXPECT_TRUE(layer(sel, "layers.0.q_proj").selected);
  EXPECT_EQ(layer(sel, "layers.0.k_proj").skip_reason, "not matched by --layers 'q_proj'");
  EXPECT_EQ(layer(sel, "layers.1.q_proj").skip_reason, "matched by --exclude '^layers\\.1\\.'");
  EXPECT_EQ(layer(sel, "layers.1.q_proj").layer_id, 3);  // filtering never renumbers

  o = {};
  o.include_regex = "([";
  EXPECT_THROW(select_layers(t.model, o), UsageError);
  try {  // the message names the option the user typed
    select_layers(t.model, o);
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--layers"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("--include"), std::string::npos) << e.what();
  }
  o = {};
  o.exclude_regex = "*";
  EXPECT_THROW(select_layers(t.model, o), UsageError);
}

// silero-vad's key set (shapes only): WW selects nothing; --all-matrices numbers the LSTM matrices
// as the harness's all-matrices reference does.
std::vector<test::StEntry> silero_like() {
  std::vector<test::StEntry> e;
  for (std::string sr : {"sr16k", "sr8k"}) {
    e.push_back(zeros_f32(sr + ".decoder.decoder.2.weight", {1, 128, 1}));
    for (std::string k : {"bias_hh", "bias_ih"}) e.push_back(zeros_f32(sr + ".decoder.rnn." + k, {512}));
    for (std::string k : {"weight_hh", "weight_ih"}) e.push_back(zeros_f32(sr + ".decoder.rnn." + k, {512, 128}));
    const int64_t in0 = sr == "sr16k" ? 129 : 65;
    const std::vector<std::vector<int64_t>> conv = {{128, in0, 3}, {64, 128, 3}, {64, 64, 3}, {128, 64, 3}};
    for (int i = 0; i < 4; ++i) {
      e.push_back(zeros_f32(sr + ".encoder." + std::to_string(i) + ".reparam_conv.bias", {conv[i][0]}));
      e.push_back(zeros_f32(sr + ".encoder." + std::to_string(i) + ".reparam_conv.weight", conv[i]));
    }
  }
  return e;
}

TEST(Selector, AllMatricesMatchesSileroReference) {
  TempModel t(silero_like());
  auto ww = select_layers(t.model, {});
  EXPECT_EQ(ww.num_selected(), 0u);
  EXPECT_TRUE(any_contains(ww.notes, "use --all-matrices"));

  SelectorOptions o;
  o.all_matrices = true;
  auto all = select_layers(t.model, o);
  auto ref = read_reference(kData + "/reference/silero-vad-v5-all-matrices/ww_layers.csv");
  std::vector<const LayerInfo*> selected;
  for (const auto& l : all.layers)
    if (l.selected) selected.push_back(&l);
  ASSERT_EQ(selected.size(), ref.size());
  for (std::size_t i = 0; i < ref.size(); ++i) {
    EXPECT_EQ(selected[i]->layer_id, ref[i].layer_id);
    EXPECT_EQ(selected[i]->name, ref[i].name);
    EXPECT_EQ(std::tuple(selected[i]->N, selected[i]->M, selected[i]->rf), std::tuple(ref[i].N, ref[i].M, ref[i].rf));
  }
  EXPECT_TRUE(all.notes.empty());
}

TEST(Selector, NoWeightKeysHintsAllMatrices) {
  TempModel t({zeros_f32("conv1.conv.filters", {16, 8, 3, 3}), zeros_f32("conv1.conv.bias", {16}), zeros_f32("fc.weights", {32, 16})});
  auto sel = select_layers(t.model, {});
  EXPECT_TRUE(sel.layers.empty());
  ASSERT_EQ(sel.notes.size(), 1u);
  EXPECT_NE(sel.notes[0].find("no *.weight keys"), std::string::npos) << sel.notes[0];
  EXPECT_NE(sel.notes[0].find("2 2-D/4-D tensors"), std::string::npos) << sel.notes[0];
  EXPECT_TRUE(any_contains(sel.ignored, "conv1.conv.filters: not a *.weight key (use --all-matrices)"));

  SelectorOptions o;
  o.all_matrices = true;
  auto all = select_layers(t.model, o);
  ASSERT_EQ(all.layers.size(), 2u);
  EXPECT_EQ(all.layers[0].name, "conv1.conv.filters");
  EXPECT_EQ(all.layers[0].layer_id, 1);
  EXPECT_EQ(all.layers[0].category, "conv");
  EXPECT_EQ(all.layers[1].name, "fc.weights");
  EXPECT_EQ(all.num_selected(), 2u);
}

}  // namespace
}  // namespace qspectra::layers
