// Regression tests for the fuzzer's findings (fuzz/, scripts/fuzz.sh), and a replay of the seed
// corpus: every committed input must be accepted or rejected with an InputError, never anything else
// (under the sanitizer build this also re-checks them for memory errors).
#include <gtest/gtest.h>

#include <optional>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "../io/safetensors_builder.hpp"
#include "qspectra/core/error.hpp"
#include "qspectra/io/model_dir.hpp"
#include "qspectra/io/gguf.hpp"
#include "qspectra/io/safetensors.hpp"
#include "qspectra/io/zip_directory.hpp"

namespace qspectra::testing {
namespace {

namespace fs = std::filesystem;
const fs::path kCorpus = fs::path(QSPECTRA_TEST_DATA_DIR) / ".." / ".." / "fuzz" / "corpus";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

std::string st_error(const std::string& bytes) {
  return error_of([&] {
    io::parse_safetensors({reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()}, "corpus");
  });
}

// Seeds are named valid_* (accepted), bad_* / finding-* (rejected with an InputError).
void replay(const std::string& target, const std::function<std::string(const std::string&)>& error) {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(kCorpus / target)) {
    const std::string name = e.path().filename().string();
    std::string err;
    ASSERT_NO_THROW(err = error(slurp(e.path()))) << name << ": an exception other than InputError";
    if (name.rfind("valid", 0) == 0) EXPECT_EQ(err, "") << name;
    else EXPECT_NE(err, "") << name << " was accepted";
    ++n;
  }
  EXPECT_GE(n, 5u) << "seed corpus missing under " << (kCorpus / target);
}

TEST(FuzzCorpus, SafetensorsSeedsReplay) { replay("safetensors", st_error); }

TEST(FuzzCorpus, GgufSeedsReplay) {
  replay("gguf", [](const std::string& bytes) {
    std::optional<io::GgufHeader> h;
    const std::string err = error_of([&] {
      h = io::parse_gguf({reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()}, "corpus");
    });
    // As the harness does: a header that parses renders every value without any error (arrays are
    // decoded lazily, so parse_gguf must have checked their elements).
    if (h)
      for (const auto& kv : h->kv) (void)io::gguf_value_text(kv.value);
    return err;
  });
}

TEST(FuzzCorpus, IndexJsonSeedsReplay) {
  replay("index_json", [](const std::string& text) {
    return error_of([&] { io::parse_index_json(text, "corpus"); });
  });
}

#if __has_include("qspectra/io/torch_checkpoint.hpp")
}  // namespace
}  // namespace qspectra::testing
#include "qspectra/io/torch_checkpoint.hpp"
namespace qspectra::testing {
namespace {

TEST(FuzzCorpus, TorchPickleSeedsReplay) {
  replay("torch_pickle", [](const std::string& bytes) {
    return error_of([&] {
      io::torch::parse_state_dict_pickle({reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()}, "corpus");
    });
  });
}
#endif

TEST(FuzzCorpus, ZipDirectorySeedsReplay) {
  replay("zip_directory", [](const std::string& bytes) {
    return error_of([&] { io::read_stored_zip_directory({reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()}, "corpus"); });
  });
}

// Finding (fuzz_safetensors, invariant "dimension >= 0"): after a zero dimension the element-count
// overflow check let any dimension through, so [0, 2^64-1] was stored as the int64 shape [0, -1],
// and [0, 2^62, 2^62] overflowed N*M / kh*kw downstream. Now the product of the non-zero dimensions
// must fit int64 (zero-element tensors with sane dimensions stay valid).
TEST(FuzzFindings, ZeroDimensionDoesNotDisableTheOverflowCheck) {
  using test::raw_safetensors;
  using test::tensor_json;
  auto err = [](const std::string& header) {
    const auto f = raw_safetensors(header);
    return st_error(std::string(reinterpret_cast<const char*>(f.data()), f.size()));
  };
  EXPECT_NE(err(R"({"w":{"dtype":"F32","shape":[0,18446744073709551615],"data_offsets":[0,0]}})").find("overflows"),
            std::string::npos);
  EXPECT_NE(err(R"({"w":{"dtype":"F32","shape":[0,9223372036854775808],"data_offsets":[0,0]}})").find("overflows"),
            std::string::npos);
  EXPECT_NE(err("{" + tensor_json("w", "F32", {0, int64_t(1) << 62, int64_t(1) << 62, 1}, 0, 0) + "}").find("overflows"),
            std::string::npos);
  EXPECT_NE(err("{" + tensor_json("w", "F32", {int64_t(1) << 62, 0, 4}, 0, 0) + "}").find("overflows"),
            std::string::npos);
  // Still valid: empty tensors whose other dimensions multiply to at most 2^63-1.
  EXPECT_EQ(err("{" + tensor_json("w", "F32", {0, int64_t(1) << 62}, 0, 0) + "}"), "");
  EXPECT_EQ(err("{" + tensor_json("w", "F32", {3, 0, 5}, 0, 0) + "}"), "");
}

// Finding (fuzz_index_json, invariant "plain shard name"): a shard name with an escaped NUL
// ("cc\u0000s") passed the path checks, but the OS would open "cc" instead.
TEST(FuzzFindings, ShardNameWithNulIsRejected) {
  const std::string err = error_of([] {
    io::parse_index_json(R"({"weight_map":{"a.weight":"model.safetensors\u0000../../x"}})", "index.json");
  });
  EXPECT_NE(err.find("not a plain file name"), std::string::npos) << err;
  // And through ModelDir: the index is rejected even though "model.safetensors" exists.
  test::TempDir dir;
  test::write_file(dir.path() / "model.safetensors", test::build_safetensors({test::zeros_f32("a.weight", {4, 4})}));
  test::write_file(dir.path() / "model.safetensors.index.json",
                   std::string(R"({"weight_map":{"a.weight":"model.safetensors\u0000"}})"));
  EXPECT_THROW(io::ModelDir::open(dir.str()), InputError);
}

}  // namespace
}  // namespace qspectra::testing
