#include "qspectra/report/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "qspectra/core/error.hpp"

namespace qspectra::report {
namespace {

// Temp paths live in fixed static slots so a signal handler can unlink them without allocating.
constexpr std::size_t kSlots = 32;
constexpr std::size_t kPathMax = 4096;
std::array<std::array<char, kPathMax>, kSlots> g_temp_paths{};
std::array<std::atomic<bool>, kSlots> g_slot_used{};
std::mutex g_slot_mutex;

int claim_slot(const std::string& path) {
  if (path.size() >= kPathMax) return -1;
  std::lock_guard lock(g_slot_mutex);
  for (std::size_t i = 0; i < kSlots; ++i) {
    if (!g_slot_used[i].load()) {
      std::memcpy(g_temp_paths[i].data(), path.c_str(), path.size() + 1);
      g_slot_used[i].store(true);
      return static_cast<int>(i);
    }
  }
  return -1;
}

void release_slot(int slot) {
  if (slot >= 0) g_slot_used[static_cast<std::size_t>(slot)].store(false);
}

std::string errno_text() { return std::strerror(errno); }

struct PendingFile {
  std::string target, temp;
  int slot = -1;
};

PendingFile write_temp(const std::string& path, const std::string& content) {
  PendingFile p{path, path + ".tmp." + std::to_string(::getpid()), -1};
  p.slot = claim_slot(p.temp);
  int fd = ::open(p.temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    release_slot(p.slot);
    throw InputError(path, "cannot write output file: " + errno_text());
  }
  const char* data = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::string why = errno_text();
      ::close(fd);
      ::unlink(p.temp.c_str());
      release_slot(p.slot);
      throw InputError(path, "cannot write output file: " + why);
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) {
    std::string why = errno_text();
    ::unlink(p.temp.c_str());
    release_slot(p.slot);
    throw InputError(path, "cannot write output file: " + why);
  }
  return p;
}

void discard(std::vector<PendingFile>& pending) {
  for (auto& p : pending) {
    ::unlink(p.temp.c_str());
    release_slot(p.slot);
  }
}

}  // namespace

void write_file_atomic(const std::string& path, const std::string& content) {
  write_files_atomic({{path, content}});
}

void write_files_atomic(const std::vector<std::pair<std::string, std::string>>& files) {
  std::vector<PendingFile> pending;
  try {
    for (const auto& [path, content] : files) pending.push_back(write_temp(path, content));
  } catch (...) {
    discard(pending);
    throw;
  }
  for (std::size_t i = 0; i < pending.size(); ++i) {
    if (::rename(pending[i].temp.c_str(), pending[i].target.c_str()) != 0) {
      std::string why = errno_text();
      std::vector<PendingFile> rest(pending.begin() + static_cast<std::ptrdiff_t>(i), pending.end());
      discard(rest);
      throw InputError(pending[i].target, "cannot replace output file: " + why);
    }
    release_slot(pending[i].slot);
  }
}

void remove_pending_temp_files_signal_safe() noexcept {
  for (std::size_t i = 0; i < kSlots; ++i)
    if (g_slot_used[i].load()) ::unlink(g_temp_paths[i].data());
}

}  // namespace qspectra::report
