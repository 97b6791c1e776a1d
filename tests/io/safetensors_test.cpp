// parse_safetensors validation rules, one hand-made malformed image each, and SafetensorsFile.
#include "qspectra/io/safetensors.hpp"

#include <cstring>

#include <gtest/gtest.h>

#include "qspectra/core/error.hpp"
#include "safetensors_builder.hpp"

namespace qspectra::io {
namespace {

using test::build_safetensors;
using test::le_bytes;
using test::raw_safetensors;
using test::tensor_json;

SafetensorsHeader parse(const std::vector<std::byte>& img) { return parse_safetensors(img, "f.safetensors"); }

// Parsing must fail with an InputError naming the file and containing every `parts`.
void expect_error(const std::vector<std::byte>& img, std::initializer_list<std::string> parts) {
  try {
    parse(img);
    ADD_FAILURE() << "no error; expected: " << *parts.begin();
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind("f.safetensors: ", 0), 0u) << msg;
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
  }
}

std::vector<std::byte> zeros(std::size_t n) { return std::vector<std::byte>(n); }

TEST(ParseSafetensors, ValidFileSortedByNameWithMetadata) {
  auto img = build_safetensors({{"b.weight", "F32", {2, 3}, zeros(24)},
                                {"a.bias", "F16", {3}, zeros(6)},
                                {"c", "BOOL", {0, 5}, {}}},
                               {{"format", "pt"}});
  auto h = parse(img);
  ASSERT_EQ(h.tensors.size(), 3u);
  EXPECT_EQ(h.tensors[0].name, "a.bias");
  EXPECT_EQ(h.tensors[1].name, "b.weight");
  EXPECT_EQ(h.tensors[2].name, "c");
  EXPECT_EQ(h.tensors[1].dtype, DType::F32);
  EXPECT_EQ(h.tensors[1].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(h.tensors[1].numel(), 6);
  EXPECT_EQ(h.tensors[1].data_begin, 0u);
  EXPECT_EQ(h.tensors[1].data_end, 24u);
  EXPECT_EQ(h.tensors[2].numel(), 0);
  EXPECT_EQ(h.metadata.at("format"), "pt");
  EXPECT_EQ(h.header_len % 8, 0u);
}

TEST(ParseSafetensors, EmptyModelAndScalarAndUnsortedOffsets) {
  EXPECT_TRUE(parse(raw_safetensors("{}")).tensors.empty());
  auto scalar = parse(raw_safetensors("{" + tensor_json("s", "F64", {}, 0, 8) + "}", zeros(8)));
  EXPECT_EQ(scalar.tensors.at(0).numel(), 1);
  // Offsets need not follow the JSON order; only their sorted tiling matters.
  auto h = parse(raw_safetensors("{" + tensor_json("x", "U8", {4}, 4, 8) + "," + tensor_json("y", "U8", {4}, 0, 4) + "}", zeros(8)));
  EXPECT_EQ(h.tensors.size(), 2u);
  // Trailing whitespace padding after the object is allowed, as in files written by the reference.
  EXPECT_TRUE(parse(raw_safetensors("{}      ")).tensors.empty());
}

TEST(ParseSafetensors, ReadableAndSkippedDtypesParse) {
  auto h = parse(raw_safetensors("{" + tensor_json("c", "C64", {2}, 0, 16) + "," + tensor_json("f4", "F4", {2, 2}, 16, 18) + "," +
                                 tensor_json("f6", "F6_E2M3", {4}, 18, 21) + "}",
                                 zeros(21)));
  ASSERT_EQ(h.tensors.size(), 3u);
  EXPECT_EQ(h.tensors[0].dtype, DType::C64);
  EXPECT_EQ(h.tensors[1].dtype, DType::F4);
}

TEST(ParseSafetensors, TruncatedFile) {
  expect_error({}, {"too small"});
  expect_error(zeros(5), {"too small"});
  auto img = build_safetensors({{"w", "F32", {4, 4}, zeros(64)}});
  img.pop_back();
  expect_error(img, {"data section is 63 bytes", "cover 64"});
}

TEST(ParseSafetensors, HeaderLengthRules) {
  expect_error(raw_safetensors("{", {}, 1), {"header length 1 is below 2"});
  expect_error(raw_safetensors("{}", {}, 100'000'001), {"exceeds the limit"});
  expect_error(raw_safetensors("{}", {}, 11), {"header length 11 runs past the end of the file"});
  expect_error(raw_safetensors("{}", {}, UINT64_MAX), {"exceeds the limit"});
}

TEST(ParseSafetensors, AFileThatIsNotSafetensorsIsNamedAsSuch) {
  // config.json passed as the model: its first 8 bytes read as a length of ~7e18.
  const std::string config = "{\n  \"architectures\": [\"LlamaForCausalLM\"],\n  \"hidden_size\": 64\n}\n";
  std::vector<std::byte> bytes(config.size());
  std::memcpy(bytes.data(), config.data(), config.size());
  expect_error(bytes, {"not a safetensors file", "starts with \"{.  \"archite\""});
  std::vector<std::byte> eight(8, std::byte{0xff});  // nothing after the length
  expect_error(eight, {"not a safetensors file"});
}

TEST(ParseSafetensors, BadJson) {
  expect_error(raw_safetensors("[]"), {"does not start with '{'"});
  expect_error(raw_safetensors("{\"a\":"), {"invalid JSON"});
  expect_error(raw_safetensors("{} {}"), {"invalid JSON"});
  expect_error(raw_safetensors("{\"a\":NaN}"), {"invalid JSON"});
  expect_error(raw_safetensors("{\"\xff\":1}"), {"not valid UTF-8"});
  expect_error(raw_safetensors("{\"\xc0\xaf\":1}"), {"not valid UTF-8"});  // overlong '/'
  expect_error(raw_safetensors("{\"a\":1}"), {"a: entry is not a JSON object"});
  std::string deep = "{\"t\":" + std::string(5000, '[') + std::string(5000, ']') + "}";
  expect_error(raw_safetensors(deep), {"nested deeper"});
}

TEST(ParseSafetensors, MetadataMustBeStringToString) {
  expect_error(raw_safetensors("{\"__metadata__\":{\"k\":1}}"), {"__metadata__", "\"k\" is not a string"});
  expect_error(raw_safetensors("{\"__metadata__\":[\"k\"]}"), {"__metadata__ is not a JSON object"});
}

TEST(ParseSafetensors, DuplicateNames) {
  const std::string t = tensor_json("w", "U8", {4}, 0, 4);
  expect_error(raw_safetensors("{" + t + "," + t + "}", zeros(4)), {"duplicate key \"w\""});
  expect_error(raw_safetensors("{\"w\":{\"dtype\":\"U8\",\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}}", zeros(4)),
               {"duplicate key \"dtype\""});
}

TEST(ParseSafetensors, FieldRules) {
  expect_error(raw_safetensors("{" + tensor_json("w", "F33", {1}, 0, 4) + "}", zeros(4)), {"w: unknown dtype \"F33\""});
  expect_error(raw_safetensors("{\"w\":{\"dtype\":7,\"shape\":[1],\"data_offsets\":[0,1]}}", zeros(1)), {"w: dtype is not a string"});
  expect_error(raw_safetensors("{\"w\":{\"shape\":[1],\"data_offsets\":[0,1]}}", zeros(1)), {"w: missing \"dtype\""});
  expect_error(raw_safetensors("{\"w\":{\"dtype\":\"U8\",\"data_offsets\":[0,1]}}", zeros(1)), {"w: missing \"shape\""});
  expect_error(raw_safetensors("{\"w\":{\"dtype\":\"U8\",\"shape\":[1]}}", zeros(1)), {"w: missing \"data_offsets\""});
  expect_error(raw_safetensors("{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1,2]}}", zeros(1)), {"w: data_offsets is not an array"});
  expect_error(raw_safetensors("{\"w\":{\"dtype\":\"U8\",\"shape\":[1.5],\"data_offsets\":[0,1]}}", zeros(1)), {"not a non-negative integer"});
  expect_error(raw_safetensors("{" + tensor_json("w", "U8", {-1, 4}, 0, 4) + "}", zeros(4)), {"w: shape entry -1 is negative"});
  expect_error(raw_safetensors("{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[-1,0]}}"), {"w: data_offsets begin -1 is negative"});
  expect_error(raw_safetensors("{" + tensor_json("w", "U8", {4}, 4, 0) + "}", zeros(4)), {"end before begin"});
  expect_error(raw_safetensors("{" + tensor_json("w", "F32", {4}, 0, 8) + "}", zeros(8)), {"span 8 bytes", "needs 16"});
  expect_error(raw_safetensors("{" + tensor_json("w", "F4", {3}, 0, 1) + "}", zeros(1)), {"do not fill whole bytes"});
}

TEST(ParseSafetensors, ShapeProductOverflow) {
  // 2^32 * 2^32 overflows 64 bits; 2^62 F64 elements overflow the bit count; no allocation happens.
  expect_error(raw_safetensors("{" + tensor_json("w", "U8", {4294967296, 4294967296}, 0, 0) + "}"), {"w: shape", "overflows"});
  expect_error(raw_safetensors("{" + tensor_json("w", "F64", {int64_t(1) << 62}, 0, 0) + "}"), {"w: shape", "overflows"});
  expect_error(raw_safetensors("{\"w\":{\"dtype\":\"U8\",\"shape\":[18446744073709551616],\"data_offsets\":[0,0]}}"),
               {"not a non-negative integer"});
  // A large but representable declared size just fails the offsets check.
  expect_error(raw_safetensors("{" + tensor_json("w", "U8", {1 << 30, 1 << 30}, 0, 4) + "}", zeros(4)), {"w: data_offsets"});
}

TEST(ParseSafetensors, OffsetsMustTileTheDataSection) {
  const auto a = tensor_json("a", "F32", {4}, 0, 16);
  expect_error(raw_safetensors("{" + a + "," + tensor_json("b", "F32", {4}, 8, 24) + "}", zeros(24)), {"b: data_offsets [8, 24] overlap tensor a"});
  expect_error(raw_safetensors("{" + a + "," + tensor_json("b", "F32", {4}, 20, 36) + "}", zeros(36)), {"b: data_offsets begin 20 leaves a hole"});
  expect_error(raw_safetensors("{" + tensor_json("a", "F32", {4}, 4, 20) + "}", zeros(20)), {"a:", "hole", "[0, 4)"});
  expect_error(raw_safetensors("{" + a + "," + tensor_json("a2", "F32", {4}, 0, 16) + "}", zeros(16)), {"a2:", "overlap tensor a"});
}

TEST(ParseSafetensors, DataMustFillTheFile) {
  auto img = build_safetensors({{"w", "F32", {2}, zeros(8)}});
  img.push_back(std::byte{0});
  expect_error(img, {"data section is 9 bytes but the tensors cover 8"});
  expect_error(raw_safetensors("{}", zeros(3)), {"data section is 3 bytes"});
}

TEST(ParseSafetensors, CorruptedBytesOnlyEverGiveInputErrors) {
  // A cheap in-suite stand-in for fuzzing: flip bytes of a valid image, anywhere in the header.
  const auto valid = build_safetensors({{"a.weight", "F16", {3, 2}, zeros(12)}, {"b", "I8", {5}, zeros(5)}},
                                       {{"k", "v"}});
  std::mt19937 rng(1234);
  for (int i = 0; i < 3000; ++i) {
    auto img = valid;
    const int flips = 1 + int(rng() % 4);
    for (int f = 0; f < flips; ++f) img[rng() % (img.size() - 17)] = std::byte(rng() & 0xFF);
    try {
      parse(img);
    } catch (const InputError&) {
    }
  }
}

TEST(SafetensorsFile, MapsReadsAndReleases) {
  test::TempDir dir;
  const auto path = dir.path() / "m.safetensors";
  test::write_file(path, build_safetensors({{"w", "F32", {2, 2}, le_bytes(std::vector<float>{1, 2, 3, 4})},
                                            {"c", "C64", {1}, zeros(8)},
                                            {"h", "F16", {1, 3}, le_bytes(std::vector<uint16_t>{0x3C00, 0xC000, 0x7C00})}}));
  auto f = SafetensorsFile::open(path.string());
  EXPECT_EQ(f->path(), path.string());
  EXPECT_EQ(f->file_size(), std::filesystem::file_size(path));
  const TensorInfo* w = f->find("w");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(f->find("nope"), nullptr);
  EXPECT_EQ(f->raw(*w).size(), 16u);
  auto d = f->read(*w);
  EXPECT_EQ(d.shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(d.values, (std::vector<double>{1, 2, 3, 4}));
  f->release(*w);
  EXPECT_EQ(f->read(*w).values, d.values);  // pages come back from the file after release
  EXPECT_EQ(f->read(*f->find("h")).values, (std::vector<double>{1, -2, std::numeric_limits<double>::infinity()}));
  try {
    f->read(*f->find("c"));
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("c: dtype C64 is not readable"), std::string::npos) << e.what();
  }
  TensorInfo bogus = *w;  // offsets from elsewhere must not read past the mapping
  bogus.data_end = 1 << 20;
  EXPECT_THROW(f->raw(bogus), InputError);
}

TEST(SafetensorsFile, AFileTruncatedUnderItsMappingIsAnInputErrorNotSigbus) {
  // Another process truncates the file after it was opened: the pages past the new end are gone and
  // touching them raises SIGBUS. The read names the file instead of killing the process.
  test::TempDir dir;
  const auto path = dir.path() / "m.safetensors";
  test::write_file(path, build_safetensors({{"w", "F32", {512, 512}, le_bytes(std::vector<float>(512 * 512, 1.0f))}}));
  auto f = SafetensorsFile::open(path.string());
  const TensorInfo* w = f->find("w");
  ASSERT_NE(w, nullptr);
  f->release(*w);
  std::filesystem::resize_file(path, 4096);
  try {
    f->read(*w);
    ADD_FAILURE() << "read a truncated mapping without an error";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path.string() + ": the file was truncated or changed while being read"), std::string::npos) << what;
  }
  // The guard is per read: a later good read on another file works, and nested guards unwind.
  const auto good = dir.path() / "g.safetensors";
  test::write_file(good, build_safetensors({{"v", "F32", {2}, le_bytes(std::vector<float>{1, 2})}}));
  auto g = SafetensorsFile::open(good.string());
  EXPECT_EQ(g->read(*g->find("v")).values, (std::vector<double>{1, 2}));
}

TEST(SafetensorsFile, ZeroLengthDataAndBadFiles) {
  test::TempDir dir;
  test::write_file(dir.path() / "empty-data.safetensors", raw_safetensors("{}"));
  EXPECT_TRUE(SafetensorsFile::open((dir.path() / "empty-data.safetensors").string())->header().tensors.empty());
  test::write_file(dir.path() / "zero.safetensors", std::string_view{});
  EXPECT_THROW(SafetensorsFile::open((dir.path() / "zero.safetensors").string()), InputError);
  EXPECT_THROW(SafetensorsFile::open((dir.path() / "missing.safetensors").string()), InputError);
  EXPECT_THROW(SafetensorsFile::open(dir.str()), InputError);  // a directory
  test::write_file(dir.path() / "bad.safetensors", raw_safetensors("{}", {}, 999));
  try {
    SafetensorsFile::open((dir.path() / "bad.safetensors").string());
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.safetensors: header length 999"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace qspectra::io
