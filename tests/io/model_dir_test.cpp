#include "qspectra/io/model_dir.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "qspectra/core/error.hpp"
#include "expect_open_error.hpp"
#include "safetensors_builder.hpp"

namespace qspectra::io {
namespace {

using test::build_safetensors;
using test::expect_open_error;
using test::TempDir;
using test::write_file;
using test::zeros_f32;
namespace fs = std::filesystem;

const std::string kFixtures = std::string(QSPECTRA_TEST_DATA_DIR) + "/fixtures";

std::vector<std::string> names(const ModelDir& m) {
  std::vector<std::string> out;
  for (const auto& t : m.tensors()) out.push_back(t.info.name);
  return out;
}

bool has_note(const ModelDir& m, const std::string& part) {
  return std::any_of(m.notes().begin(), m.notes().end(), [&](const std::string& n) { return n.find(part) != std::string::npos; });
}

TEST(ModelDir, SingleModelFileFixture) {
  auto m = ModelDir::open(kFixtures + "/synthetic-small");
  EXPECT_EQ(m.layout(), ModelLayout::Model);
  ASSERT_EQ(m.files().size(), 1u);
  EXPECT_EQ(m.files()[0].name, "model.safetensors");
  EXPECT_EQ(m.files()[0].size, 7747088u);
  auto n = names(m);
  EXPECT_TRUE(std::is_sorted(n.begin(), n.end()));
  EXPECT_NE(std::find(n.begin(), n.end(), "model.layers.0.self_attn.q_proj.bias"), n.end());
  EXPECT_FALSE(m.tie_word_embeddings());
}

TEST(ModelDir, ShardedIndexFixture) {
  auto m = ModelDir::open(kFixtures + "/edge-cases");
  EXPECT_EQ(m.layout(), ModelLayout::Index);
  ASSERT_EQ(m.files().size(), 2u);
  EXPECT_EQ(m.files()[0].name, "model-00001-of-00002.safetensors");
  EXPECT_EQ(m.files()[1].name, "model-00002-of-00002.safetensors");
  ASSERT_EQ(m.tensors().size(), 13u);
  // Files in name order, keys sorted within each file (not the index's JSON order).
  EXPECT_EQ(m.tensors()[0].info.name, "model.embed_tokens.weight");
  EXPECT_EQ(m.tensors()[1].info.name, "model.layers.0.conv.weight");
  EXPECT_EQ(m.tensors()[5].info.name, "model.layers.0.tensor3d.weight");
  EXPECT_EQ(m.tensors()[6].info.name, "model.layers.1.diag_powerlaw.weight");
  EXPECT_EQ(m.tensors()[6].file_index, 1u);
  auto f64 = std::find_if(m.tensors().begin(), m.tensors().end(), [](auto& t) { return t.info.name == "model.layers.1.gauss_f64.weight"; });
  EXPECT_EQ(f64->info.dtype, DType::F64);
  auto d = m.read(*f64);
  EXPECT_EQ(d.values.size(), 150u * 150u);
  m.release(*f64);
}

TEST(ModelDir, BundledLlamaTiedEmbeddings) {
  auto m = ModelDir::open(std::string(QSPECTRA_DATA_DIR) + "/llama2c-stories260K-plctlab");
  EXPECT_EQ(m.tie_word_embeddings(), true);
  auto n = names(m);
  EXPECT_EQ(std::find(n.begin(), n.end(), "lm_head.weight"), n.end());
  EXPECT_TRUE(has_note(m, "lm_head.weight is tied to model.embed_tokens.weight (not stored; analysed once as the embedding)"));
}

TEST(ModelDir, TiedButStoredHeadKeepsBoth) {
  TempDir dir;
  write_file(dir.path() / "model.safetensors",
             build_safetensors({zeros_f32("model.embed_tokens.weight", {16, 4}), zeros_f32("lm_head.weight", {16, 4})}));
  write_file(dir.path() / "config.json", std::string_view(R"({"tie_word_embeddings": true})"));
  auto m = ModelDir::open(dir.str());
  EXPECT_EQ(m.tensors().size(), 2u);
  EXPECT_TRUE(has_note(m, "both are analysed"));
}

TEST(ModelDir, BrokenConfigIsANoteNotAnError) {
  TempDir dir;
  write_file(dir.path() / "model.safetensors", build_safetensors({zeros_f32("w.weight", {4, 4})}));
  write_file(dir.path() / "config.json", std::string_view("{\"tie_word_embeddings\": tru"));
  auto m = ModelDir::open(dir.str());
  EXPECT_FALSE(m.tie_word_embeddings());
  EXPECT_TRUE(has_note(m, "config.json ignored"));
}

TEST(ModelDir, ShardsWithoutIndexAndConsolidatedIgnored) {
  TempDir dir;
  write_file(dir.path() / "model-00002-of-00002.safetensors", build_safetensors({zeros_f32("b.weight", {4, 4})}));
  write_file(dir.path() / "model-00001-of-00002.safetensors", build_safetensors({zeros_f32("z.weight", {4, 4}), zeros_f32("a.weight", {4, 4})}));
  write_file(dir.path() / "consolidated.safetensors", build_safetensors({zeros_f32("whole", {4, 4})}));
  auto m = ModelDir::open(dir.str());
  EXPECT_EQ(m.layout(), ModelLayout::Model);
  EXPECT_EQ(names(m), (std::vector<std::string>{"a.weight", "z.weight", "b.weight"}));
  EXPECT_EQ(m.files().size(), 2u);
  EXPECT_TRUE(has_note(m, "ignored consolidated.safetensors"));
}

TEST(ModelDir, AdapterAndOtherLayouts) {
  TempDir a;
  write_file(a.path() / "adapter_model.safetensors", build_safetensors({zeros_f32("x.lora_A.weight", {4, 16})}));
  auto ma = ModelDir::open(a.str());
  EXPECT_EQ(ma.layout(), ModelLayout::Adapter);
  EXPECT_TRUE(has_note(ma, "LoRA adapter (adapter_model*.safetensors): each lora_A/lora_B pair is analysed as one layer, dW = B·A"));

  TempDir o;
  write_file(o.path() / "weights.safetensors", build_safetensors({zeros_f32("w", {4, 4})}));
  write_file(o.path() / "readme.txt", std::string_view("hi"));
  auto mo = ModelDir::open(o.str());
  EXPECT_EQ(mo.layout(), ModelLayout::OtherSafetensors);
  EXPECT_TRUE(has_note(mo, "no model*.safetensors: reading weights.safetensors"));

  auto single = ModelDir::open((o.path() / "weights.safetensors").string());
  EXPECT_EQ(single.layout(), ModelLayout::SingleFile);
  EXPECT_EQ(single.files().at(0).name, "weights.safetensors");
}

TEST(ModelDir, IndexReadsOnlyWhatItNames) {
  TempDir dir;
  write_file(dir.path() / "model-a.safetensors", build_safetensors({zeros_f32("b.weight", {4, 4}), zeros_f32("extra", {2})}));
  write_file(dir.path() / "model-b.safetensors", build_safetensors({zeros_f32("a.weight", {4, 4})}));
  write_file(dir.path() / "model-unused.safetensors", build_safetensors({zeros_f32("u", {4, 4})}));
  write_file(dir.path() / "model.safetensors.index.json",
             std::string_view(R"({"metadata":{"total_size":1},"weight_map":{"b.weight":"model-a.safetensors","a.weight":"model-b.safetensors"}})"));
  auto m = ModelDir::open(dir.str());
  EXPECT_EQ(m.layout(), ModelLayout::Index);
  EXPECT_EQ(names(m), (std::vector<std::string>{"b.weight", "a.weight"}));
  EXPECT_TRUE(has_note(m, "model-a.safetensors: 1 tensor(s) not in the index are ignored"));
  EXPECT_TRUE(has_note(m, "ignored model-unused.safetensors"));
}

TEST(ModelDir, Errors) {
  TempDir dir;
  expect_open_error(dir.str(), "directory is empty");
  expect_open_error((dir.path() / "nope").string(), "no such file or directory");
  write_file(dir.path() / "notes.txt", std::string_view("x"));
  expect_open_error(dir.str(), "no *.safetensors file");

  TempDir dup;
  write_file(dup.path() / "model-1.safetensors", build_safetensors({zeros_f32("w.weight", {4, 4})}));
  write_file(dup.path() / "model-2.safetensors", build_safetensors({zeros_f32("w.weight", {4, 4})}));
  expect_open_error(dup.str(), "tensor w.weight is in both model-1.safetensors and model-2.safetensors");

  TempDir missing;
  write_file(missing.path() / "model.safetensors.index.json", std::string_view(R"({"weight_map":{"w":"model-00001.safetensors"}})"));
  expect_open_error(missing.str(), "names shard model-00001.safetensors, which does not exist");

  // A shard that is a directory or a device is not "missing": say what it is.
  TempDir special;
  write_file(special.path() / "model.safetensors.index.json",
             std::string_view(R"({"weight_map":{"w":"model-00001.safetensors","v":"model-00002.safetensors"}})"));
  fs::create_directory(special.path() / "model-00001.safetensors");
  expect_open_error(special.str(), "names shard model-00001.safetensors, which is not a regular file");
  fs::remove(special.path() / "model-00001.safetensors");
  fs::create_symlink("/dev/zero", special.path() / "model-00001.safetensors");
  expect_open_error(special.str(), "names shard model-00001.safetensors, which is not a regular file");

  TempDir absent;
  write_file(absent.path() / "model-00001.safetensors", build_safetensors({zeros_f32("v", {4})}));
  write_file(absent.path() / "model.safetensors.index.json", std::string_view(R"({"weight_map":{"w":"model-00001.safetensors"}})"));
  expect_open_error(absent.str(), "w: listed in model.safetensors.index.json but not stored in this shard");

  TempDir twice;
  write_file(twice.path() / "model-00001.safetensors", build_safetensors({zeros_f32("w", {4})}));
  write_file(twice.path() / "model.safetensors.index.json",
             std::string_view(R"({"weight_map":{"w":"model-00001.safetensors","w":"model-00001.safetensors"}})"));
  expect_open_error(twice.str(), "duplicate key \"w\"");

  TempDir bad;
  write_file(bad.path() / "model.safetensors", test::raw_safetensors("{}", {}, 77));
  expect_open_error(bad.str(), "model.safetensors: header length 77");
}

}  // namespace
}  // namespace qspectra::io
