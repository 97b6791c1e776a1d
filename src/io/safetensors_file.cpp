// SafetensorsFile: a read-only private mapping; the header is parsed once, data pages are touched
// only when a tensor is read, and can be dropped again with release().

#include <algorithm>

#include "qspectra/core/error.hpp"
#include "qspectra/io/safetensors.hpp"

namespace qspectra::io {

std::shared_ptr<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  std::shared_ptr<SafetensorsFile> f(new SafetensorsFile());
  f->path_ = path;
  f->file_ = MappedFile(path);  // an empty file fails in parse_safetensors
  f->header_ = parse_safetensors(f->file_.bytes(), path);
  return f;
}

const TensorInfo* SafetensorsFile::find(const std::string& name) const {
  const auto& ts = header_.tensors;  // sorted by name
  auto it = std::lower_bound(ts.begin(), ts.end(), name, [](const TensorInfo& t, const std::string& n) { return t.name < n; });
  return (it != ts.end() && it->name == name) ? &*it : nullptr;
}

std::span<const std::byte> SafetensorsFile::raw(const TensorInfo& t) const {
  // Offsets were validated at open, but `t` may come from elsewhere: never trust it past the mapping.
  const uint64_t data_start = 8 + header_.header_len;
  const uint64_t data_len = file_.size() - data_start;
  if (t.data_begin > t.data_end || t.data_end > data_len)
    throw InputError(path_, t.name + ": data_offsets [" + std::to_string(t.data_begin) + ", " +
                                std::to_string(t.data_end) + "] lie outside the data section");
  return {file_.data() + data_start + t.data_begin, static_cast<std::size_t>(t.data_end - t.data_begin)};
}

std::span<const std::byte> SafetensorsFile::mapped_bytes(const TensorInfo& t) const {
  if (!dtype_readable(t.dtype)) throw InputError(path_, t.name + ": " + dtype_skip_reason(t.dtype));
  auto bytes = raw(t);
  if (bytes.size() != static_cast<std::size_t>(t.numel()) * (dtype_bits(t.dtype) / 8))
    throw InputError(path_, t.name + ": byte size does not match shape and dtype");
  return bytes;
}

TensorData SafetensorsFile::read(const TensorInfo& t) const {
  auto bytes = mapped_bytes(t);
  const auto n = static_cast<std::size_t>(t.numel());
  TensorData out;
  out.shape = t.shape;
  out.values.resize(n);
  MappedFile::guarded_read(path_, [&] { widen_to_double(t.dtype, bytes.data(), n, out.values.data()); });
  return out;
}

void SafetensorsFile::release(const TensorInfo& t) const { MappedFile::release(raw(t)); }

}  // namespace qspectra::io
