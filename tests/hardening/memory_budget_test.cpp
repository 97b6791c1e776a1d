// Denial of service (issue 9): hostile safetensors headers and index files are rejected, or accepted
// when valid, in bounded memory: a budget proportional to the header size (the JSON DOM), and nothing
// proportional to the sizes a header declares. Memory is measured by counting operator new in this
// binary (defined below); no wall-clock assertions, but each case is bounded by design (linear-ish
// parsing of at most 100 MB).
#include <gtest/gtest.h>
#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "../io/safetensors_builder.hpp"
#include "alloc_counter.hpp"
#include "qspectra/core/error.hpp"
#include "qspectra/io/model_dir.hpp"
#include "qspectra/io/safetensors.hpp"
#include "qspectra/io/torch_checkpoint.hpp"

// ---- global operator new/delete, counting usable bytes (the aligned forms are left alone: they use
// aligned_alloc/free in libstdc++ and never reach these) ----
namespace {
std::atomic<std::size_t> g_now{0};
std::atomic<std::size_t> g_peak{0};

void* counted_alloc(std::size_t n) {
  void* p = std::malloc(n ? n : 1);
  if (!p) return nullptr;
  const std::size_t now = g_now.fetch_add(malloc_usable_size(p)) + malloc_usable_size(p);
  std::size_t peak = g_peak.load();
  while (now > peak && !g_peak.compare_exchange_weak(peak, now)) {
  }
  return p;
}
void counted_free(void* p) noexcept {
  if (!p) return;
  g_now.fetch_sub(malloc_usable_size(p));
  std::free(p);
}
}  // namespace

void* operator new(std::size_t n) {
  if (void* p = counted_alloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  if (void* p = counted_alloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { counted_free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { counted_free(p); }

namespace qspectra::testing {

std::size_t allocated_now() { return g_now.load(); }
std::size_t allocated_peak() { return g_peak.load(); }
void reset_peak() { g_peak.store(g_now.load()); }

namespace {

using test::raw_safetensors;
using test::tensor_json;
constexpr std::size_t kMB = 1 << 20;
constexpr uint64_t kMaxHeader = 100'000'000;

std::span<const std::byte> as_span(const std::vector<std::byte>& v) { return {v.data(), v.size()}; }

// Header text of n F32 [1] tensors "t0000000".. laid out one after another (or all at [0, 4)).
std::string many_entries(std::size_t n, bool overlapping) {
  std::string h = "{";
  h.reserve(n * 64);
  char name[16];
  for (std::size_t i = 0; i < n; ++i) {
    std::snprintf(name, sizeof name, "t%07zu", i);
    const uint64_t begin = overlapping ? 0 : 4 * i;
    h += (i ? "," : "") + tensor_json(name, "F32", {1}, begin, begin + 4);
  }
  return h + "}";
}

// parse_safetensors must throw an InputError containing `what`.
void expect_rejected(std::span<const std::byte> file, const std::string& what) {
  try {
    io::parse_safetensors(file, "dos.safetensors");
    ADD_FAILURE() << "accepted; expected: " << what;
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
  }
}

// The budget: the parser may hold a DOM of the header, never anything sized by what the header
// declares. Measured (GCC 12, Release): 7-12 bytes per header byte for tensor tables and index maps,
// ~25 for a dense array of one-digit numbers (16-byte JSON values plus vector growth).
constexpr std::size_t kBytesPerHeaderByte = 32;
std::size_t budget(std::size_t header_len) { return kBytesPerHeaderByte * header_len + 4 * kMB; }

// Peak allocation for the log (the ratio per header byte is what the budget bounds).
std::size_t peak_logged(const AllocScope& scope, std::size_t header_len) {
  const std::size_t peak = scope.peak_extra();
  std::printf("[   info   ] peak %.1f MB for a %.1f MB header (%.1f bytes per header byte)\n", double(peak) / kMB,
              double(header_len) / kMB, double(peak) / double(header_len));
  return peak;
}

TEST(MemoryBudget, CounterSeesAllocationsAndFrees) {
  const std::size_t before = allocated_now();
  AllocScope scope;
  auto* v = new std::vector<char>(10 * kMB);
  EXPECT_GE(scope.peak_extra(), 10 * kMB);
  delete v;
  EXPECT_LT(allocated_now(), before + kMB);
}

TEST(DenialOfService, HeaderAtTheLimitIsAcceptedWithinBudget) {
  // One tensor, padded with whitespace to exactly the 100 MB limit (the reference writer pads too).
  std::string h = "{" + tensor_json("w.weight", "F32", {2, 2}, 0, 16) + "}";
  h.resize(kMaxHeader, ' ');
  const auto file = raw_safetensors(h, std::vector<std::byte>(16));
  AllocScope scope;
  const auto parsed = io::parse_safetensors(as_span(file), "limit.safetensors");
  EXPECT_EQ(parsed.header_len, kMaxHeader);
  ASSERT_EQ(parsed.tensors.size(), 1u);
  // nlohmann's lexer keeps the whitespace it skips in its token buffer: at most a few header copies.
  EXPECT_LT(peak_logged(scope, h.size()), 3 * h.size());
}

TEST(DenialOfService, HeaderOneByteOverTheLimitIsRejectedBeforeParsing) {
  std::string h = "{}";
  h.resize(kMaxHeader + 1, ' ');
  const auto file = raw_safetensors(h);
  AllocScope scope;
  expect_rejected(as_span(file), "exceeds the limit of 100000000 bytes");
  EXPECT_LT(scope.peak_extra(), 64 * 1024);
  // The declared length alone is checked first: a tiny file claiming 2^63 bytes of header.
  expect_rejected(as_span(raw_safetensors("{}", {}, uint64_t(1) << 63)), "exceeds the limit");
}

TEST(DenialOfService, HugeMetadataStringNearTheLimitStaysWithinBudget) {
  const std::string h = "{\"__metadata__\":{\"k\":\"" + std::string(kMaxHeader - 32, 'a') + "\"}}";
  const auto file = raw_safetensors(h);
  AllocScope scope;
  const auto parsed = io::parse_safetensors(as_span(file), "meta.safetensors");
  EXPECT_EQ(parsed.metadata.at("k").size(), kMaxHeader - 32);
  EXPECT_LT(peak_logged(scope, h.size()), 8 * h.size()) << "a few copies of the string at most";
}

TEST(DenialOfService, HundredsOfThousandsOfEntriesAcceptedWithinBudget) {
  constexpr std::size_t n = 300'000;
  const std::string h = many_entries(n, false);
  const auto file = raw_safetensors(h, std::vector<std::byte>(4 * n));
  AllocScope scope;
  const auto parsed = io::parse_safetensors(as_span(file), "many.safetensors");
  EXPECT_EQ(parsed.tensors.size(), n);
  EXPECT_LT(peak_logged(scope, h.size()), budget(h.size())) << "header " << h.size() << " bytes";
}

TEST(DenialOfService, HundredsOfThousandsOfOverlappingEntriesRejectedWithinBudget) {
  constexpr std::size_t n = 300'000;
  const std::string h = many_entries(n, true);
  const auto file = raw_safetensors(h, std::vector<std::byte>(4));
  AllocScope scope;
  expect_rejected(as_span(file), "overlap tensor");
  EXPECT_LT(peak_logged(scope, h.size()), budget(h.size()));
}

TEST(DenialOfService, DuplicateKeyAfterManyEntriesRejectedWithinBudget) {
  constexpr std::size_t n = 300'000;
  std::string h = many_entries(n, false);
  h.back() = ',';
  h += tensor_json("t0000000", "F32", {1}, 4 * n, 4 * n + 4) + "}";
  const auto file = raw_safetensors(h, std::vector<std::byte>(4 * n + 4));
  AllocScope scope;
  expect_rejected(as_span(file), "duplicate key \"t0000000\"");
  EXPECT_LT(peak_logged(scope, h.size()), budget(h.size()));
}

TEST(DenialOfService, HugeDeclaredShapesAllocateNothingProportional) {
  constexpr std::size_t n = 100'000;
  // Valid-looking element counts of 2^40 F64 (8 TiB each) with offsets that claim them: rejected
  // because the data section is 8 bytes, without touching or allocating the declared sizes.
  std::string h = "{";
  for (std::size_t i = 0; i < n; ++i)
    h += (i ? "," : "") + tensor_json("t" + std::to_string(i), "F64", {1 << 20, 1 << 20},
                                      i << 43, (i + 1) << 43);
  h += "}";
  const auto file = raw_safetensors(h, std::vector<std::byte>(8));
  AllocScope scope;
  expect_rejected(as_span(file), "the data must fill the file exactly");
  EXPECT_LT(peak_logged(scope, h.size()), budget(h.size()));

  // Element counts that overflow: rejected per entry; and one tensor of 2^60 bytes alone.
  AllocScope small;
  expect_rejected(as_span(raw_safetensors("{" + tensor_json("w", "U8", {int64_t(1) << 31, int64_t(1) << 31, 4}, 0, 0) + "}")),
                  "overflows");
  expect_rejected(as_span(raw_safetensors("{" + tensor_json("w", "U8", {int64_t(1) << 60}, 0, int64_t(1) << 60) + "}",
                                          std::vector<std::byte>(8))),
                  "the data must fill the file exactly");
  EXPECT_LT(small.peak_extra(), 64 * 1024);
}

TEST(DenialOfService, HugeDeclaredShapeThroughModelDirAllocatesNothingProportional) {
  // Same through the file API (mmap + ModelDir), which is what the apps call.
  test::TempDir dir;
  test::write_file(dir.path() / "model.safetensors",
                   raw_safetensors("{" + tensor_json("w.weight", "F32", {1 << 30, 1 << 30}, 0, uint64_t(1) << 62) + "}",
                                   std::vector<std::byte>(16)));
  AllocScope scope;
  EXPECT_THROW(io::ModelDir::open(dir.str()), InputError);
  EXPECT_LT(scope.peak_extra(), 1 * kMB);
}

TEST(DenialOfService, EmptyTensorWithHugeDimensionsIsAcceptedAndCostsNothing) {
  // [0, 2^62]: zero elements, accepted (as the reference does); reading it allocates nothing.
  test::TempDir dir;
  test::write_file(dir.path() / "model.safetensors",
                   test::build_safetensors({{"e.weight", "F32", {0, int64_t(1) << 62}, {}},
                                            test::zeros_f32("w.weight", {4, 4})}));
  AllocScope scope;
  const auto m = io::ModelDir::open(dir.str());
  ASSERT_EQ(m.tensors().size(), 2u);
  EXPECT_EQ(m.tensors()[0].info.numel(), 0);
  EXPECT_TRUE(m.read(m.tensors()[0]).values.empty());
  EXPECT_LT(scope.peak_extra(), 1 * kMB);
}

TEST(DenialOfService, LongShapeArrayAndDeepNestingAreBounded) {
  // A million dimensions of 1: valid, one element.
  std::string shape = "[1";
  for (int i = 1; i < 1'000'000; ++i) shape += ",1";
  shape += "]";
  const std::string h = R"({"w":{"dtype":"F32","shape":)" + shape + R"(,"data_offsets":[0,4]}})";
  const auto file = raw_safetensors(h, std::vector<std::byte>(4));
  {
    AllocScope scope;
    const auto parsed = io::parse_safetensors(as_span(file), "shape.safetensors");
    EXPECT_EQ(parsed.tensors.at(0).shape.size(), 1'000'000u);
    EXPECT_LT(peak_logged(scope, h.size()), budget(h.size()));
  }
  // 10 MB of '[': rejected at depth 33, before the rest is read.
  const auto deep = raw_safetensors("{\"a\":" + std::string(10'000'000, '['));
  AllocScope scope;
  expect_rejected(as_span(deep), "nested deeper than 32");
  EXPECT_LT(scope.peak_extra(), 1 * kMB);
}

TEST(DenialOfService, HeaderOfEmptyContainersIsRefusedAtTheFirstEntry) {
  // ~99 MB of `{}`: a parse tree of it cost 3 GB before any rule was checked. The header is streamed
  // entry by entry and refused at the first one that breaks a rule.
  std::string list = "{\"a\":[";
  list.reserve(kMaxHeader);
  while (list.size() < kMaxHeader - 8) list += "{},";
  list += "{}]}";
  {
    const auto file = raw_safetensors(list);
    AllocScope scope;
    expect_rejected(as_span(file), "a: entry has more than 64 nested arrays or objects");
    EXPECT_LT(scope.peak_extra(), 1 * kMB);
  }
  std::string entries = "{";
  entries.reserve(kMaxHeader);
  for (std::size_t i = 0; entries.size() < kMaxHeader - 32; ++i) entries += "\"k" + std::to_string(i) + "\":{},";
  entries += "\"z\":{}}";
  const auto file = raw_safetensors(entries);
  AllocScope scope;
  expect_rejected(as_span(file), "k0: missing \"dtype\"");
  EXPECT_LT(scope.peak_extra(), 1 * kMB);
}

TEST(DenialOfService, MetadataWithTooManyKeysIsRefusedWithinBudget) {
  std::string h = "{\"__metadata__\":{";
  for (int i = 0; i < 70'000; ++i) h += (i ? ",\"" : "\"") + std::to_string(i) + "\":\"v\"";
  h += "}}";
  const auto file = raw_safetensors(h);
  AllocScope scope;
  expect_rejected(as_span(file), "__metadata__: entry has more than 65536 keys");
  EXPECT_LT(peak_logged(scope, h.size()), budget(h.size()));
}

TEST(DenialOfService, PickleObjectsAndSizeAreCapped) {
  // Two million EMPTY_TUPLE opcodes: each one byte of pickle, each an object of ~100 bytes.
  std::string p(2'000'000, ')');
  p += '.';
  AllocScope scope;
  try {
    io::torch::parse_state_dict_pickle({reinterpret_cast<const std::byte*>(p.data()), p.size()}, "bomb.bin");
    ADD_FAILURE() << "accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("more than 1048576 objects"), std::string::npos) << e.what();
  }
  std::printf("[   info   ] peak %.1f MB for a %.1f MB pickle of empty tuples\n", double(scope.peak_extra()) / kMB,
              double(p.size()) / kMB);
  EXPECT_LT(scope.peak_extra(), 256 * kMB);
  // One memo entry a byte pair (EMPTY_TUPLE, MEMOIZE): the memo is capped the same way.
  std::string memo;
  for (int i = 0; i < 1'500'000; ++i) memo += ")\x94";
  memo += '.';
  AllocScope scope2;
  EXPECT_THROW(io::torch::parse_state_dict_pickle({reinterpret_cast<const std::byte*>(memo.data()), memo.size()}, "m.bin"),
               InputError);
  EXPECT_LT(scope2.peak_extra(), 320 * kMB);
  // Beyond the size limit nothing is parsed.
  const std::vector<std::byte> huge(io::torch::kMaxPickleBytes + 1);
  AllocScope scope3;
  EXPECT_THROW(io::torch::parse_state_dict_pickle(huge, "huge.bin"), InputError);
  EXPECT_LT(scope3.peak_extra(), 64 * 1024);
}

TEST(DenialOfService, IndexWithHundredsOfThousandsOfEntriesWithinBudget) {
  constexpr std::size_t n = 300'000;
  std::string j = "{\"metadata\":{\"total_size\":99999999999999},\"weight_map\":{";
  for (std::size_t i = 0; i < n; ++i)
    j += (i ? ",\"" : "\"") + std::string("model.layers.") + std::to_string(i) + ".weight\":\"model-0000" +
         std::to_string(i % 7) + ".safetensors\"";
  j += "}}";
  AllocScope scope;
  const auto map = io::parse_index_json(j, "model.safetensors.index.json");
  EXPECT_EQ(map.size(), n);
  EXPECT_LT(peak_logged(scope, j.size()), budget(j.size()));
  // A duplicate as the very last key: rejected, same budget.
  std::string dup = j.substr(0, j.size() - 2) + ",\"model.layers.0.weight\":\"x.safetensors\"}}";
  AllocScope scope2;
  EXPECT_THROW(io::parse_index_json(dup, "model.safetensors.index.json"), InputError);
  EXPECT_LT(scope2.peak_extra(), budget(dup.size()));
}

}  // namespace
}  // namespace qspectra::testing
