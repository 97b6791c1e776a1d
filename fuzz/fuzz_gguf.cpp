// libFuzzer harness: io::parse_gguf on an arbitrary file image (magic, version, metadata, tensor infos,
// data section). A rejected input must be an InputError; anything else escaping (bad_alloc,
// InternalError) aborts and is a finding, as is any sanitizer report. An accepted header must satisfy
// the invariants the reader relies on (checked here); every metadata value is printed (arrays decoded
// lazily from the input) and every readable tensor is dequantized (its bytes lie in the input).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <span>
#include <vector>

#include "qspectra/core/error.hpp"
#include "qspectra/io/gguf.hpp"

using namespace qspectra;

namespace {

[[noreturn]] void violated(const char* what, const std::string& t) {
  std::fprintf(stderr, "invariant violated: %s in %s\n", what, t.c_str());
  std::abort();
}
#define CHECK(cond, where) \
  do {                     \
    if (!(cond)) violated(#cond, where); \
  } while (0)

void check(const io::GgufHeader& h, std::span<const std::byte> file) {
  CHECK(h.version == 2 || h.version == 3, std::string("header"));
  CHECK(h.alignment > 0 && (h.alignment & (h.alignment - 1)) == 0, std::string("header"));
  CHECK(h.data_offset % h.alignment == 0, std::string("header"));
  for (const auto& kv : h.kv) (void)io::gguf_value_text(kv.value);
  if (h.tensors.empty()) return;
  CHECK(h.data_offset <= file.size(), std::string("header"));
  const uint64_t data_len = file.size() - h.data_offset;
  for (const auto& t : h.tensors) {
    CHECK(!t.ne.empty() && t.ne.size() <= 4, t.name);
    int64_t prod = 1;
    for (int64_t d : t.ne) {
      CHECK(d >= 0, t.name);
      if (d != 0) {
        CHECK(prod <= std::numeric_limits<int64_t>::max() / d, t.name);
        prod *= d;
      }
    }
    CHECK(t.offset <= data_len && t.nbytes <= data_len - t.offset, t.name);
  }
  for (const auto& ti : io::gguf_tensor_infos(h)) {
    CHECK(ti.data_begin <= ti.data_end && ti.data_end <= data_len, ti.name);
    if (!ti.readable()) continue;
    std::vector<const io::GgufTensor*> g;
    for (const auto& t : h.tensors)
      if (t.name == ti.name) g.push_back(&t);
    CHECK(g.size() == 1, ti.name);
    const auto* info = io::ggml_type_info(g[0]->ggml_type);
    CHECK(info != nullptr, ti.name);
    const auto n = static_cast<std::size_t>(ti.numel());
    CHECK(n / info->block_size * info->type_size == ti.data_end - ti.data_begin, ti.name);
    if (n > (1u << 22)) continue;  // bytes are in the input, but keep each run fast
    std::vector<float> out(n);
    io::ggml_dequantize(g[0]->ggml_type, file.data() + h.data_offset + ti.data_begin, n, out.data());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::span<const std::byte> file(reinterpret_cast<const std::byte*>(data), size);
  io::GgufHeader h;
  try {
    h = io::parse_gguf(file, "fuzz.gguf");
  } catch (const InputError&) {
    return 0;
  }
  check(h, file);
  return 0;
}
