// SafetensorsFile: a read-only private mapping; the header is parsed once, data pages are touched
// only when a tensor is read, and can be dropped again with release().
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "qspectra/core/error.hpp"
#include "qspectra/io/safetensors.hpp"

namespace qspectra::io {

std::shared_ptr<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  std::shared_ptr<SafetensorsFile> f(new SafetensorsFile());  // owns the mapping even if parsing throws
  f->path_ = path;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError(path, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw InputError(path, "not a regular file");
  }
  f->size_ = static_cast<uint64_t>(st.st_size);
  if (f->size_ > 0) {  // mmap of length 0 is invalid; an empty file fails in parse_safetensors
    void* p = ::mmap(nullptr, f->size_, PROT_READ, MAP_PRIVATE, fd, 0);
    const int err = errno;
    ::close(fd);
    if (p == MAP_FAILED) throw InputError(path, std::string("cannot map: ") + std::strerror(err));
    f->map_ = static_cast<const std::byte*>(p);
  } else {
    ::close(fd);
  }
  f->header_ = parse_safetensors({f->map_, f->size_}, path);
  return f;
}

SafetensorsFile::~SafetensorsFile() {
  if (map_) ::munmap(const_cast<std::byte*>(map_), size_);
}

const TensorInfo* SafetensorsFile::find(const std::string& name) const {
  const auto& ts = header_.tensors;  // sorted by name
  auto it = std::lower_bound(ts.begin(), ts.end(), name, [](const TensorInfo& t, const std::string& n) { return t.name < n; });
  return (it != ts.end() && it->name == name) ? &*it : nullptr;
}

std::span<const std::byte> SafetensorsFile::raw(const TensorInfo& t) const {
  // Offsets were validated at open, but `t` may come from elsewhere: never trust it past the mapping.
  const uint64_t data_start = 8 + header_.header_len;
  const uint64_t data_len = size_ - data_start;
  if (t.data_begin > t.data_end || t.data_end > data_len)
    throw InputError(path_, t.name + ": data_offsets [" + std::to_string(t.data_begin) + ", " +
                                std::to_string(t.data_end) + "] lie outside the data section");
  return {map_ + data_start + t.data_begin, static_cast<std::size_t>(t.data_end - t.data_begin)};
}

TensorData SafetensorsFile::read(const TensorInfo& t) const {
  if (!dtype_readable(t.dtype)) throw InputError(path_, t.name + ": " + dtype_skip_reason(t.dtype));
  auto bytes = raw(t);
  const auto n = static_cast<std::size_t>(t.numel());
  if (bytes.size() != n * (dtype_bits(t.dtype) / 8))
    throw InputError(path_, t.name + ": byte size does not match shape and dtype");
  TensorData out;
  out.shape = t.shape;
  out.values.resize(n);
  widen_to_double(t.dtype, bytes.data(), n, out.values.data());
  return out;
}

void SafetensorsFile::release(const TensorInfo& t) const {
  auto bytes = raw(t);
  if (bytes.empty()) return;
  // madvise needs a page-aligned start; the pages shared with neighbours are simply re-read if needed.
  static const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<uintptr_t>(bytes.data()) & ~(page - 1);
  const auto end = reinterpret_cast<uintptr_t>(bytes.data() + bytes.size());
  ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);  // advisory: failure is harmless
}

}  // namespace qspectra::io
