// sym:8:channel and sym:4:g128 on synthetic-small reproduce the reference fake-quantised fixtures
// (synthetic-small-q8, -q4g128) bit for bit: each tensor's float32 little-endian bytes hash to the
// sha256 recorded by tests/data/quant/make_expected_hashes.py.
#include <gtest/gtest.h>

#include <bit>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "qspectra/core/sha256.hpp"
#include "qspectra/io/model_dir.hpp"
#include "qspectra/quant/quantizer.hpp"

using namespace qspectra;

namespace {

std::string float32_le_sha256(const std::vector<double>& values) {
  static_assert(std::endian::native == std::endian::little);
  std::vector<float> f(values.begin(), values.end());  // exact: the results are float32 values
  return sha256_hex(f.data(), f.size() * sizeof(float));
}

void check_fixture(const std::string& fixture) {
  std::ifstream in(QSPECTRA_TEST_DATA_DIR "/quant/expected_tensor_sha256.json");
  ASSERT_TRUE(in) << "missing expected_tensor_sha256.json";
  const auto expected = nlohmann::json::parse(in)["fixtures"][fixture];
  const auto quantizer = quant::make_quantizer(expected["spec"].get<std::string>());
  const auto dir = io::ModelDir::open(QSPECTRA_TEST_DATA_DIR "/fixtures/synthetic-small");
  std::map<std::string, const io::ModelTensor*> by_name;
  for (const auto& t : dir.tensors()) by_name[t.info.name] = &t;
  int checked = 0;
  for (const auto& [name, want] : expected["tensors"].items()) {
    ASSERT_TRUE(by_name.count(name)) << name;
    TensorData t = dir.read(*by_name[name]);
    EXPECT_EQ(t.shape, want["shape"].get<std::vector<int64_t>>()) << name;
    quantizer->apply(t);
    EXPECT_EQ(float32_le_sha256(t.values), want["sha256"].get<std::string>()) << fixture << " " << name;
    ++checked;
  }
  EXPECT_EQ(checked, 9);
}

}  // namespace

TEST(ReferenceFixtures, Int8PerChannelBitExact) { check_fixture("synthetic-small-q8"); }
TEST(ReferenceFixtures, Int4Group128BitExact) { check_fixture("synthetic-small-q4g128"); }
