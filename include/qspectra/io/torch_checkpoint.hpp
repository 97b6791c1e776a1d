#pragma once
// PyTorch checkpoints (torch.save's zip format, PyTorch >= 1.6): pytorch_model*.bin, adapter_model*.bin,
// *.pt, *.pth holding a state dict. See docs/torch.md.
//
// Two parts:
//  * parse_state_dict_pickle: a restricted unpickler for the archive's data.pkl. Pure C++ on a byte
//    buffer (always built, no LibTorch; the fuzz target). It executes nothing: the only globals it
//    accepts are collections.OrderedDict, torch._utils._rebuild_tensor_v2 / _rebuild_tensor /
//    _rebuild_parameter, torch.jit._pickle.restore_type_tag (an identity, in LibTorch's pickle_save
//    output) and the torch.*Storage classes named by persistent ids; any other global and
//    every object-building opcode (NEWOBJ, INST, OBJ, EXT*, PERSID, ...) is refused with an InputError.
//  * open_checkpoint: the tensor source ModelDir uses for those files. Needs the LibTorch build
//    (QSPECTRA_WITH_TORCH): the zip is opened with caffe2::serialize::PyTorchStreamReader, the file is
//    memory-mapped, and each tensor is a LibTorch view (dtype, shape, strides, offset) of its storage
//    record, copied once into float64. Without LibTorch it throws the "need the LibTorch build" error.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "qspectra/io/dtype.hpp"
#include "qspectra/io/model_dir.hpp"

namespace qspectra::io::torch {

// One tensor of a state dict, as data.pkl describes it.
struct PickledTensor {
  std::string name;              // dotted key: nested dicts (and lists) flattened, e.g. "model.layers.0.mlp.up_proj.weight"
  std::string storage_key;       // its storage is the archive record data/<storage_key>
  DType dtype = DType::F32;      // from the storage class (torch.FloatStorage -> F32, ...)
  std::vector<int64_t> shape;
  std::vector<int64_t> strides;  // in elements
  int64_t storage_offset = 0;    // in elements
  int64_t storage_numel = 0;     // elements of the whole storage (from its persistent id)
  std::string location;          // "cpu", "cuda:0", ... (bytes are read on the CPU whatever it says)

  int64_t numel() const;
  bool contiguous() const;       // row-major dense (strides of a C-order array; size-1 dims ignored)
};

struct StateDictPickle {
  std::vector<PickledTensor> tensors;  // sorted by name (bytewise), names unique
  std::vector<std::string> skipped;    // dotted names of non-tensor leaves ("epoch", "config.lr"), first 100
  std::size_t skipped_count = 0;       // all of them
};

// Parse a data.pkl (pickle protocol 2..5 opcodes, as torch.save and torch::pickle_save write them).
// The top-level object must be a dict (dict or OrderedDict); nested dicts/lists/tuples are flattened
// into dotted names, tensors are kept, other leaves (ints, strings, None...) go to `skipped`.
// Validated: every opcode's operands inside the buffer; UTF-8 strings; storage persistent ids
// ('storage', torch.XStorage, key, location, numel) with a safe key and a consistent dtype/numel;
// tensor shape/strides/offset non-negative, overflow-checked and inside the storage; unique names;
// bounded nesting (64) and name length (4096). Throws InputError("<label>", "data.pkl: ...").
// Memory is bounded whatever the input: data.pkl may have at most kMaxPickleBytes bytes and create at
// most kMaxPickleObjects objects and memo entries (~100 bytes each; a state dict needs ~12 a tensor).
inline constexpr std::size_t kMaxPickleBytes = std::size_t{64} << 20;
inline constexpr std::size_t kMaxPickleObjects = std::size_t{1} << 20;
StateDictPickle parse_state_dict_pickle(std::span<const std::byte> pickle, const std::string& label);

// True when this build reads PyTorch checkpoints (configured with LibTorch).
bool checkpoints_supported();

// The message ModelDir gives for a PyTorch file in a build without LibTorch.
inline constexpr const char* kNeedLibTorch =
    "PyTorch checkpoints need the LibTorch build (configure with -DQSPECTRA_WITH_TORCH=ON; Debian: libtorch-dev)";

// Open a torch.save zip checkpoint as a TensorSource (tensors sorted by name). InputError for: a build
// without LibTorch (kNeedLibTorch), a missing/empty/truncated file, a non-zip file (the pre-1.6 pickle
// format is recognised and refused with a hint), a TorchScript archive, a big-endian archive, any
// refusal of parse_state_dict_pickle, a missing, compressed or too short storage record.
std::shared_ptr<const TensorSource> open_checkpoint(const std::string& path);

}  // namespace qspectra::io::torch
