#include <gtest/gtest.h>

#include "qspectra/core/error.hpp"
#include "qspectra/io/model_dir.hpp"

namespace qspectra::io {
namespace {

void expect_error(std::string_view json, const std::string& part) {
  try {
    parse_index_json(json, "idx.json");
    ADD_FAILURE() << "no error; expected " << part;
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind("idx.json: ", 0), 0u) << msg;
    EXPECT_NE(msg.find(part), std::string::npos) << msg;
  }
}

TEST(IndexJson, WeightMapInDocumentOrder) {
  auto m = parse_index_json(R"({"metadata":{"total_size":"ignored"},"weight_map":{"z.weight":"b.safetensors","a.weight":"a.safetensors","m":"b.safetensors"}})",
                            "idx.json");
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0], (std::pair<std::string, std::string>{"z.weight", "b.safetensors"}));
  EXPECT_EQ(m[1].first, "a.weight");
  EXPECT_EQ(m[2].first, "m");
  EXPECT_TRUE(parse_index_json(R"({"weight_map":{}})", "idx.json").empty());
}

TEST(IndexJson, Errors) {
  expect_error(R"({"metadata":{}})", "no \"weight_map\"");
  expect_error(R"({"weight_map":[]})", "\"weight_map\" is not a JSON object");
  expect_error(R"([1])", "not a JSON object");
  expect_error(R"({"weight_map":{"a":"x.safetensors","a":"y.safetensors"}})", "duplicate key \"a\"");
  expect_error(R"({"weight_map":{"a":3}})", "a: weight_map value is not a file name string");
  expect_error(R"({"weight_map":{"a":"../x.safetensors"}})", "not a plain file name");
  expect_error(R"({"weight_map":{"a":"/etc/x.safetensors"}})", "not a plain file name");
  expect_error(R"({"weight_map":{"a":".."}})", "not a plain file name");
  expect_error(R"({"weight_map":{"a":""}})", "not a plain file name");
  expect_error(R"({"weight_map":)", "invalid JSON");
}

}  // namespace
}  // namespace qspectra::io
