#pragma once
// A whole file mapped read-only (private mapping), shared by the safetensors reader and the PyTorch
// checkpoint plugin: pages are read only when touched and can be dropped again with release().
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

namespace qspectra::io {

class MappedFile {
public:
  MappedFile() = default;
  // InputError(path, ...) when the file cannot be opened, is not a regular file or cannot be mapped.
  // An empty file maps nothing: data() is nullptr, size() 0.
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(MappedFile&& o) noexcept;
  MappedFile& operator=(MappedFile&& o) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::byte* data() const { return data_; }
  uint64_t size() const { return size_; }
  std::span<const std::byte> bytes() const { return {data_, static_cast<std::size_t>(size_)}; }

  // Tells the kernel the pages of `range` (inside a mapping) are no longer needed, to keep RSS low
  // when streaming tensors. Advisory: pages shared with neighbours are simply re-read if needed.
  static void release(std::span<const std::byte> range);
  // Tells the kernel the pages of `range` will be needed soon (MADV_WILLNEED: read-ahead while the
  // caller computes). Advisory.
  static void prefetch(std::span<const std::byte> range);
  // Touches every page of `range` under guarded_read: afterwards they are mapped, and a file truncated
  // before this point is an InputError(path, ...) here rather than a SIGBUS in code that cannot take one.
  static void touch(const std::string& path, std::span<const std::byte> range);

  // Runs `read` (which reads pages of a mapping of `path`). If the file shrinks under the mapping (another
  // process truncates it), touching a page past its new end raises SIGBUS: that becomes
  // InputError(path, "... truncated ..."), not a crash. `read` must hold no resources that need
  // destructors (it is left by siglongjmp): a plain copy/convert loop.
  static void guarded_read(const std::string& path, const std::function<void()>& read);

private:
  const std::byte* data_ = nullptr;
  uint64_t size_ = 0;
};

}  // namespace qspectra::io
