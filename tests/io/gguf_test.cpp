// GGUF reader: the ggml-written oracle file (stories260K, Q8_0 + F32, llama.* metadata), and files of the
// test writer for every metadata type, v2, alignment, split models, unknown types and hostile headers.
#include "qspectra/io/gguf.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "expect_open_error.hpp"
#include "gguf_builder.hpp"
#include "qspectra/core/error.hpp"
#include "qspectra/io/model_dir.hpp"
#include "safetensors_builder.hpp"

namespace qspectra::io {
namespace {

using test::expect_open_error;
using test::f32_bytes;
using test::GgufBuilder;
using test::GgufBytes;
using test::TempDir;
using test::write_file;
namespace fs = std::filesystem;

const std::string kGgufData = std::string(QSPECTRA_TEST_DATA_DIR) + "/gguf";
const std::string kNatural = kGgufData + "/stories260k_natural_q8_0.gguf";

std::string parse_error(const std::vector<std::byte>& bytes) {
  try {
    parse_gguf(bytes, "hostile.gguf");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

const TensorInfo& info(const GgufFile& f, const std::string& name) {
  for (const auto& t : f.tensors())
    if (t.name == name) return t;
  throw std::runtime_error("no tensor " + name);
}

TEST(Gguf, NaturalOracleFileHeaderAndShapes) {
  auto f = GgufFile::open(kNatural);
  const auto& h = f->header();
  EXPECT_EQ(h.version, 3u);
  EXPECT_EQ(h.alignment, 32u);
  EXPECT_EQ(h.tensors.size(), 47u);
  EXPECT_EQ(h.kv.size(), 23u);
  EXPECT_EQ(h.find_int("llama.attention.head_count"), 8);
  EXPECT_EQ(h.find_int("llama.attention.head_count_kv"), 4);
  EXPECT_EQ(h.find("general.architecture")->value.s, "llama");
  EXPECT_NEAR(h.find("llama.rope.freq_base")->value.f, 10000.0, 0);
  const auto* langs = h.find("general.languages");
  ASSERT_NE(langs, nullptr);
  EXPECT_EQ(gguf_value_text(langs->value), "[string x 1: \"en\"]");
  // [out, in]: ggml's ne = [64, 512] is the [512, 64] embedding.
  const auto& emb = info(*f, "model.embed_tokens.weight");
  EXPECT_EQ(emb.shape, (std::vector<int64_t>{512, 64}));
  EXPECT_EQ(emb.type_name(), "Q8_0");
  EXPECT_TRUE(emb.readable());
  const auto& down = info(*f, "model.layers.0.mlp.down_proj.weight");
  EXPECT_EQ(down.shape, (std::vector<int64_t>{64, 172}));
  EXPECT_EQ(down.type_name(), "F32");
  EXPECT_EQ(info(*f, "model.norm.weight").shape, (std::vector<int64_t>{64}));
}

// ggml's own to_float of the same Q8_0 bytes (tests/data/gguf/stories260k_q8_0_dequant_subset.safetensors).
TEST(Gguf, Q8_0DequantizationEqualsGgmlBitForBit) {
  auto f = GgufFile::open(kNatural);
  auto golden = SafetensorsFile::open(kGgufData + "/stories260k_q8_0_dequant_subset.safetensors");
  int checked = 0;
  for (const auto& g : golden->header().tensors) {
    const std::string name = g.name.substr(0, g.name.size() - 5);  // drop ".q8_0"
    const auto ours = f->read(info(*f, name));
    const auto want = golden->read(g);
    ASSERT_EQ(ours.shape, want.shape) << name;
    for (std::size_t k = 0; k < want.values.size(); ++k) ASSERT_EQ(ours.values[k], want.values[k]) << name << " @" << k;
    ++checked;
  }
  EXPECT_EQ(checked, 3);
}

// The whole shared oracle through the reader: every tensor of ggml's two golden GGUFs (18 types; MXFP4 and
// the K-quants included) read by GgufFile equals ggml's to_float bit for bit, in [rows, row length] shape.
TEST(Gguf, SharedOracleEveryGoldenTensorThroughTheReader) {
  const char* env = std::getenv("QSPECTRA_GGUF_ORACLE");
  const std::string dir = env ? env : std::string(QSPECTRA_SHARED_DIR) + "/reference/gguf";
  if (!fs::exists(dir + "/stories260k_golden.gguf"))
    GTEST_SKIP() << "SKIPPED: the shared GGML oracle is not at " << dir << " (set QSPECTRA_GGUF_ORACLE)";
  int checked = 0;
  for (const std::string stem : {"stories260k_golden", "synthetic_golden"}) {
    auto f = GgufFile::open(dir + "/" + stem + ".gguf");
    auto golden = SafetensorsFile::open(dir + "/" + stem + "_dequant.safetensors");
    ASSERT_EQ(f->tensors().size(), golden->header().tensors.size());
    for (const auto& t : f->tensors()) {
      ASSERT_TRUE(t.readable()) << t.name << ": " << t.unreadable_reason();
      const auto* g = golden->find(t.name);
      ASSERT_NE(g, nullptr) << t.name;
      const auto ours = f->read(t);
      const auto want = golden->read(*g);
      ASSERT_EQ(ours.shape, want.shape) << t.name;
      ASSERT_TRUE(ours.values == want.values) << t.name << " (" << t.type_name() << ")";
      ++checked;
    }
  }
  EXPECT_EQ(checked, 325 + 54);
}

TEST(Gguf, F32TensorEqualsTheSafetensorsSource) {
  auto f = GgufFile::open(kNatural);
  auto src = SafetensorsFile::open(std::string(QSPECTRA_DATA_DIR) + "/llama2c-stories260K-plctlab/model.safetensors");
  const std::string name = "model.layers.2.mlp.down_proj.weight";
  const auto ours = f->read(info(*f, name));
  const auto want = src->read(*src->find(name));
  EXPECT_EQ(ours.shape, want.shape);
  EXPECT_EQ(ours.values, want.values);
}

TEST(Gguf, EveryMetadataTypeIncludingNestedArrays) {
  GgufBuilder b;
  b.kv("u8", 0, GgufBytes().put<uint8_t>(200).b)
      .kv("i8", 1, GgufBytes().put<int8_t>(-5).b)
      .kv("u16", 2, GgufBytes().put<uint16_t>(60000).b)
      .kv("i16", 3, GgufBytes().put<int16_t>(-30000).b)
      .kv_u32("u32", 4000000000u)
      .kv("i32", 5, GgufBytes().put<int32_t>(-2000000000).b)
      .kv("f32", 6, GgufBytes().put<float>(0.5f).b)
      .kv("bool", 7, GgufBytes().put<uint8_t>(1).b)
      .kv_str("str", "hello")
      .kv("arr_u32", 9, GgufBytes().put<uint32_t>(4).put<uint64_t>(3).put<uint32_t>(1).put<uint32_t>(2).put<uint32_t>(3).b)
      .kv("arr_str", 9, GgufBytes().put<uint32_t>(8).put<uint64_t>(2).str("a").str("bc").b)
      .kv("arr_arr", 9,
          GgufBytes().put<uint32_t>(9).put<uint64_t>(2)
              .put<uint32_t>(0).put<uint64_t>(2).put<uint8_t>(7).put<uint8_t>(8)
              .put<uint32_t>(8).put<uint64_t>(1).str("x").b)
      .kv("u64", 10, GgufBytes().put<uint64_t>(1ull << 40).b)
      .kv("i64", 11, GgufBytes().put<int64_t>(-(1ll << 40)).b)
      .kv("f64", 12, GgufBytes().put<double>(0.25).b);
  b.tensor("t", {2}, 0, f32_bytes({1, 2}));
  const auto bytes = b.build();
  const auto h = parse_gguf(bytes, "meta.gguf");
  ASSERT_EQ(h.kv.size(), 15u);
  EXPECT_EQ(h.find("u8")->value.u, 200u);
  EXPECT_EQ(h.find("i8")->value.i, -5);
  EXPECT_EQ(h.find("u16")->value.u, 60000u);
  EXPECT_EQ(h.find("i16")->value.i, -30000);
  EXPECT_EQ(h.find("u32")->value.u, 4000000000u);
  EXPECT_EQ(h.find("i32")->value.i, -2000000000);
  EXPECT_EQ(h.find("f32")->value.f, 0.5);
  EXPECT_EQ(gguf_value_text(h.find("bool")->value), "true");
  EXPECT_EQ(h.find("str")->value.s, "hello");
  EXPECT_EQ(gguf_value_text(h.find("arr_u32")->value), "[u32 x 3: 1, 2, 3]");
  EXPECT_EQ(gguf_value_text(h.find("arr_u32")->value, 2), "[u32 x 3: 1, 2, ...]");
  EXPECT_EQ(gguf_value_text(h.find("arr_str")->value), "[string x 2: \"a\", \"bc\"]");
  EXPECT_EQ(gguf_value_text(h.find("arr_arr")->value), "[array x 2: [u8 x 2: 7, 8], [string x 1: \"x\"]]");
  EXPECT_EQ(h.find_int("u64"), 1ll << 40);
  EXPECT_EQ(h.find_int("i64"), -(1ll << 40));
  EXPECT_EQ(h.find("f64")->value.f, 0.25);
  EXPECT_EQ(h.find_int("str"), std::nullopt);
}

TEST(Gguf, Version2AndCustomAlignment) {
  for (uint32_t version : {2u, 3u}) {
    GgufBuilder b;
    b.version = version;
    b.alignment = 64;
    b.kv_u32("general.alignment", 64);
    b.tensor("a.weight", {3, 2}, 0, f32_bytes({1, 2, 3, 4, 5, 6}));
    b.tensor("b.weight", {2}, 0, f32_bytes({7, 8}));
    TempDir dir;
    write_file(dir.path() / "m.gguf", b.build());
    auto f = GgufFile::open((dir.path() / "m.gguf").string());
    EXPECT_EQ(f->header().version, version);
    EXPECT_EQ(f->header().alignment, 64u);
    EXPECT_EQ(f->header().data_offset % 64, 0u);
    const auto a = f->read(info(*f, "a.weight"));
    EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(a.values, (std::vector<double>{1, 2, 3, 4, 5, 6}));
    EXPECT_EQ(f->read(info(*f, "b.weight")).values, (std::vector<double>{7, 8}));
  }
}

TEST(Gguf, UnknownOrUndequantizableTypeSkipsOnlyThatTensor) {
  GgufBuilder b;
  b.tensor("good.weight", {2, 1}, 0, f32_bytes({1, 2}));
  b.tensor("future.weight", {32, 1}, 77, std::vector<std::byte>(40));
  b.tensor("iq2.weight", {256, 1}, 16, std::vector<std::byte>(66));  // IQ2_XXS: known size, no dequantizer
  TempDir dir;
  write_file(dir.path() / "m.gguf", b.build());
  auto f = GgufFile::open((dir.path() / "m.gguf").string());
  EXPECT_TRUE(info(*f, "good.weight").readable());
  const auto& fut = info(*f, "future.weight");
  EXPECT_FALSE(fut.readable());
  EXPECT_NE(fut.unreadable_reason().find("unknown GGML type id 77"), std::string::npos);
  EXPECT_EQ(fut.type_name(), "GGML#77");
  EXPECT_EQ(info(*f, "iq2.weight").type_name(), "IQ2_XXS");
  EXPECT_THROW(f->read(fut), InputError);
  EXPECT_EQ(f->read(info(*f, "good.weight")).values, (std::vector<double>{1, 2}));
}

TEST(Gguf, ModelDirReadsAFileOrADirectoryWithOne) {
  for (const std::string& p : {kNatural, kGgufData}) {
    if (p == kGgufData) continue;  // the data dir also holds the safetensors subset (preferred)
    auto m = ModelDir::open(p);
    EXPECT_EQ(m.layout(), ModelLayout::Gguf);
    EXPECT_EQ(m.tensors().size(), 47u);
    ASSERT_NE(m.gguf_header(), nullptr);
  }
  TempDir dir;
  fs::copy_file(kNatural, dir.path() / "stories.gguf");
  auto m = ModelDir::open(dir.str());
  EXPECT_EQ(m.layout(), ModelLayout::Gguf);
  EXPECT_EQ(m.files().size(), 1u);
  fs::copy_file(kNatural, dir.path() / "other.gguf");
  expect_open_error(dir.str(), "several GGUF models in the directory");
}

std::vector<std::byte> split_part(int no, int count, const std::string& tensor, float v) {
  GgufBuilder b;
  b.kv("split.no", 2, GgufBytes().put<uint16_t>(static_cast<uint16_t>(no)).b);
  b.kv("split.count", 2, GgufBytes().put<uint16_t>(static_cast<uint16_t>(count)).b);
  b.kv("split.tensors.count", 5, GgufBytes().put<int32_t>(count).b);
  if (no == 0) b.kv_str("general.architecture", "llama");
  b.tensor(tensor, {2, 2}, 0, f32_bytes({v, v, v, v}));
  return b.build();
}

TEST(Gguf, SplitModelFromDirectoryOrFirstPart) {
  TempDir dir;
  write_file(dir.path() / "m-00001-of-00003.gguf", split_part(0, 3, "blk.0.attn_q.weight", 1));
  write_file(dir.path() / "m-00002-of-00003.gguf", split_part(1, 3, "blk.0.attn_k.weight", 2));
  write_file(dir.path() / "m-00003-of-00003.gguf", split_part(2, 3, "blk.1.attn_q.weight", 3));
  for (const std::string& p : {dir.str(), (dir.path() / "m-00001-of-00003.gguf").string()}) {
    auto m = ModelDir::open(p);
    EXPECT_EQ(m.layout(), ModelLayout::Gguf);
    ASSERT_EQ(m.files().size(), 3u);
    ASSERT_EQ(m.tensors().size(), 3u);
    EXPECT_EQ(m.gguf_header()->find("general.architecture")->value.s, "llama");
    for (const auto& t : m.tensors())
      if (t.info.name == "blk.1.attn_q.weight") {
        EXPECT_EQ(t.file_index, 2u);
        EXPECT_EQ(m.read(t).values, (std::vector<double>(4, 3.0)));
      }
  }
  EXPECT_TRUE(parse_gguf_split_name("m-00002-of-00003.gguf").has_value());
  EXPECT_FALSE(parse_gguf_split_name("m-00004-of-00003.gguf").has_value());
  fs::remove(dir.path() / "m-00002-of-00003.gguf");
  expect_open_error(dir.str(), "part m-00002-of-00003.gguf is missing");
  // split.no that disagrees with the file name
  write_file(dir.path() / "m-00002-of-00003.gguf", split_part(2, 3, "blk.0.attn_k.weight", 2));
  expect_open_error(dir.str(), "do not match the file name");
}

// llama.cpp's convert_hf_to_gguf.py permute: w.reshape(n, 2, rows/n/2, cols).swapaxes(1, 2).reshape(rows, cols).
std::vector<float> llama_permute(const std::vector<float>& w, int64_t rows, int64_t cols, int64_t n) {
  std::vector<float> out(w.size());
  const int64_t d = rows / n, half = d / 2;
  for (int64_t h = 0; h < n; ++h)
    for (int64_t j = 0; j < 2; ++j)
      for (int64_t i = 0; i < half; ++i)  // source row (h, j, i) goes to (h, i, j)
        for (int64_t c = 0; c < cols; ++c) out[(h * d + 2 * i + j) * cols + c] = w[(h * d + j * half + i) * cols + c];
  return out;
}

TEST(Gguf, LlamaAttnQKRowsReadInHuggingFaceOrder) {
  const int64_t rows = 8, cols = 3;
  std::vector<float> hf(rows * cols);
  for (std::size_t k = 0; k < hf.size(); ++k) hf[k] = static_cast<float>(k);
  GgufBuilder b;
  b.kv_str("general.architecture", "llama").kv_u32("llama.attention.head_count", 2).kv_u32("llama.attention.head_count_kv", 1);
  b.tensor("blk.0.attn_q.weight", {cols, rows}, 0, f32_bytes(llama_permute(hf, rows, cols, 2)));
  b.tensor("blk.0.attn_k.weight", {cols, rows}, 0, f32_bytes(llama_permute(hf, rows, cols, 1)));
  b.tensor("blk.0.attn_v.weight", {cols, rows}, 0, f32_bytes(hf));
  TempDir dir;
  write_file(dir.path() / "m.gguf", b.build());
  auto f = GgufFile::open((dir.path() / "m.gguf").string());
  const std::vector<double> want(hf.begin(), hf.end());
  for (const char* n : {"blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.0.attn_v.weight"})
    EXPECT_EQ(f->read(info(*f, n)).values, want) << n;
  // The names line up with the Hugging Face source's.
  EXPECT_EQ(gguf_to_hf_name("blk.0.attn_q.weight"), "model.layers.0.self_attn.q_proj.weight");
  EXPECT_EQ(gguf_to_hf_name("blk.12.ffn_down.weight"), "model.layers.12.mlp.down_proj.weight");
  EXPECT_EQ(gguf_to_hf_name("token_embd.weight"), "model.embed_tokens.weight");
  EXPECT_EQ(gguf_to_hf_name("output.weight"), "lm_head.weight");
  EXPECT_EQ(gguf_to_hf_name("output_norm.weight"), "model.norm.weight");
  EXPECT_EQ(hf_to_gguf_name("model.layers.3.self_attn.o_proj.weight"), "blk.3.attn_output.weight");
  EXPECT_EQ(gguf_to_hf_name("blk.x.attn_q.weight"), std::nullopt);
  EXPECT_EQ(gguf_to_hf_name("model.layers.0.self_attn.q_proj.weight"), std::nullopt);
}

// Each hostile header fails with one line naming the file, without allocating what it declares.
TEST(Gguf, HostileHeadersAreBoundedInputErrors) {
  const auto start = std::chrono::steady_clock::now();
  auto header = [](uint32_t version, uint64_t n_tensors, uint64_t n_kv) {
    GgufBytes b;
    b.raw({std::byte('G'), std::byte('G'), std::byte('U'), std::byte('F')});
    b.put<uint32_t>(version).put<uint64_t>(n_tensors).put<uint64_t>(n_kv);
    return b;
  };
  struct Case { std::vector<std::byte> bytes; std::string expect; };
  std::vector<Case> cases;
  cases.push_back({{std::byte('G'), std::byte('G')}, "no GGUF magic"});
  cases.push_back({header(1, 0, 0).b, "version 1"});
  cases.push_back({header(4, 0, 0).b, "unsupported GGUF version 4"});
  cases.push_back({header(3, ~0ull, 0).b, "tensor count"});
  cases.push_back({header(3, 1000, 0).b, "does not fit"});
  cases.push_back({header(3, 0, ~0ull).b, "metadata count"});
  cases.push_back({header(3, 0, 1).str("k").put<uint32_t>(8).put<uint64_t>(~0ull).b, "exceeds the limit"});
  cases.push_back({header(3, 0, 1).str("k").put<uint32_t>(8).put<uint64_t>(1000).b, "truncated header"});
  cases.push_back({header(3, 0, 1).put<uint64_t>(1ull << 62).put<uint64_t>(0).put<uint64_t>(0).b, "metadata key length"});
  cases.push_back({header(3, 0, 1).str("k").put<uint32_t>(9).put<uint32_t>(12).put<uint64_t>(1ull << 60).b, "does not fit"});
  cases.push_back({header(3, 0, 1).str("k").put<uint32_t>(9).put<uint32_t>(8).put<uint64_t>(1ull << 60).b, "does not fit"});
  cases.push_back({header(3, 0, 1).str("k").put<uint32_t>(99).b, "unknown metadata value type 99"});
  cases.push_back({header(3, 0, 1).str("k").put<uint32_t>(7).put<uint8_t>(2).b, "neither 0 nor 1"});
  {
    GgufBytes deep = header(3, 0, 1).str("k").put<uint32_t>(9);
    for (int d = 0; d < 20; ++d) deep.put<uint32_t>(9).put<uint64_t>(1);
    deep.put<uint32_t>(0).put<uint64_t>(0);
    for (int k = 0; k < 200; ++k) deep.put<uint8_t>(0);
    cases.push_back({deep.b, "nested deeper"});
  }
  cases.push_back({header(3, 0, 2).str("k").put<uint32_t>(4).put<uint32_t>(1).str("k").put<uint32_t>(4).put<uint32_t>(1).b,
                   "duplicate metadata key k"});
  {
    GgufBuilder b;
    b.kv_u32("general.alignment", 48);
    cases.push_back({b.build(), "not a power of two"});
  }
  auto tensor_case = [&](std::vector<int64_t> ne, uint32_t type, uint64_t off, const std::string& expect, std::size_t data = 64) {
    GgufBuilder b;
    b.tensor("t", std::move(ne), type, std::vector<std::byte>(data));
    b.tensors[0].offset = off;
    cases.push_back({b.build(), expect});
  };
  tensor_case({1ll << 40, 1ll << 40}, 0, 0, "element count overflows");
  tensor_case({-1}, 0, 0, "negative dim");
  tensor_case({1, 1, 1, 1, 1}, 0, 0, "5 dims");
  tensor_case({1ll << 20, 1ll << 20}, 0, 0, "lies outside the data section");
  tensor_case({16}, 0, 1ull << 50, "lies outside the data section");
  tensor_case({16}, 0, 8, "not a multiple of the alignment");
  tensor_case({33}, 8, 0, "not a multiple of the Q8_0 block size 32");
  {
    GgufBuilder b;
    b.tensor("a", {16}, 0, std::vector<std::byte>(64));
    b.tensor("b", {16}, 0, std::vector<std::byte>(64));
    b.tensors[1].offset = 32;
    cases.push_back({b.build(), "overlaps"});
    b.tensors[1].offset = 0;
    b.tensors[1].name = "a";
    cases.push_back({b.build(), "duplicate tensor name a"});
  }
  for (const auto& c : cases) {
    const std::string e = parse_error(c.bytes);
    EXPECT_NE(e.find("hostile.gguf: "), std::string::npos) << c.expect << " -> " << e;
    EXPECT_NE(e.find(c.expect), std::string::npos) << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  }
  // Every truncation of a valid file is an error, never a crash.
  const auto good = GgufBuilder().kv_str("general.name", "x").tensor("t", {4}, 0, f32_bytes({1, 2, 3, 4})).build();
  for (std::size_t n = 0; n + 1 < 100; ++n) EXPECT_THROW(parse_gguf(std::span(good).first(n), "cut.gguf"), InputError) << n;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace qspectra::io
