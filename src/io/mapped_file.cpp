#include "qspectra/io/mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csetjmp>
#include <csignal>
#include <cerrno>
#include <mutex>
#include <cstring>
#include <utility>

#include "qspectra/core/error.hpp"

namespace qspectra::io {
namespace {

// The jump target of the guarded read running on this thread (SIGBUS is delivered to the thread that
// touched the page).
thread_local sigjmp_buf* t_bus_jump = nullptr;
struct sigaction g_previous_bus {};

extern "C" void on_sigbus(int sig, siginfo_t* info, void* context) {
  if (sigjmp_buf* jump = t_bus_jump) siglongjmp(*jump, 1);
  // Not one of our reads: behave as before we were installed.
  if (g_previous_bus.sa_flags & SA_SIGINFO) {
    if (g_previous_bus.sa_sigaction) return g_previous_bus.sa_sigaction(sig, info, context);
  } else if (g_previous_bus.sa_handler != SIG_DFL && g_previous_bus.sa_handler != SIG_IGN && g_previous_bus.sa_handler) {
    return g_previous_bus.sa_handler(sig);
  }
  signal(SIGBUS, SIG_DFL);  // the faulting access repeats on return and now terminates
}

void install_sigbus_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, &g_previous_bus);
  });
}

}  // namespace

void MappedFile::guarded_read(const std::string& path, const std::function<void()>& read) {
  install_sigbus_handler();
  sigjmp_buf jump;
  sigjmp_buf* const outer = t_bus_jump;
  if (sigsetjmp(jump, 1) != 0) {
    t_bus_jump = outer;
    throw InputError(path, "the file was truncated or changed while being read (SIGBUS on its mapping)");
  }
  t_bus_jump = &jump;
  try {
    read();
  } catch (...) {
    t_bus_jump = outer;
    throw;
  }
  t_bus_jump = outer;
}

MappedFile::MappedFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError(path, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw InputError(path, "not a regular file");
  }
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size == 0) {  // mmap of length 0 is invalid; the callers say what an empty file means to them
    ::close(fd);
    return;
  }
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int err = errno;
  ::close(fd);
  if (p == MAP_FAILED) throw InputError(path, std::string("cannot map: ") + std::strerror(err));
  data_ = static_cast<const std::byte*>(p);
  size_ = size;
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<std::byte*>(data_), size_);
}

MappedFile::MappedFile(MappedFile&& o) noexcept
    : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& o) noexcept {
  if (this != &o) {
    if (data_) ::munmap(const_cast<std::byte*>(data_), size_);
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
  }
  return *this;
}

void MappedFile::release(std::span<const std::byte> range) {
  if (range.empty()) return;
  // madvise needs a page-aligned start.
  static const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<uintptr_t>(range.data()) & ~(page - 1);
  const auto end = reinterpret_cast<uintptr_t>(range.data() + range.size());
  ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);  // advisory: failure is harmless
}

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22  // Linux 5.14 (older headers lack it; older kernels answer EINVAL)
#endif

namespace {
// [begin, end) of the pages holding `range` (madvise needs a page-aligned start).
std::pair<void*, std::size_t> page_span(std::span<const std::byte> range) {
  static const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<uintptr_t>(range.data()) & ~(page - 1);
  const auto end = reinterpret_cast<uintptr_t>(range.data() + range.size());
  return {reinterpret_cast<void*>(begin), end - begin};
}
}  // namespace

void MappedFile::prefetch(std::span<const std::byte> range) {
  if (range.empty()) return;
  const auto [p, len] = page_span(range);
  ::madvise(p, len, MADV_WILLNEED);  // advisory: failure is harmless
}

void MappedFile::touch(const std::string& path, std::span<const std::byte> range) {
  if (range.empty()) return;
  // Linux >= 5.14: maps every page in one call, and reports a truncated file as EFAULT instead of SIGBUS.
  const auto [p, len] = page_span(range);
  if (::madvise(p, len, MADV_POPULATE_READ) == 0) return;
  if (errno == EFAULT || errno == EIO)
    throw InputError(path, "the file was truncated or changed while being read (pages past its end)");
  static const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  guarded_read(path, [&] {
    volatile unsigned char sink = 0;
    for (std::size_t off = 0; off < range.size(); off += page) sink = sink ^ static_cast<unsigned char>(range[off]);
    sink = sink ^ static_cast<unsigned char>(range[range.size() - 1]);
  });
}

}  // namespace qspectra::io
