#pragma once
// A model directory as users have them: index + shards, single or sharded model*.safetensors,
// adapter_model*.safetensors (LoRA), any other *.safetensors, or a single file path; the same layouts
// of PyTorch checkpoints (pytorch_model*.bin, adapter_model*.bin, *.pt/*.pth; torch_checkpoint.hpp)
// when the directory has no safetensors; a GGUF model (gguf.hpp): one .gguf file or the parts of one
// llama.cpp split model, dequantized on read.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "qspectra/core/tensor.hpp"
#include "qspectra/io/gguf.hpp"
#include "qspectra/io/safetensors.hpp"

namespace qspectra::io {

enum class ModelLayout { Index, Model, Adapter, OtherSafetensors, SingleFile, OtherTorch, Gguf };
std::string_view layout_name(ModelLayout l);

// One tensor of the model: its info and which file holds it.
struct ModelTensor {
  TensorInfo info;
  std::size_t file_index = 0;   // into ModelDir::files()
};

struct ModelFile {
  std::string path;       // full path
  std::string name;       // file name (as reported in the `file` column)
  uint64_t size = 0;
};

// Parse the JSON of a *.safetensors.index.json: weight_map tensor -> file name, in JSON order.
// Duplicate keys, non-string values, a missing weight_map, and file names with a path separator or
// ".." are InputErrors naming `label`.
std::vector<std::pair<std::string, std::string>> parse_index_json(std::string_view json,
                                                                  const std::string& label);

// One weight file as ModelDir reads it: a safetensors file, or a PyTorch checkpoint
// (io::torch::open_checkpoint). Implementations are safe to read from several threads at once.
class TensorSource {
public:
  virtual ~TensorSource() = default;
  virtual const std::string& path() const = 0;
  virtual uint64_t file_size() const = 0;
  virtual const std::vector<TensorInfo>& tensors() const = 0;  // sorted by name, names unique
  const TensorInfo* find(const std::string& name) const;       // nullptr if absent
  virtual TensorData read(const TensorInfo& t) const = 0;      // widened to float64
  virtual void release(const TensorInfo& t) const = 0;         // drop its pages from RSS
  virtual const GgufFile* gguf() const { return nullptr; }     // the GGUF file, if it is one
  // The tensor's stored little-endian bytes inside a mapping (the raw read path), checked against its
  // shape and dtype; empty when this source has no such view (e.g. a PyTorch checkpoint).
  virtual std::span<const std::byte> mapped_bytes(const TensorInfo&) const { return {}; }
  // Ask the kernel to start reading the tensor's pages (MADV_WILLNEED); advisory, may do nothing.
  virtual void prefetch(const TensorInfo&) const {}
};

class ModelDir {
public:
  // `path` is a directory or a single .safetensors (or .bin/.pt/.pth/.gguf) file. A directory without
  // safetensors that holds .gguf files must hold one model: one file or all parts of one split model;
  // a split part given as the path opens all its parts. Throws InputError on a
  // missing/empty directory, no weight file, a malformed file, an index naming a missing shard or a
  // tensor listed twice, a PyTorch checkpoint in a build without LibTorch.
  static ModelDir open(const std::string& path);

  const std::string& path() const { return path_; }
  ModelLayout layout() const { return layout_; }
  const std::vector<ModelFile>& files() const { return files_; }
  // Every tensor, in the reference order: files sorted by name, keys sorted by name within a file.
  const std::vector<ModelTensor>& tensors() const { return tensors_; }
  // Human-readable notes for the user ("LoRA adapter", "lm_head.weight tied to embed_tokens", ...).
  const std::vector<std::string>& notes() const { return notes_; }
  // config.json's tie_word_embeddings (nullopt when there is no config.json or no such key).
  std::optional<bool> tie_word_embeddings() const { return tie_word_embeddings_; }
  // The GGUF metadata of a GGUF model (its first part), nullptr otherwise.
  const GgufHeader* gguf_header() const;

  TensorData read(const ModelTensor& t) const;           // widened to float64
  void release(const ModelTensor& t) const;              // drop its pages from RSS
  std::span<const std::byte> mapped_bytes(const ModelTensor& t) const;  // see TensorSource
  void prefetch(const ModelTensor& t) const;             // see TensorSource
  // The safetensors file `index`; InputError if that file is a PyTorch checkpoint (see source()).
  const SafetensorsFile& file(std::size_t index) const;
  const TensorSource& source(std::size_t index) const { return *sources_.at(index); }

private:
  std::string path_;
  ModelLayout layout_ = ModelLayout::Model;
  std::vector<ModelFile> files_;
  std::vector<std::shared_ptr<SafetensorsFile>> open_files_;      // nullptr for a PyTorch checkpoint
  std::vector<std::shared_ptr<const TensorSource>> sources_;      // every file, as a tensor source
  std::vector<ModelTensor> tensors_;
  std::vector<std::string> notes_;
  std::optional<bool> tie_word_embeddings_;
};

}  // namespace qspectra::io
