// The LibTorch plugin libqspectra_io_torch.so (QSPECTRA_WITH_TORCH build), dlopen'ed by loader.cpp the
// first time a PyTorch file is opened, so that binaries that never read one neither load LibTorch (and
// its ~280 shared libraries: ~1 s and ~160 MB RSS at start-up) nor depend on it being installed.
// It holds its own copies of state_dict_pickle.cpp, io/dtype.cpp and io/mapped_file.cpp and exports one
// C entry point.
//
// The zip archive is opened with
// caffe2::serialize::PyTorchStreamReader over a read-only mapping of the file, data.pkl goes through our
// restricted unpickler (state_dict_pickle.cpp; LibTorch's own unpickler is never run), and each tensor
// is a LibTorch view (dtype, shape, strides, storage offset) of its storage record inside the mapping,
// copied once, strided and converted, into the float64 TensorData. Nothing is read until a tensor is
// asked for, and release() drops its pages again: memory stays at one tensor (plus page cache).
#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>

#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/from_blob.h>
#include <c10/util/Exception.h>
#include <caffe2/serialize/inline_container.h>
#include <caffe2/serialize/read_adapter_interface.h>

#include "qspectra/core/error.hpp"
#include "qspectra/core/printable.hpp"
#include "qspectra/io/mapped_file.hpp"
#include "qspectra/io/torch_checkpoint.hpp"
#include "qspectra/io/zip_directory.hpp"

namespace qspectra::io::torch {
namespace {

// The first line of a LibTorch error, without its C++ backtrace.
std::string torch_message(const c10::Error& e) {
  std::string m = e.what_without_backtrace();
  if (auto nl = m.find('\n'); nl != std::string::npos) m.resize(nl);
  return m;
}

std::optional<at::ScalarType> scalar_type(DType dt) {
  switch (dt) {
    case DType::F64: return at::kDouble;
    case DType::F32: return at::kFloat;
    case DType::F16: return at::kHalf;
    case DType::BF16: return at::kBFloat16;
    case DType::I64: return at::kLong;
    case DType::I32: return at::kInt;
    case DType::I16: return at::kShort;
    case DType::I8: return at::kChar;
    case DType::U8: return at::kByte;
    case DType::BOOL: return at::kByte;  // read as bytes, then nonzero -> 1 (a stored 2 is no valid C++ bool)
    default: return std::nullopt;        // float8, uint16..64: not in LibTorch 1.13, widened by io/dtype
  }
}

// LibTorch reads the archive from our mapping (no second file handle, no read past the end).
class SpanReadAdapter final : public caffe2::serialize::ReadAdapterInterface {
public:
  explicit SpanReadAdapter(std::span<const std::byte> s) : s_(s) {}
  size_t size() const override { return s_.size(); }
  size_t read(uint64_t pos, void* buf, size_t n, const char* /*what*/) const override {
    if (pos >= s_.size()) return 0;
    n = static_cast<size_t>(std::min<uint64_t>(n, s_.size() - pos));
    std::memcpy(buf, s_.data() + pos, n);
    return n;
  }

private:
  std::span<const std::byte> s_;
};

// A small record (data.pkl, byteorder), copied out by LibTorch: every record was checked to be stored,
// so nothing is inflated.
std::string small_record(caffe2::serialize::PyTorchStreamReader& reader, const std::string& name) {
  auto [ptr, n] = reader.getRecord(name);
  return std::string(static_cast<const char*>(ptr.get()), n);
}

struct Entry {
  PickledTensor t;
  uint64_t storage_begin = 0;  // file offset of the storage record's data
  uint64_t storage_bytes = 0;
};

class CheckpointFile final : public TensorSource {
public:
  static std::shared_ptr<const CheckpointFile> open(const std::string& path);
  CheckpointFile(const CheckpointFile&) = delete;
  CheckpointFile& operator=(const CheckpointFile&) = delete;

  const std::string& path() const override { return path_; }
  uint64_t file_size() const override { return file_.size(); }
  const std::vector<TensorInfo>& tensors() const override { return infos_; }
  TensorData read(const TensorInfo& t) const override;
  void release(const TensorInfo& t) const override;

private:
  CheckpointFile() = default;
  const Entry& entry(const TensorInfo& t) const {
    auto it = std::lower_bound(infos_.begin(), infos_.end(), t.name,
                               [](const TensorInfo& a, const std::string& n) { return a.name < n; });
    if (it == infos_.end() || it->name != t.name) throw InputError(path_, t.name + ": not in this checkpoint");
    return entries_[static_cast<std::size_t>(it - infos_.begin())];
  }
  void load(std::span<const std::byte> file);

  std::string path_;
  MappedFile file_;
  std::vector<TensorInfo> infos_;  // sorted by name
  std::vector<Entry> entries_;     // parallel to infos_
};

std::shared_ptr<const CheckpointFile> CheckpointFile::open(const std::string& path) {
  std::shared_ptr<CheckpointFile> f(new CheckpointFile());  // owns the mapping even if parsing throws
  f->path_ = path;
  f->file_ = MappedFile(path);
  if (f->file_.size() == 0) throw InputError(path, "empty file (not a PyTorch checkpoint)");
  f->load(f->file_.bytes());
  return f;
}

void CheckpointFile::load(std::span<const std::byte> file) {
  const auto starts = [&](std::string_view magic) {
    return file.size() >= magic.size() && std::memcmp(file.data(), magic.data(), magic.size()) == 0;
  };
  if (!starts("PK\x03\x04")) {
    // torch.save before PyTorch 1.6 (or with _use_new_zipfile_serialization=False) wrote a sequence of
    // pickles starting with the magic number 0x1950a86a20f9469cfc6c as a LONG1.
    if (starts("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"))
      throw InputError(path_, "legacy torch.save format (PyTorch < 1.6, or _use_new_zipfile_serialization=False) "
                              "is not supported: re-save it with a current torch.save, or convert it to safetensors");
    throw InputError(path_, "not a PyTorch checkpoint (torch.save writes a zip archive; this file has no zip signature)");
  }

  // Every record's headers and sizes are checked from the bytes before LibTorch sees the archive:
  // it would inflate a compressed record (a zip bomb) and parse `version` with stoull.
  const auto records = read_zip_directory(file, path_);
  for (const auto& r : records)  // a TorchScript archive holds deflated records: say what it is first
    if (r.name.ends_with("/constants.pkl"))
      throw InputError(path_, "a TorchScript archive (torch.jit.save), not a torch.save state dict");
  require_stored(records, path_);
  for (const auto& r : records) {
    const auto ends_with = [&](std::string_view s) { return r.name.size() >= s.size() && r.name.ends_with(s); };
    if (ends_with("/data.pkl") && r.size > kMaxPickleBytes)
      throw InputError(path_, "zip record " + printable(r.name, 200) + " is " + std::to_string(r.size) +
                                  " bytes; the limit is " + std::to_string(kMaxPickleBytes));
    if (ends_with("/version")) {
      const std::string_view v(reinterpret_cast<const char*>(file.data() + r.data_offset), static_cast<std::size_t>(r.size));
      const std::string_view digits = v.substr(0, v.find_last_not_of('\n') + 1);
      if (digits.empty() || digits.size() > 18 || digits.find_first_not_of("0123456789") != std::string_view::npos)
        throw InputError(path_, "zip record " + printable(r.name, 200) + " is not a format version number");
    }
  }

  std::map<uint64_t, uint64_t> record_size_at;  // data offset -> bytes, of every record
  for (const auto& r : records) record_size_at[r.data_offset] = r.size;

  std::map<std::string, std::pair<uint64_t, uint64_t>> storages;  // key -> (data offset, bytes)
  StateDictPickle sd;
  try {
    caffe2::serialize::PyTorchStreamReader reader(std::make_shared<SpanReadAdapter>(file));
    if (reader.hasRecord("constants.pkl"))  // TorchScript modules pickle __torch__.* classes
      throw InputError(path_, "a TorchScript archive (torch.jit.save), not a torch.save state dict");
    if (!reader.hasRecord("data.pkl")) throw InputError(path_, "zip archive without data.pkl: not a torch.save checkpoint");
    if (reader.hasRecord("byteorder")) {
      std::string order = small_record(reader, "byteorder");
      if (order.size() > 16) order.resize(16);
      if (order != "little") throw InputError(path_, "byte order '" + order + "' is not supported (little-endian only)");
    }
    const std::string pickle = small_record(reader, "data.pkl");
    sd = parse_state_dict_pickle({reinterpret_cast<const std::byte*>(pickle.data()), pickle.size()}, path_);
    for (const auto& t : sd.tensors) {
      if (storages.count(t.storage_key)) continue;
      const std::string rec = "data/" + t.storage_key;
      if (!reader.hasRecord(rec)) throw InputError(path_, t.name + ": storage record " + rec + " is missing");
      const uint64_t bytes = static_cast<uint64_t>(t.storage_numel) * (dtype_bits(t.dtype) / 8);
      const uint64_t offset = reader.getRecordOffset(rec);
      const auto it = record_size_at.find(offset);  // the directory, checked above, holds its size
      if (it == record_size_at.end())
        throw InputError(path_, t.name + ": storage record " + rec + " is not where the zip directory puts a record");
      if (it->second != bytes)
        throw InputError(path_, t.name + ": storage record " + rec + " does not hold the " + std::to_string(bytes) +
                                    " bytes data.pkl declares (it has " + std::to_string(it->second) + ")");
      storages[t.storage_key] = {offset, bytes};
    }
  } catch (const c10::Error& e) {
    throw InputError(path_, "not a valid PyTorch zip archive (truncated or damaged?): " + torch_message(e));
  }

  for (auto& t : sd.tensors) {
    const auto [offset, bytes] = storages.at(t.storage_key);
    const uint64_t elem = dtype_bits(t.dtype) / 8;
    TensorInfo info;
    info.name = t.name;
    info.dtype = t.dtype;
    info.shape = t.shape;
    // Byte range of the tensor's elements in the file (exact for contiguous tensors).
    info.data_begin = offset + static_cast<uint64_t>(t.storage_offset) * elem;
    info.data_end = info.data_begin + static_cast<uint64_t>(t.numel()) * elem;
    infos_.push_back(std::move(info));
    entries_.push_back({std::move(t), offset, bytes});
  }
}

TensorData CheckpointFile::read(const TensorInfo& info) const {
  const Entry& e = entry(info);
  const PickledTensor& t = e.t;
  if (!dtype_readable(t.dtype)) throw InputError(path_, t.name + ": " + dtype_skip_reason(t.dtype));
  TensorData out;
  out.shape = t.shape;
  const int64_t n = t.numel();
  out.values.resize(static_cast<std::size_t>(n));
  if (n == 0) return out;
  const std::byte* storage = file_.data() + e.storage_begin;
  if (const auto st = scalar_type(t.dtype)) {
    // LibTorch's parallel_for would start its own thread team inside each of the pipeline's workers.
    static std::once_flag single_threaded;
    std::call_once(single_threaded, [] { at::set_num_threads(1); });
    try {
      // A view of the mapped storage (never written: copy_ only reads its source), copied strided and
      // converted straight into our buffer: no intermediate contiguous or float64 tensor.
      const at::Tensor src = at::from_blob(const_cast<std::byte*>(storage), {t.storage_numel}, at::TensorOptions().dtype(*st))
                                 .as_strided(t.shape, t.strides, t.storage_offset);
      at::Tensor dst = at::from_blob(out.values.data(), t.shape, at::TensorOptions().dtype(at::kDouble));
      MappedFile::guarded_read(path_, [&] { dst.copy_(src); });
    } catch (const c10::Error& err) {
      throw InputError(path_, t.name + ": " + torch_message(err));
    }
    if (t.dtype == DType::BOOL)
      for (double& v : out.values) v = v != 0 ? 1.0 : 0.0;
  } else if (t.contiguous()) {
    MappedFile::guarded_read(path_, [&] {
      widen_to_double(t.dtype, storage + static_cast<std::size_t>(t.storage_offset) * (dtype_bits(t.dtype) / 8),
                      static_cast<std::size_t>(n), out.values.data());
    });
  } else {
    throw InputError(path_, t.name + ": non-contiguous " + std::string(dtype_name(t.dtype)) + " tensors are not supported");
  }
  return out;
}

void CheckpointFile::release(const TensorInfo& info) const {
  const Entry& e = entry(info);
  MappedFile::release({file_.data() + e.storage_begin, static_cast<std::size_t>(e.storage_bytes)});
}

}  // namespace
}  // namespace qspectra::io::torch

// The plugin's entry points (see loader.cpp). Exceptions (InputError) propagate to the caller.
extern "C" __attribute__((visibility("default"))) int qspectra_torch_plugin_abi() { return 1; }
extern "C" __attribute__((visibility("default"))) void qspectra_torch_plugin_open(
    const std::string& path, std::shared_ptr<const qspectra::io::TensorSource>& out) {
  out = qspectra::io::torch::CheckpointFile::open(path);
}
