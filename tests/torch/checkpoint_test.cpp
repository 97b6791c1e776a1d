// PyTorch checkpoints end to end (LibTorch build): files written by Python's torch.save
// (tests/data/torch, see make_checkpoints.py) and by LibTorch's pickle_save, model-directory layouts,
// clear errors for bad files, and the bundled model analysed identically as safetensors and as .bin.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <sys/resource.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#ifdef QSPECTRA_BIN_DIR
#include "../apps/app_runner.hpp"
#endif
#include "../common/reference_csv.hpp"
#include "../io/expect_open_error.hpp"
#include "../io/safetensors_builder.hpp"
#include "qspectra/core/error.hpp"
#include "qspectra/io/model_dir.hpp"
#include "qspectra/io/torch_checkpoint.hpp"
#include "qspectra/pipeline/analyze.hpp"
#include "qspectra/report/schema.hpp"
#include "qspectra/report/table.hpp"

namespace qspectra::io::torch {
namespace {

namespace fs = std::filesystem;
using test::TempDir;
using test::expect_open_error;

const std::string kData = std::string(QSPECTRA_TEST_DATA_DIR) + "/torch";

// make_checkpoints.py's value formula, at row-major index i.
double pattern_value(int64_t i) { return static_cast<double>((i * 7) % 23 - 11) / 8.0; }

at::Tensor pattern(at::IntArrayRef shape, at::ScalarType dtype) {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return at::arange(n, at::kDouble).mul(7).fmod(23).sub(11).div(8).reshape(shape).to(dtype);
}

std::vector<char> read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void write_bytes(const fs::path& p, const std::vector<char>& b) {
  std::ofstream out(p, std::ios::binary);
  out.write(b.data(), static_cast<std::streamsize>(b.size()));
}

// A state dict written by LibTorch (torch::pickle_save: torch.save's format, a plain dict).
void save(const fs::path& p, const std::vector<std::pair<std::string, at::Tensor>>& tensors) {
  c10::Dict<std::string, at::Tensor> d;
  for (const auto& [k, v] : tensors) d.insert(k, v);
  write_bytes(p, ::torch::jit::pickle_save(d));
}

std::vector<std::string> names(const ModelDir& m) {
  std::vector<std::string> out;
  for (const auto& t : m.tensors()) out.push_back(t.info.name);
  return out;
}

bool has_note(const ModelDir& m, const std::string& part) {
  for (const auto& n : m.notes())
    if (n.find(part) != std::string::npos) return true;
  return false;
}

TEST(TorchCheckpoint, SupportedInThisBuild) { EXPECT_TRUE(checkpoints_supported()); }

// Python: Tiny().state_dict() -> torch.save. An OrderedDict with _metadata, as every real checkpoint.
TEST(TorchCheckpoint, ReadsPythonStateDict) {
  const auto src = open_checkpoint(kData + "/tiny_state_dict.pt");
  struct Want {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
  };
  const std::vector<Want> want = {
      {"block.0.bias", DType::F32, {12}},       {"block.0.weight", DType::F32, {12, 8}},
      {"block.2.weight", DType::F16, {8, 12}},  {"bytes", DType::U8, {2}},
      {"conv.bias", DType::BF16, {4}},          {"conv.weight", DType::BF16, {4, 2, 3, 3}},
      {"embed.weight", DType::F32, {16, 8}},    {"ids16", DType::I16, {2}},
      {"ids32", DType::I32, {2}},               {"ids8", DType::I8, {2}},
      {"mask", DType::BOOL, {3}},               {"norm.bias", DType::F64, {8}},
      {"norm.weight", DType::F64, {8}},         {"proj.weight", DType::F32, {6, 5}},
      {"row", DType::F32, {8}},                 {"steps", DType::I64, {4}},
  };
  ASSERT_EQ(src->tensors().size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    const auto& t = src->tensors()[i];
    EXPECT_EQ(t.name, want[i].name);
    EXPECT_EQ(t.dtype, want[i].dtype) << t.name;
    EXPECT_EQ(t.shape, want[i].shape) << t.name;
    const auto d = src->read(t);
    ASSERT_EQ(d.shape, want[i].shape);
    ASSERT_EQ(static_cast<int64_t>(d.values.size()), d.numel());
    if (t.dtype == DType::F32 || t.dtype == DType::F16 || t.dtype == DType::BF16 || t.dtype == DType::F64) {
      for (int64_t k = 0; k < d.numel(); ++k) {
        double expected = pattern_value(k);
        if (t.name == "proj.weight") expected = pattern_value((k % 5) * 6 + k / 5);  // transpose of a 5x6
        if (t.name == "row") expected = pattern_value(16 + k);                       // embed.weight[2]
        ASSERT_EQ(d.values[static_cast<std::size_t>(k)], expected) << t.name << "[" << k << "]";
      }
    }
    src->release(t);
  }
  auto values = [&](const std::string& n) { return src->read(*src->find(n)).values; };
  EXPECT_EQ(values("steps"), (std::vector<double>{3, -1, 7, 1099511627776.0}));
  EXPECT_EQ(values("ids32"), (std::vector<double>{-5, 6}));
  EXPECT_EQ(values("ids16"), (std::vector<double>{-300, 301}));
  EXPECT_EQ(values("ids8"), (std::vector<double>{-7, 8}));
  EXPECT_EQ(values("bytes"), (std::vector<double>{0, 255}));
  EXPECT_EQ(values("mask"), (std::vector<double>{1, 0, 1}));
}

TEST(TorchCheckpoint, FlattensNestedPythonCheckpoint) {
  const auto src = open_checkpoint(kData + "/nested_checkpoint.pt");
  std::vector<std::string> got;
  for (const auto& t : src->tensors()) got.push_back(t.name);
  EXPECT_EQ(got, (std::vector<std::string>{"layers.0", "layers.1", "model.embed.weight", "params.0.bias",
                                           "params.0.weight", "params.2.weight"}));  // nn.Parameter values too
  EXPECT_EQ(src->read(*src->find("params.2.weight")).values[13], pattern_value(13));
  EXPECT_EQ(src->find("layers.1")->dtype, DType::F16);
}

// LibTorch's own writer: several dtypes, transposed / sliced / strided / expanded views, shared storages.
TEST(TorchCheckpoint, ReadsLibTorchPickleSave) {
  TempDir dir;
  const at::Tensor base = pattern({4, 6}, at::kFloat);
  const std::vector<std::pair<std::string, at::Tensor>> tensors = {
      {"f32.transposed", base.t()},
      {"f16.sliced", base.to(at::kHalf).slice(1, 1, 5)},
      {"bf16.every_other_row", base.to(at::kBFloat16).slice(0, 0, 4, 2)},
      {"f64.column", base.to(at::kDouble).select(1, 3)},
      {"shared.whole", base},
      {"shared.row2", base[2]},
      {"i64", at::arange(-3, 3, at::kLong).mul(1 << 20)},
      {"i32", at::arange(-3, 3, at::kInt)},
      {"i16", at::arange(-3, 3, at::kShort)},
      {"i8", at::arange(-3, 3, at::kChar)},
      {"u8", at::arange(250, 256, at::kByte)},
      {"bool", at::arange(0, 6, at::kLong).fmod(2).to(at::kBool)},
      {"expanded", at::full({1}, 1.5, at::kFloat).expand({3, 4})},
      {"scalar", at::full({}, -2.25, at::kDouble)},
      {"empty", at::zeros({0, 3}, at::kFloat)},
  };
  save(dir.path() / "libtorch.pt", tensors);
  const auto src = open_checkpoint((dir.path() / "libtorch.pt").string());
  ASSERT_EQ(src->tensors().size(), tensors.size());
  for (const auto& [name, t] : tensors) {
    const TensorInfo* info = src->find(name);
    ASSERT_NE(info, nullptr) << name;
    EXPECT_EQ(info->shape, std::vector<int64_t>(t.sizes().begin(), t.sizes().end())) << name;
    const auto d = src->read(*info);
    const at::Tensor expected = t.to(at::kDouble).contiguous();
    ASSERT_EQ(static_cast<int64_t>(d.values.size()), expected.numel()) << name;
    for (int64_t k = 0; k < expected.numel(); ++k)
      ASSERT_EQ(d.values[static_cast<std::size_t>(k)], expected.data_ptr<double>()[k]) << name << "[" << k << "]";
  }
  EXPECT_EQ(src->find("f16.sliced")->dtype, DType::F16);
  EXPECT_EQ(src->find("bf16.every_other_row")->dtype, DType::BF16);
  EXPECT_EQ(src->find("bool")->dtype, DType::BOOL);
  EXPECT_EQ(src->read(*src->find("f32.transposed")).values[1], pattern_value(6));  // [0][1] of the transpose
}

TEST(TorchCheckpoint, ClearErrorsForBadFiles) {
  TempDir dir;
  auto expect_error = [&](const fs::path& p, const std::string& part) {
    try {
      open_checkpoint(p.string());
      ADD_FAILURE() << p << ": no error; expected " << part;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).rfind(p.string(), 0), 0u) << "the message names the file: " << e.what();
    }
  };
  expect_error(kData + "/foreign_class.pt", "refusing the pickle global argparse.Namespace");
  expect_error(kData + "/legacy_format.pt", "legacy torch.save format (PyTorch < 1.6");
  expect_error(kData + "/compressed_records.pt", "is compressed (zip method 8)");
  expect_error(kData + "/torchscript_module.pt", "a TorchScript archive (torch.jit.save)");
  expect_error(dir.path() / "missing.pt", "cannot open");

  test::write_file(dir.path() / "empty.pt", std::string_view{});
  expect_error(dir.path() / "empty.pt", "empty file");
  test::write_file(dir.path() / "text.pt", std::string_view{"not a checkpoint\n"});
  expect_error(dir.path() / "text.pt", "no zip signature");
  test::write_file(dir.path() / "weights.pt", std::string_view{"PK\x03\x04 but nothing else"});
  expect_error(dir.path() / "weights.pt", "not a valid PyTorch zip archive");

  // Every truncation of a real checkpoint is refused cleanly (the zip directory is at the end).
  const auto good = read_bytes(kData + "/tiny_state_dict.pt");
  for (std::size_t n = 4; n < good.size(); n += 61) {
    write_bytes(dir.path() / "truncated.pt", {good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n)});
    EXPECT_THROW(open_checkpoint((dir.path() / "truncated.pt").string()), InputError) << n << " bytes";
  }
  write_bytes(dir.path() / "truncated.pt", {good.begin(), good.begin() + static_cast<std::ptrdiff_t>(good.size() / 2)});
  expect_error(dir.path() / "truncated.pt", "truncated or damaged");

  // Corrupting single bytes anywhere gives an InputError or a readable file, never anything else.
  for (std::size_t i = 0; i < good.size(); i += 7) {
    auto bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    write_bytes(dir.path() / "corrupt.pt", bad);
    try {
      const auto src = open_checkpoint((dir.path() / "corrupt.pt").string());
      for (const auto& t : src->tensors()) src->read(t);
    } catch (const InputError&) {
    }
  }
}

// The central directory entry of record `suffix` in a zip held in `b` (its 46-byte header's offset).
std::size_t central_entry(const std::vector<char>& b, const std::string& suffix) {
  for (std::size_t p = 0; p + 46 < b.size(); ++p) {
    if (std::memcmp(b.data() + p, "PK\x01\x02", 4) != 0) continue;
    const std::size_t len = static_cast<unsigned char>(b[p + 28]) | static_cast<std::size_t>(static_cast<unsigned char>(b[p + 29])) << 8;
    const std::string name(b.data() + p + 46, std::min(len, b.size() - p - 46));
    if (name.size() >= suffix.size() && name.ends_with(suffix)) return p;
  }
  return 0;
}

TEST(TorchCheckpoint, HostileArchivesAreRefusedBeforeLibTorchReadsThem) {
  TempDir dir;
  const auto good = read_bytes(kData + "/tiny_state_dict.pt");
  // A `version` record the central directory declares deflated to 1 GiB (a zip bomb): refused from
  // the directory, nothing inflated (LibTorch would inflate it before any check of ours).
  auto bomb = good;
  const std::size_t v = central_entry(bomb, "/version");
  ASSERT_NE(v, 0u);
  bomb[v + 10] = 8;
  for (int i = 0; i < 4; ++i) bomb[v + 24 + i] = i == 3 ? 0x40 : 0;  // uncompressed: 1 GiB
  const std::size_t bomb_local = static_cast<unsigned char>(bomb[v + 42]) |
                                 static_cast<std::size_t>(static_cast<unsigned char>(bomb[v + 43])) << 8 |
                                 static_cast<std::size_t>(static_cast<unsigned char>(bomb[v + 44])) << 16;
  bomb[bomb_local + 8] = 8;  // deflated in the local header too
  write_bytes(dir.path() / "bomb.bin", bomb);
  struct rusage before {}, after {};
  getrusage(RUSAGE_SELF, &before);
  try {
    open_checkpoint((dir.path() / "bomb.bin").string());
    ADD_FAILURE() << "zip bomb accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("version is compressed (zip method 8)"), std::string::npos) << e.what();
  }
  getrusage(RUSAGE_SELF, &after);
  EXPECT_LT(after.ru_maxrss - before.ru_maxrss, 256L * 1024) << "peak RSS grew (KB): something was inflated";
  // A version record that is no number: an InputError, not "internal error: stoull".
  auto words = good;
  const std::size_t w = central_entry(words, "/version");
  const std::size_t local = static_cast<unsigned char>(words[w + 42]) | static_cast<std::size_t>(static_cast<unsigned char>(words[w + 43])) << 8 |
                            static_cast<std::size_t>(static_cast<unsigned char>(words[w + 44])) << 16;
  const std::size_t data = local + 30 + (static_cast<unsigned char>(words[local + 26]) | static_cast<unsigned char>(words[local + 27]) << 8) +
                           (static_cast<unsigned char>(words[local + 28]) | static_cast<unsigned char>(words[local + 29]) << 8);
  words[data] = 'x';
  write_bytes(dir.path() / "words.bin", words);
  try {
    open_checkpoint((dir.path() / "words.bin").string());
    ADD_FAILURE() << "a non-numeric version accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("is not a format version number"), std::string::npos) << e.what();
  }
  // A storage record shorter than data.pkl declares (its sizes patched in both headers): refused from
  // the zip directory's size.
  auto small = read_bytes(kData + "/tiny_state_dict.pt");
  const std::size_t d0 = central_entry(small, "/data/0");
  ASSERT_NE(d0, 0u);
  const auto u32 = [&](std::size_t at) {
    return static_cast<uint32_t>(static_cast<unsigned char>(small[at])) | static_cast<uint32_t>(static_cast<unsigned char>(small[at + 1])) << 8 |
           static_cast<uint32_t>(static_cast<unsigned char>(small[at + 2])) << 16 | static_cast<uint32_t>(static_cast<unsigned char>(small[at + 3])) << 24;
  };
  const auto put32 = [&](std::size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) small[at + static_cast<std::size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xFF);
  };
  const uint32_t stored = u32(d0 + 24);
  ASSERT_GE(stored, 4u);
  put32(d0 + 20, stored - 4);
  put32(d0 + 24, stored - 4);
  const std::size_t d0_local = u32(d0 + 42);
  if (u32(d0_local + 22) != 0) put32(d0_local + 18, stored - 4), put32(d0_local + 22, stored - 4);
  write_bytes(dir.path() / "short.bin", small);
  try {
    open_checkpoint((dir.path() / "short.bin").string());
    ADD_FAILURE() << "a short storage record accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("storage record data/0 does not hold the " + std::to_string(stored) +
                                         " bytes data.pkl declares (it has " + std::to_string(stored - 4) + ")"),
              std::string::npos)
        << e.what();
  }
  // torch.ones(1).expand(50000, 15000): 765 bytes that asked for 6 GB.
  save(dir.path() / "expanded.bin", {{"w.weight", at::ones({1}).expand({50000, 15000})}});
  try {
    open_checkpoint((dir.path() / "expanded.bin").string());
    ADD_FAILURE() << "expanded view accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("repeats elements of storage"), std::string::npos) << e.what();
  }
}

TEST(TorchCheckpoint, AFileTruncatedUnderItsMappingIsAnInputErrorNotSigbus) {
  TempDir dir;
  const auto path = dir.path() / "big.bin";
  save(path, {{"w.weight", pattern({512, 512}, at::kFloat)}});
  const auto src = open_checkpoint(path.string());
  ASSERT_EQ(src->tensors().size(), 1u);
  src->release(src->tensors()[0]);
  fs::resize_file(path, 4096);
  try {
    src->read(src->tensors()[0]);
    ADD_FAILURE() << "read a truncated mapping without an error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("truncated or changed while being read"), std::string::npos) << e.what();
  }
}

TEST(TorchModelDir, LoraAdapterInABinIsPairedAsForSafetensors) {
  // adapter_model.bin (PEFT's torch.save format): lora_A [r, in], lora_B [out, r] -> one layer dW = B·A.
  TempDir dir;
  const std::string q = "base_model.model.model.layers.0.self_attn.q_proj";
  save(dir.path() / "adapter_model.bin", {{q + ".lora_A.weight", pattern({4, 48}, at::kFloat)},
                                          {q + ".lora_B.weight", pattern({32, 4}, at::kFloat).mul(0.1)}});
  const auto model = ModelDir::open(dir.str());
  pipeline::AnalyzeOptions o;
  o.keep_evals = true;
  const auto r = pipeline::analyze_model(model, o);
  ASSERT_EQ(r.layers.size(), 1u);
  EXPECT_EQ(r.layers[0].info.name, q + ".lora_BA");
  const auto& ev = r.layers[0].evals;
  ASSERT_EQ(ev.size(), 32u);  // M = min(out, in)
  // The nonzero eigenvalues are those of the dense product (BA)^T(BA), computed here with LibTorch.
  const at::Tensor ba = pattern({32, 4}, at::kDouble).mul(0.1).matmul(pattern({4, 48}, at::kDouble));
  const at::Tensor dense = std::get<0>(at::linalg_eigh(ba.matmul(ba.t())));  // ascending, 32 values
  for (int64_t i = 28; i < 32; ++i) EXPECT_NEAR(ev[static_cast<std::size_t>(i)], dense[i].item<double>(), 1e-6 * dense[31].item<double>());
}

TEST(TorchModelDir, Layouts) {
  const auto a = pattern({4, 8}, at::kFloat), b = pattern({8, 4}, at::kHalf), c = pattern({6, 6}, at::kBFloat16);
  {  // pytorch_model.bin
    TempDir dir;
    save(dir.path() / "pytorch_model.bin", {{"l.0.weight", a}, {"l.1.weight", b}});
    test::write_file(dir.path() / "training_args.bin", std::string_view{"not read"});
    const auto m = ModelDir::open(dir.str());
    EXPECT_EQ(m.layout(), ModelLayout::Model);
    EXPECT_EQ(names(m), (std::vector<std::string>{"l.0.weight", "l.1.weight"}));
    ASSERT_EQ(m.files().size(), 1u);
    EXPECT_EQ(m.files()[0].name, "pytorch_model.bin");
    EXPECT_EQ(m.read(m.tensors()[1]).values[5], pattern_value(5));
    EXPECT_THROW(m.file(0), InputError);  // not a safetensors file
    EXPECT_EQ(m.source(0).tensors().size(), 2u);
  }
  {  // sharded with pytorch_model.bin.index.json
    TempDir dir;
    save(dir.path() / "pytorch_model-00001-of-00002.bin", {{"l.1.weight", b}, {"l.0.weight", a}});
    save(dir.path() / "pytorch_model-00002-of-00002.bin", {{"l.2.weight", c}, {"extra", a}});
    test::write_file(dir.path() / "pytorch_model.bin.index.json",
                     std::string_view{R"({"metadata": {"total_size": 1}, "weight_map": {"l.2.weight": "pytorch_model-00002-of-00002.bin",
                        "l.0.weight": "pytorch_model-00001-of-00002.bin", "l.1.weight": "pytorch_model-00001-of-00002.bin"}})"});
    const auto m = ModelDir::open(dir.str());
    EXPECT_EQ(m.layout(), ModelLayout::Index);
    EXPECT_EQ(names(m), (std::vector<std::string>{"l.0.weight", "l.1.weight", "l.2.weight"}));
    EXPECT_EQ(m.files().size(), 2u);
    EXPECT_TRUE(has_note(m, "1 tensor(s) not in the index are ignored"));
    EXPECT_EQ(m.read(m.tensors()[2]).values[7], pattern_value(7));
  }
  {  // sharded without an index: a name in two shards is ambiguous
    TempDir dir;
    save(dir.path() / "pytorch_model-00001-of-00002.bin", {{"l.0.weight", a}});
    save(dir.path() / "pytorch_model-00002-of-00002.bin", {{"l.0.weight", a}});
    expect_open_error(dir.str(), "tensor l.0.weight is in both");
  }
  {  // adapter_model.bin (LoRA)
    TempDir dir;
    save(dir.path() / "adapter_model.bin", {{"base_model.model.q_proj.lora_A.weight", a}});
    const auto m = ModelDir::open(dir.str());
    EXPECT_EQ(m.layout(), ModelLayout::Adapter);
    EXPECT_TRUE(has_note(m, "LoRA adapter (adapter_model*.bin)"));
  }
  {  // only *.pt / *.pth
    TempDir dir;
    save(dir.path() / "a.pth", {{"x.weight", a}});
    save(dir.path() / "b.pt", {{"y.weight", b}});
    const auto m = ModelDir::open(dir.str());
    EXPECT_EQ(m.layout(), ModelLayout::OtherTorch);
    EXPECT_EQ(layout_name(m.layout()), "other-torch");
    EXPECT_EQ(names(m), (std::vector<std::string>{"x.weight", "y.weight"}));
    EXPECT_TRUE(has_note(m, "no pytorch_model*.bin: reading a.pth, b.pt"));
  }
  {  // both formats: safetensors preferred, and said so
    TempDir dir;
    test::write_file(dir.path() / "model.safetensors", test::build_safetensors({test::zeros_f32("s.weight", {4, 4})}));
    save(dir.path() / "pytorch_model.bin", {{"l.0.weight", a}});
    const auto m = ModelDir::open(dir.str());
    EXPECT_EQ(names(m), (std::vector<std::string>{"s.weight"}));
    EXPECT_TRUE(has_note(m, "both safetensors and PyTorch checkpoints: reading the safetensors (preferred), ignoring pytorch_model.bin"));
  }
  {  // a single file path
    const auto m = ModelDir::open(kData + "/tiny_state_dict.pt");
    EXPECT_EQ(m.layout(), ModelLayout::SingleFile);
    EXPECT_EQ(m.tensors().size(), 16u);
  }
  {  // a directory whose only checkpoint refuses to load names the file
    TempDir dir;
    fs::copy_file(kData + "/foreign_class.pt", dir.path() / "pytorch_model.bin");
    expect_open_error(dir.str(), "pytorch_model.bin: data.pkl: refusing the pickle global argparse.Namespace");
  }
}

at::ScalarType scalar_type_of(DType dt) {
  switch (dt) {
    case DType::F32: return at::kFloat;
    case DType::F16: return at::kHalf;
    case DType::BF16: return at::kBFloat16;
    case DType::F64: return at::kDouble;
    default: throw std::runtime_error("unexpected dtype in the bundled model");
  }
}

// Cells of a layer table, without the columns that legitimately differ (the file name, the timing).
std::vector<std::vector<std::string>> comparable(const report::Table& t) {
  std::vector<std::vector<std::string>> out;
  for (const auto& row : t.rows) {
    std::vector<std::string> r;
    for (std::size_t i = 0; i < t.columns.size(); ++i)
      if (t.columns[i] != "file" && t.columns[i] != "elapsed_ms") r.push_back(t.columns[i] + "=" + report::format_cell(row[i]));
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<std::vector<std::string>> comparable_csv(const std::string& path) {
  const auto csv = testing::read_csv(path);
  std::vector<std::vector<std::string>> out;
  for (const auto& row : csv.rows) {
    std::vector<std::string> r;
    for (const auto& c : csv.columns)
      if (c != "file" && c != "elapsed_ms") r.push_back(c + "=" + row.str(c));
    out.push_back(std::move(r));
  }
  return out;
}

// The bundled model converted to pytorch_model.bin gives the same layer table as its safetensors.
TEST(TorchModelDir, BundledModelSameResultsAsSafetensors) {
  const std::string st_dir = std::string(QSPECTRA_DATA_DIR) + "/llama2c-stories260K-plctlab";
  TempDir bin_dir;
  {
    const auto st = SafetensorsFile::open(st_dir + "/model.safetensors");
    c10::Dict<std::string, at::Tensor> d;
    for (const auto& t : st->header().tensors) {
      auto raw = st->raw(t);
      d.insert(t.name, at::from_blob(const_cast<std::byte*>(raw.data()), t.shape, scalar_type_of(t.dtype)).clone());
    }
    write_bytes(bin_dir.path() / "pytorch_model.bin", ::torch::jit::pickle_save(d));
    fs::copy_file(st_dir + "/config.json", bin_dir.path() / "config.json");
  }
  const auto st_model = ModelDir::open(st_dir);
  const auto bin_model = ModelDir::open(bin_dir.str());
  ASSERT_EQ(names(st_model), names(bin_model));
  for (std::size_t i = 0; i < st_model.tensors().size(); ++i) {
    EXPECT_EQ(st_model.tensors()[i].info.dtype, bin_model.tensors()[i].info.dtype);
    EXPECT_EQ(st_model.tensors()[i].info.shape, bin_model.tensors()[i].info.shape);
  }
  EXPECT_EQ(st_model.notes(), bin_model.notes());

  pipeline::AnalyzeOptions opt;
  opt.threads = 2;
  const auto a = pipeline::analyze_model(st_model, opt);
  const auto b = pipeline::analyze_model(bin_model, opt);
  ASSERT_GT(a.layers.size(), 10u);
  const auto ta = comparable(report::layer_table(a.layers, {})), tb = comparable(report::layer_table(b.layers, {}));
  ASSERT_EQ(ta.size(), tb.size());
  for (std::size_t i = 0; i < ta.size(); ++i) EXPECT_EQ(ta[i], tb[i]) << "row " << i;
  EXPECT_EQ(b.layers.front().file, "pytorch_model.bin");

#ifdef QSPECTRA_BIN_DIR
  // The same through the built ww-analyze binary: identical ww_layers.csv apart from file and timing.
  TempDir out;
  for (const auto& [dir, sub] : {std::pair{st_dir, "st"}, std::pair{bin_dir.str(), "bin"}}) {
    const auto r = testing::run_app("ww-analyze", {dir, "--out-dir", (out.path() / sub).string(), "--quiet"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  const auto ca = comparable_csv((out.path() / "st" / "ww_layers.csv").string());
  const auto cb = comparable_csv((out.path() / "bin" / "ww_layers.csv").string());
  ASSERT_EQ(ca.size(), a.layers.size());
  EXPECT_EQ(ca, cb);
#endif
}

#ifndef QSPECTRA_BIN_DIR
TEST(TorchCheckpoint, BuiltBinaryRoundTrip) { GTEST_SKIP() << "needs the apps (QSPECTRA_BUILD_APPS=ON)"; }
#endif

}  // namespace
}  // namespace qspectra::io::torch
