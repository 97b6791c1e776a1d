// Our GGML row (de)quantizers against ggml's own output, on the in-tree subset
// tests/data/gguf/ggml_golden_slices.safetensors (cut from shared/reference/gguf by
// make_golden_slices.py; made by ggml-org/ggml @ d99724f). Every supported GGML type is covered.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "ggml_oracle.hpp"
#include "qspectra/io/safetensors.hpp"
#include "qspectra/types/element_type.hpp"

namespace qspectra::types {
namespace {

const std::string kSlices = std::string(QSPECTRA_TEST_DATA_DIR) + "/gguf/ggml_golden_slices.safetensors";

struct Case {
  std::string slice, type;
};

// (slice, type) pairs present in the subset.
std::vector<Case> cases(const io::SafetensorsFile& f) {
  std::vector<Case> out;
  const std::string suffix = ".bytes";
  for (const auto& t : f.header().tensors) {
    if (t.name.size() <= suffix.size() || t.name.compare(t.name.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    const std::string stem = t.name.substr(0, t.name.size() - suffix.size());
    const auto dot = stem.rfind('.');
    out.push_back({stem.substr(0, dot), stem.substr(dot + 1)});
  }
  return out;
}

// A copy, aligned for T (the data section of a safetensors file need not be).
template <class T>
std::vector<T> view(const io::SafetensorsFile& f, const std::string& name) {
  const auto* info = f.find(name);
  if (!info) throw std::runtime_error("missing tensor " + name);
  const auto raw = f.raw(*info);
  std::vector<T> out(raw.size() / sizeof(T));
  std::memcpy(out.data(), raw.data(), out.size() * sizeof(T));
  return out;
}

TEST(GgmlGolden, SubsetCoversEverySupportedGgmlType) {
  auto f = io::SafetensorsFile::open(kSlices);
  std::set<std::string> seen;
  for (const auto& c : cases(*f)) seen.insert(c.type);
  for (const auto& t : all_types()) {
    if (t.ggml_id < 0 || !t.readable()) continue;
    if (t.block_size == 1 && t.type != ElementType::F32 && t.type != ElementType::F16 && t.type != ElementType::BF16)
      continue;  // I8..I64, F64: ggml has no quantizer for them, so the oracle has none
    EXPECT_TRUE(seen.count(std::string(t.name))) << t.name << " has no golden slice";
  }
}

TEST(GgmlGolden, DequantizationIsBitExact) {
  auto f = io::SafetensorsFile::open(kSlices);
  std::map<std::string, int> checked;
  for (const auto& c : cases(*f)) {
    const auto* t = find_by_name(c.type);
    ASSERT_NE(t, nullptr) << c.type;
    const auto* info = f->find(c.slice + "." + c.type + ".dequant");
    ASSERT_NE(info, nullptr);
    const auto rows = static_cast<std::size_t>(info->shape[0]), cols = static_cast<std::size_t>(info->shape[1]);
    const auto bytes = view<std::byte>(*f, c.slice + "." + c.type + ".bytes");
    const auto golden = view<float>(*f, c.slice + "." + c.type + ".dequant");
    EXPECT_EQ(test::compare_dequant(*t, bytes, golden, rows, cols), "") << c.slice << " " << c.type;
    ++checked[c.type];
  }
  EXPECT_EQ(checked.size(), 18u);
  EXPECT_EQ(cases(*f).size(), 3u * 18 + 2 * 10);  // 3 synthetic slices x 18 types, 2 stories tensors x 10
}

TEST(GgmlGolden, ComparisonsSeeASingleFlippedBit) {
  // The two checks above are only as good as the comparison: one changed bit must show.
  auto f = io::SafetensorsFile::open(kSlices);
  const auto* t = find_by_name("q4_k");
  const auto bytes = view<std::byte>(*f, "edge.q4_k.bytes");
  std::vector<float> golden = view<float>(*f, "edge.q4_k.dequant");
  golden[1000] = std::nextafter(golden[1000], 1.0f);
  EXPECT_NE(test::compare_dequant(*t, bytes, golden, 16, 256), "");
  std::vector<std::byte> gbytes(bytes.begin(), bytes.end());
  gbytes[700] ^= std::byte{1};
  EXPECT_NE(test::compare_quant(*t, view<float>(*f, "edge.source"), gbytes, 16, 256), "");
}

TEST(GgmlGolden, QuantizationReproducesGgmlBytes) {
  auto f = io::SafetensorsFile::open(kSlices);
  for (const auto& c : cases(*f)) {
    const auto* t = find_by_name(c.type);
    ASSERT_NE(t, nullptr) << c.type;
    ASSERT_TRUE(t->quantizable()) << c.type;
    const auto* info = f->find(c.slice + ".source");
    ASSERT_NE(info, nullptr);
    const auto rows = static_cast<std::size_t>(info->shape[0]), cols = static_cast<std::size_t>(info->shape[1]);
    const auto source = view<float>(*f, c.slice + ".source");
    const auto golden = view<std::byte>(*f, c.slice + "." + c.type + ".bytes");
    EXPECT_EQ(test::compare_quant(*t, source, golden, rows, cols), "") << c.slice << " " << c.type;
  }
}

}  // namespace
}  // namespace qspectra::types
