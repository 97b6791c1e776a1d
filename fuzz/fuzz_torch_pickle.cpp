// libFuzzer harness: io::torch::parse_state_dict_pickle (the restricted unpickler for the data.pkl of
// a torch.save archive). A rejected input must be an InputError; an accepted state dict must have
// sorted unique names and tensors whose shape, strides and offset stay inside their storage.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "qspectra/core/error.hpp"
#include "qspectra/io/torch_checkpoint.hpp"

using namespace qspectra;

namespace {
[[noreturn]] void violated(const char* what, const std::string& name) {
  std::fprintf(stderr, "invariant violated: %s in tensor %s\n", what, name.c_str());
  std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  io::torch::StateDictPickle sd;
  try {
    sd = io::torch::parse_state_dict_pickle({reinterpret_cast<const std::byte*>(data), size}, "fuzz/data.pkl");
  } catch (const InputError&) {
    return 0;
  }
  for (std::size_t i = 0; i < sd.tensors.size(); ++i) {
    const auto& t = sd.tensors[i];
    if (i > 0 && !(sd.tensors[i - 1].name < t.name)) violated("names sorted and unique", t.name);
    if (t.shape.size() != t.strides.size()) violated("rank of shape == rank of strides", t.name);
    if (t.storage_offset < 0 || t.storage_numel < 0) violated("offset, storage size >= 0", t.name);
    // Largest element index reached: offset + sum (dim-1)*stride, for a non-empty tensor.
    __int128 last = t.storage_offset;
    bool empty = false;
    for (std::size_t k = 0; k < t.shape.size(); ++k) {
      if (t.shape[k] < 0 || t.strides[k] < 0) violated("shape/strides >= 0", t.name);
      if (t.shape[k] == 0) empty = true;
      else last += static_cast<__int128>(t.shape[k] - 1) * t.strides[k];
    }
    if (!empty && last >= t.storage_numel) violated("tensor inside its storage", t.name);
    if (t.numel() < 0) violated("numel >= 0", t.name);
  }
  if (sd.skipped.size() > sd.skipped_count) violated("skipped list <= skipped count", "");
  return 0;
}
