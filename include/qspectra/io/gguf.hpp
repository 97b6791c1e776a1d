#pragma once
// GGUF (llama.cpp / ggml model files, versions 2 and 3): validated header parsing from a memory buffer
// (so a fuzzer needs no files) and a read-only memory-mapped file that dequantizes one tensor at a time.
// The format is the one of ggml-org/ggml @ d99724f (gguf.cpp); nothing of it is vendored.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "qspectra/core/tensor.hpp"
#include "qspectra/io/mapped_file.hpp"
#include "qspectra/io/safetensors.hpp"

namespace qspectra::io {

// GGUF metadata value types (gguf_type).
enum class GgufType : uint32_t {
  U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, BOOL = 7, STRING = 8, ARRAY = 9,
  U64 = 10, I64 = 11, F64 = 12,
};
std::string_view gguf_type_name(GgufType t);  // "u32", "string", "array", ...

// One metadata value. Scalars are decoded; an array keeps its element type, length and its encoded
// bytes inside the parsed buffer (validated at parse time), decoded on demand by gguf_array_elements:
// a 256k-token vocabulary costs no memory until someone asks for it.
struct GgufValue {
  GgufType type = GgufType::U8;
  uint64_t u = 0;        // U8..U64 and BOOL
  int64_t i = 0;         // I8..I64
  double f = 0;          // F32, F64
  std::string s;         // STRING
  GgufType elem_type = GgufType::U8;   // ARRAY
  uint64_t count = 0;                  // ARRAY: number of elements
  std::span<const std::byte> raw;      // ARRAY: the elements' bytes
};

// Up to `max` elements of an array value (nested arrays stay lazy).
std::vector<GgufValue> gguf_array_elements(const GgufValue& array, std::size_t max);
// A value as short text: numbers, quoted strings, arrays as "[u32 x 5: 1, 2, 3, ...]" (first `max_elems`).
std::string gguf_value_text(const GgufValue& v, std::size_t max_elems = 8);

struct GgufKV {
  std::string key;
  GgufValue value;
};

// The GGML tensor types (ggml_type ids) this reader knows: name, block size and bytes per block.
struct GgmlTypeInfo {
  uint32_t id;
  std::string_view name;   // ggml_type_name, upper case as llama.cpp prints it: "F32", "Q4_K", "IQ4_XS"
  uint32_t block_size;     // elements per block
  uint32_t type_size;      // bytes per block
};
const GgmlTypeInfo* ggml_type_info(uint32_t id);  // nullptr for an unknown or removed id
// True when this build can dequantize the type (reading a tensor of another type is an InputError).
bool ggml_type_readable(uint32_t id);
// Dequantize `n` elements (n a multiple of the block size) of type `id` to float32, as ggml's to_float.
void ggml_dequantize(uint32_t id, const std::byte* src, std::size_t n, float* dst);

struct GgufTensor {
  std::string name;
  uint32_t ggml_type = 0;
  std::vector<int64_t> ne;    // as stored: ne[0] is the row length
  uint64_t offset = 0;        // relative to the data section
  uint64_t nbytes = 0;        // 0 when the type is unknown
};

struct GgufHeader {
  uint32_t version = 0;
  uint64_t alignment = 32;
  uint64_t data_offset = 0;   // absolute start of the data section
  std::vector<GgufKV> kv;     // file order
  std::vector<GgufTensor> tensors;  // file order
  const GgufKV* find(std::string_view key) const;
  // An integer KV (any integer type) or nullopt.
  std::optional<int64_t> find_int(std::string_view key) const;
};

// Limits on what a header may declare (real models stay far below; each is checked before allocating).
// Memory stays bounded whatever the file: ~300 bytes per tensor, ~200 per KV, decoded strings at most
// kGgufMaxStringBytes in all (arrays are not decoded).
inline constexpr uint64_t kGgufMaxTensors = 1u << 17;
inline constexpr uint64_t kGgufMaxKV = 1u << 16;
inline constexpr uint64_t kGgufMaxName = 1u << 16;          // a key or tensor name, bytes
inline constexpr uint64_t kGgufMaxString = 64u << 20;       // one string value (an embedded tokenizer.json), bytes
inline constexpr uint64_t kGgufMaxStringBytes = 64u << 20;  // all decoded keys, names and string values
inline constexpr uint32_t kGgufMaxArrayDepth = 8;

// Parse and validate the whole file image: magic, version 2 or 3, counts and lengths bounded by the
// limits above and by the bytes left, unique keys and tensor names, general.alignment a u32 power of
// two, 1..4 dims >= 0 with an overflow-checked product divisible by the block size, offsets aligned and
// every tensor of a known type inside the data section without overlap. Throws InputError("<label>", ...).
GgufHeader parse_gguf(std::span<const std::byte> file, const std::string& label);

// The tensors as TensorInfo: shape reversed to [out, in] (rows first), dtype F32 (what read gives),
// stored_type the GGML type name, skip_reason set for types this build cannot dequantize.
std::vector<TensorInfo> gguf_tensor_infos(const GgufHeader& h);

// A GGUF file mapped read-only; tensor data is touched only when read.
class GgufFile {
public:
  static std::shared_ptr<GgufFile> open(const std::string& path);
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  const std::string& path() const { return path_; }
  uint64_t file_size() const { return file_.size(); }
  const GgufHeader& header() const { return header_; }
  const std::vector<TensorInfo>& tensors() const { return infos_; }  // sorted by name
  std::span<const std::byte> raw(const TensorInfo& t) const;
  // Dequantized to float32 as ggml does, then widened to float64 (F64 tensors directly).
  TensorData read(const TensorInfo& t) const;
  void release(const TensorInfo& t) const;
  // llama.cpp's convert permutes the rows of a llama model's attn_q (by head_count) and attn_k (by
  // head_count_kv); read() undoes that for blk.N.attn_q/attn_k.weight so a tensor lines up with its
  // Hugging Face source (singular values are unchanged). Set from the file's own llama.* metadata at
  // open; ModelDir sets it on every part of a split model from the first part.
  void set_llama_heads(int64_t n_head, int64_t n_head_kv) { n_head_ = n_head, n_head_kv_ = n_head_kv; }

private:
  GgufFile() = default;
  std::string path_;
  MappedFile file_;
  GgufHeader header_;
  std::vector<TensorInfo> infos_;
  int64_t n_head_ = 0, n_head_kv_ = 0;  // 0: no permutation to undo
};

// (n_head, n_head_kv) of a llama-architecture header whose attn_q/attn_k rows llama.cpp permuted, or
// nullopt (another architecture, or head counts missing / given per layer).
std::optional<std::pair<int64_t, int64_t>> gguf_llama_heads(const GgufHeader& h);
// Undo llama.cpp's permute(W, n_head) on the rows of a [rows, cols] row-major tensor:
// HF row h*d + j*d/2 + i  <-  GGUF row h*d + 2*i + j  (d = rows / n_head). False if rows % (2 n_head) != 0.
bool unpermute_llama_rows(TensorData& t, int64_t n_head);

// llama.cpp tensor names <-> Hugging Face (llama-style) names, for --delta-from between a GGUF model and
// its float source: "blk.3.attn_q.weight" <-> "model.layers.3.self_attn.q_proj.weight",
// "token_embd.weight" <-> "model.embed_tokens.weight", "output.weight" <-> "lm_head.weight", ...
std::optional<std::string> gguf_to_hf_name(std::string_view gguf_name);
std::optional<std::string> hf_to_gguf_name(std::string_view hf_name);

// llama.cpp split naming "<prefix>-00001-of-00003.gguf": (index 1-based, count), or nullopt.
struct GgufSplitName {
  std::string prefix;
  int index = 0;
  int count = 0;
};
std::optional<GgufSplitName> parse_gguf_split_name(std::string_view file_name);
std::string gguf_split_file_name(const std::string& prefix, int index, int count);

}  // namespace qspectra::io
