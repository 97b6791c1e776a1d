// GGML tensor types of a GGUF file, as views of the one element-type table (types/element_type.hpp):
// ids ggml removed or added after d99724f are unknown there, and their tensors are skipped, never the file.
#include <array>
#include <cctype>
#include <mutex>
#include <vector>

#include "qspectra/core/error.hpp"
#include "qspectra/io/gguf.hpp"
#include "qspectra/types/element_type.hpp"

namespace qspectra::io {
namespace {

struct Entry {
  GgmlTypeInfo info;
  std::string upper;  // llama.cpp prints type names in upper case ("Q4_K", "IQ4_XS")
};

// Every GGML row of the types table, built once; ids fit in a small array.
const std::vector<Entry>& entries() {
  static const std::vector<Entry> e = [] {
    std::vector<Entry> out(64);
    for (const auto& t : types::all_types()) {
      if (t.ggml_id < 0 || t.ggml_id >= 64) continue;
      auto& x = out[static_cast<std::size_t>(t.ggml_id)];
      for (char c : t.ggml_name) x.upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      x.info = {static_cast<uint32_t>(t.ggml_id), {}, t.block_size, t.block_bytes};
    }
    for (auto& x : out) x.info.name = x.upper;
    return out;
  }();
  return e;
}

}  // namespace

const GgmlTypeInfo* ggml_type_info(uint32_t id) {
  const auto& e = entries();
  return id < e.size() && e[id].info.block_size != 0 ? &e[id].info : nullptr;
}

bool ggml_type_readable(uint32_t id) {
  const auto* t = types::find_by_ggml_id(id);
  return t && t->readable();
}

void ggml_dequantize(uint32_t id, const std::byte* src, std::size_t n, float* dst) {
  const auto* t = types::find_by_ggml_id(id);
  if (!t || !t->readable() || n % t->block_size != 0) throw InternalError("ggml_dequantize: bad type or length");
  t->to_float(src, dst, n);
}

}  // namespace qspectra::io
