#pragma once
// safetensors: validated header parsing (from a memory buffer, so a fuzzer needs no files) and a
// read-only memory-mapped file that hands out one tensor at a time.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "qspectra/core/tensor.hpp"
#include "qspectra/io/dtype.hpp"
#include "qspectra/io/mapped_file.hpp"

namespace qspectra::io {

struct TensorInfo {
  std::string name;               // the key, e.g. "model.layers.0.mlp.down_proj.weight"
  DType dtype;
  std::vector<int64_t> shape;
  uint64_t data_begin = 0;        // byte offsets relative to the start of the data section
  uint64_t data_end = 0;
  // Formats whose storage is not a safetensors dtype (GGUF) name it here ("Q4_K") and read as `dtype`;
  // empty for safetensors and PyTorch, where `dtype` is the stored type.
  std::string stored_type;
  std::string skip_reason;        // non-empty: why this tensor cannot be read (e.g. a GGML type without dequantizer)
  int64_t numel() const;
  std::string type_name() const;  // stored_type, or dtype_name(dtype)
  bool readable() const;          // no skip_reason and a readable dtype
  std::string unreadable_reason() const;
};

struct SafetensorsHeader {
  uint64_t header_len = 0;                      // the 8-byte length prefix
  std::vector<TensorInfo> tensors;              // sorted by name (as the safetensors library lists keys)
  std::map<std::string, std::string> metadata;  // __metadata__
};

// Parse and validate the whole file image `file` (8-byte length, JSON header, data section) like the
// reference implementation: header length in [2, 100'000'000] and inside the file; UTF-8 JSON object;
// __metadata__ string->string; no duplicate names; known dtype; shape entries non-negative with an
// overflow-checked product; data_offsets sorted, contiguous from 0, end-begin == shape bytes; the data
// section fills the file exactly. Throws InputError("<label>", "<tensor>: <rule>") on any violation.
// Only the header bytes are read, so this is cheap on a memory-mapped file.
SafetensorsHeader parse_safetensors(std::span<const std::byte> file, const std::string& label);

// A safetensors file mapped read-only. Opening parses the header once; tensor data is touched only
// when read_tensor() asks for it.
class SafetensorsFile {
public:
  static std::shared_ptr<SafetensorsFile> open(const std::string& path);
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  uint64_t file_size() const { return file_.size(); }
  const SafetensorsHeader& header() const { return header_; }
  const TensorInfo* find(const std::string& name) const;  // nullptr if absent
  // Raw little-endian bytes of a tensor (inside the mapping).
  std::span<const std::byte> raw(const TensorInfo& t) const;
  // raw(t) checked like read(): InputError for an unreadable dtype or a size that does not match.
  std::span<const std::byte> mapped_bytes(const TensorInfo& t) const;
  // The tensor widened to float64. Throws InputError for unreadable dtypes.
  TensorData read(const TensorInfo& t) const;
  // Tell the kernel we are done with the pages of this tensor (keeps RSS low when streaming).
  void release(const TensorInfo& t) const;

private:
  SafetensorsFile() = default;
  std::string path_;
  MappedFile file_;
  SafetensorsHeader header_;
};

}  // namespace qspectra::io
