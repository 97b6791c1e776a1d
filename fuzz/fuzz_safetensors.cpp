// libFuzzer harness: io::parse_safetensors on an arbitrary file image (length prefix, JSON header,
// data section). A rejected input must be an InputError; anything else escaping (a nlohmann
// exception, bad_alloc, InternalError) aborts and is a finding, as is any sanitizer report. An
// accepted header must satisfy the invariants the rest of the library relies on, which are checked
// here, and every readable tensor is widened (its bytes lie in the input, so this is bounded).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <span>
#include <vector>

#include "qspectra/core/error.hpp"
#include "qspectra/io/safetensors.hpp"

using namespace qspectra;

namespace {

[[noreturn]] void violated(const char* what, const io::TensorInfo* t = nullptr) {
  std::fprintf(stderr, "invariant violated: %s%s%s\n", what, t ? " in tensor " : "", t ? t->name.c_str() : "");
  std::abort();
}
#define CHECK(cond, ...) \
  do {                   \
    if (!(cond)) violated(#cond __VA_OPT__(, ) __VA_ARGS__); \
  } while (0)

void check(const io::SafetensorsHeader& h, std::span<const std::byte> file) {
  CHECK(h.header_len >= 2 && h.header_len <= 100'000'000);
  CHECK(8 + h.header_len <= file.size());
  const uint64_t data_len = file.size() - 8 - h.header_len;
  uint64_t covered = 0;
  for (std::size_t i = 0; i < h.tensors.size(); ++i) {
    const io::TensorInfo& t = h.tensors[i];
    if (i > 0) CHECK(h.tensors[i - 1].name < t.name, &t);  // sorted, unique
    CHECK(t.name != "__metadata__", &t);
    // Every dimension is >= 0 and the product of the non-zero ones fits int64, so any product of
    // dimensions computed downstream (numel, N*M, M*rf, kh*kw) cannot overflow.
    int64_t nonzero_product = 1;
    for (int64_t d : t.shape) {
      CHECK(d >= 0, &t);
      if (d != 0) {
        CHECK(nonzero_product <= std::numeric_limits<int64_t>::max() / d, &t);
        nonzero_product *= d;
      }
    }
    const int64_t numel = t.numel();
    CHECK(numel >= 0 && numel <= nonzero_product, &t);
    CHECK(t.data_begin <= t.data_end && t.data_end <= data_len, &t);
    const uint64_t bytes = t.data_end - t.data_begin;
    CHECK(static_cast<unsigned __int128>(numel) * io::dtype_bits(t.dtype) == static_cast<unsigned __int128>(bytes) * 8, &t);
    covered += bytes;
    if (io::dtype_readable(t.dtype)) {
      std::vector<double> values(static_cast<std::size_t>(numel));
      io::widen_to_double(t.dtype, file.data() + 8 + h.header_len + t.data_begin, values.size(), values.data());
    } else {
      CHECK(!io::dtype_skip_reason(t.dtype).empty(), &t);
    }
  }
  CHECK(covered == data_len);  // with the sorted-offset check: the tensors tile the data section
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::span<const std::byte> file(reinterpret_cast<const std::byte*>(data), size);
  io::SafetensorsHeader h;
  try {
    h = io::parse_safetensors(file, "fuzz.safetensors");
  } catch (const InputError&) {
    return 0;
  }
  check(h, file);
  return 0;
}
