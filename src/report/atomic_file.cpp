#include "qspectra/report/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <random>

#include "qspectra/core/error.hpp"

namespace qspectra::report {
namespace {

// Pending temp paths, for a signal handler that unlinks them without allocating: a list whose nodes
// are fully built before they are published and never freed (a handler on another thread may be
// walking it), only marked dead. A run creates a few hundred at most.
struct PendingNode {
  std::unique_ptr<char[]> path;
  std::atomic<bool> live{true};
  PendingNode* next = nullptr;
};
std::atomic<PendingNode*> g_pending{nullptr};

PendingNode* register_pending(const std::string& path) {
  auto* node = new PendingNode;
  node->path = std::make_unique<char[]>(path.size() + 1);
  std::memcpy(node->path.get(), path.c_str(), path.size() + 1);
  node->next = g_pending.load();
  while (!g_pending.compare_exchange_weak(node->next, node)) {
  }
  return node;
}

void unregister_pending(void* node) {
  if (node) static_cast<PendingNode*>(node)->live.store(false);
}

std::string errno_text(int err) { return std::strerror(err); }

// Open a new file next to `target`: <target>.tmp.<pid>, then <target>.tmp.<pid>.<random> while the
// name is taken. O_EXCL|O_NOFOLLOW: an existing file or a planted symlink is never opened.
int create_temp(const std::string& target, std::string& temp) {
  const std::string base = target + ".tmp." + std::to_string(::getpid());
  std::random_device rd;
  for (int attempt = 0; attempt < 100; ++attempt) {
    temp = attempt == 0 ? base : base + "." + std::to_string(rd() % 1000000u);
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  errno = EEXIST;
  return -1;
}

}  // namespace

TempFile TempFile::write(const std::string& target, std::string_view content) {
  TempFile t;
  t.target_ = target;
  const int fd = create_temp(target, t.temp_);
  if (fd < 0) throw InputError(target, "cannot write output file: " + errno_text(errno));
  t.registration_ = register_pending(t.temp_);
  const char* data = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      throw InputError(target, "cannot write output file: " + errno_text(err));  // ~TempFile removes it
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) throw InputError(target, "cannot write output file: " + errno_text(errno));
  return t;
}

TempFile::TempFile(TempFile&& o) noexcept
    : target_(std::move(o.target_)), temp_(std::move(o.temp_)), registration_(o.registration_) {
  o.temp_.clear();
  o.registration_ = nullptr;
}

TempFile& TempFile::operator=(TempFile&& o) noexcept {
  if (this != &o) {
    discard();
    target_ = std::move(o.target_);
    temp_ = std::move(o.temp_);
    registration_ = o.registration_;
    o.temp_.clear();
    o.registration_ = nullptr;
  }
  return *this;
}

TempFile::~TempFile() { discard(); }

void TempFile::discard() noexcept {
  if (!temp_.empty()) ::unlink(temp_.c_str());
  unregister_pending(registration_);
  registration_ = nullptr;
  temp_.clear();
}

void TempFile::rename_into_place() {
  if (::rename(temp_.c_str(), target_.c_str()) != 0) {
    const int err = errno;
    discard();
    throw InputError(target_, "cannot replace output file: " + errno_text(err));
  }
  unregister_pending(registration_);
  registration_ = nullptr;
  temp_.clear();
}

void remove_pending_temp_files_signal_safe() noexcept {
  for (PendingNode* n = g_pending.load(); n; n = n->next)
    if (n->live.load()) ::unlink(n->path.get());
}

}  // namespace qspectra::report
