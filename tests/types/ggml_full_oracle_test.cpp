// The whole GGML oracle of shared/reference/gguf (379 golden tensors, README there): every tensor's
// bytes, read at manifest.tsv's offsets, dequantize to ggml's floats bit for bit, and our quantizers
// reproduce every tensor's bytes from its source. The in-tree subset (ggml_golden_test.cpp) covers
// every type; this test adds the full matrices when the shared oracle is present, and SKIPs otherwise.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "ggml_oracle.hpp"
#include "qspectra/io/mapped_file.hpp"
#include "qspectra/io/safetensors.hpp"
#include "qspectra/types/element_type.hpp"

namespace qspectra::types {
namespace {

std::string oracle_dir() {
  if (const char* env = std::getenv("QSPECTRA_GGUF_ORACLE")) return env;
  return std::string(QSPECTRA_SHARED_DIR) + "/reference/gguf";
}

struct Row {
  std::string file, tensor, source, type;
  std::size_t ne0 = 0, ne1 = 0, offset = 0, nbytes = 0;
};

std::vector<Row> manifest(const std::string& dir) {
  std::ifstream in(dir + "/manifest.tsv");
  std::string line;
  std::getline(in, line);  // header
  std::vector<Row> rows;
  while (std::getline(in, line)) {
    std::istringstream ss(line);
    std::vector<std::string> c;
    for (std::string cell; std::getline(ss, cell, '\t');) c.push_back(cell);
    if (c.size() < 9) continue;
    rows.push_back({c[0], c[1], c[2], c[3], std::stoul(c[5]), std::stoul(c[6]), std::stoul(c[7]), std::stoul(c[8])});
  }
  return rows;
}

// A copy, aligned for T (the data sections of the oracle's files need not be).
template <class T>
std::vector<T> as(std::span<const std::byte> raw) {
  std::vector<T> out(raw.size() / sizeof(T));
  std::memcpy(out.data(), raw.data(), out.size() * sizeof(T));
  return out;
}

TEST(GgmlFullOracle, EveryGoldenTensor) {
  const std::string dir = oracle_dir();
  if (!std::filesystem::exists(dir + "/manifest.tsv"))
    GTEST_SKIP() << "SKIPPED: the shared GGML oracle is not at " << dir << " (set QSPECTRA_GGUF_ORACLE)";
  std::map<std::string, std::shared_ptr<io::SafetensorsFile>> dequant{
      {"synthetic_golden.gguf", io::SafetensorsFile::open(dir + "/synthetic_golden_dequant.safetensors")},
      {"stories260k_golden.gguf", io::SafetensorsFile::open(dir + "/stories260k_golden_dequant.safetensors")}};
  auto synthetic = io::SafetensorsFile::open(dir + "/synthetic_source.safetensors");
  auto stories = io::SafetensorsFile::open(std::string(QSPECTRA_DATA_DIR) + "/llama2c-stories260K-plctlab/model.safetensors");
  std::map<std::string, io::MappedFile> gguf;
  std::map<std::string, int> dequant_ok, quant_ok;
  int checked = 0;
  for (const auto& m : manifest(dir)) {
    if (!dequant.count(m.file)) continue;  // the natural q8_0 file repeats golden tensors
    if (!gguf.count(m.file)) gguf.emplace(m.file, io::MappedFile(dir + "/" + m.file));
    const auto& file = gguf.at(m.file);
    const auto* t = find_by_name(m.type);
    ASSERT_NE(t, nullptr) << m.type;
    ASSERT_LE(m.offset + m.nbytes, file.size());
    const std::span<const std::byte> bytes(file.data() + m.offset, m.nbytes);
    const auto* dinfo = dequant.at(m.file)->find(m.tensor);
    ASSERT_NE(dinfo, nullptr) << m.tensor;
    const auto golden = as<float>(dequant.at(m.file)->raw(*dinfo));
    const std::string d = test::compare_dequant(*t, bytes, golden, m.ne1, m.ne0);
    EXPECT_EQ(d, "") << m.tensor;
    auto& src_file = m.file == "synthetic_golden.gguf" ? synthetic : stories;
    const auto* sinfo = src_file->find(m.source);
    ASSERT_NE(sinfo, nullptr) << m.source;
    const std::string q = test::compare_quant(*t, as<float>(src_file->raw(*sinfo)), bytes, m.ne1, m.ne0);
    EXPECT_EQ(q, "") << m.tensor;
    dequant_ok[m.type] += d.empty();
    quant_ok[m.type] += q.empty();
    ++checked;
  }
  EXPECT_EQ(checked, 379);
  for (const auto& [type, n] : dequant_ok) std::cout << type << ": dequant " << n << " quant " << quant_ok[type] << " tensors exact\n";
}

}  // namespace
}  // namespace qspectra::types
