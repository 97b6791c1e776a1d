#include "qspectra/report/output_dir.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "qspectra/core/error.hpp"
#include "qspectra/core/sha256.hpp"
#include "qspectra/pipeline/analyze.hpp"
#include "qspectra/report/atomic_file.hpp"

namespace qspectra::report {
namespace {

std::atomic<int> g_phase{static_cast<int>(CommitPhase::None)};

void set_phase(CommitPhase p) { g_phase.store(static_cast<int>(p)); }

std::string errno_text(int err) { return std::strerror(err); }

// A relative '/'-separated path of plain components that stays inside the directory and is not one of
// the directory's own bookkeeping files.
bool valid_relpath(const std::string& rel) {
  if (rel.empty() || rel.front() == '/' || rel.back() == '/') return false;
  if (rel.rfind(".qspectra-", 0) == 0) return false;
  std::size_t p = 0;
  while (p <= rel.size()) {
    std::size_t q = rel.find('/', p);
    if (q == std::string::npos) q = rel.size();
    const std::string part = rel.substr(p, q - p);
    if (part.empty() || part == "." || part == ".." || part.find('\0') != std::string::npos) return false;
    p = q + 1;
  }
  return true;
}

// The parent directories of `rel` inside the out-dir, outermost first ("plots/a/x.svg" -> plots, plots/a).
std::vector<std::string> parent_dirs(const std::string& rel) {
  std::vector<std::string> out;
  for (std::size_t q = rel.find('/'); q != std::string::npos; q = rel.find('/', q + 1)) out.push_back(rel.substr(0, q));
  return out;
}

bool is_real_dir(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

class FdGuard {
public:
  explicit FdGuard(int fd) : fd_(fd) {}
  ~FdGuard() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  int get() const { return fd_; }

private:
  int fd_;
};

std::string manifest_text(const Manifest& m) {
  nlohmann::ordered_json j;
  j["manifest_version"] = kManifestVersion;
  j["complete"] = m.complete;
  j["tool"] = m.tool;
  j["tool_version"] = m.tool_version;
  j["written_utc"] = m.written_utc;
  auto files = nlohmann::ordered_json::array();
  for (const auto& e : m.files) files.push_back({{"path", e.path}, {"bytes", e.bytes}, {"sha256", e.sha256}});
  j["files"] = std::move(files);
  if (!m.complete) j["stale"] = m.stale;
  return j.dump(2) + "\n";
}

}  // namespace

CommitPhase commit_phase() noexcept { return static_cast<CommitPhase>(g_phase.load()); }

std::optional<Manifest> read_manifest(const std::string& dir) {
  std::ifstream in(dir + "/" + kManifestFile, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  const auto j = nlohmann::json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("files") || !j["files"].is_array()) return std::nullopt;
  Manifest m;
  auto str = [&](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string(); };
  m.complete = j.contains("complete") && j["complete"].is_boolean() && j["complete"].get<bool>();
  m.tool = str("tool");
  m.tool_version = str("tool_version");
  m.written_utc = str("written_utc");
  for (const auto& f : j["files"]) {
    if (!f.is_object() || !f.contains("path") || !f["path"].is_string()) continue;
    Manifest::Entry e;
    e.path = f["path"].get<std::string>();
    if (!valid_relpath(e.path)) continue;  // never act on a path outside the directory
    if (f.contains("bytes") && f["bytes"].is_number_integer()) e.bytes = f["bytes"].get<long long>();
    if (f.contains("sha256") && f["sha256"].is_string()) e.sha256 = f["sha256"].get<std::string>();
    m.files.push_back(std::move(e));
  }
  if (j.contains("stale") && j["stale"].is_array())
    for (const auto& s : j["stale"])
      if (s.is_string() && valid_relpath(s.get<std::string>())) m.stale.push_back(s.get<std::string>());
  return m;
}

OutputDir::OutputDir(std::string dir) : dir_(std::move(dir)) {
  while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
  if (dir_.empty()) dir_ = ".";
}

void OutputDir::add(const std::string& relpath, std::string content) {
  if (!valid_relpath(relpath)) throw InternalError("output file name '" + relpath + "' is not a plain relative path");
  for (const auto& f : files_)
    if (f.first == relpath) throw InternalError("output file '" + relpath + "' added twice");
  files_.emplace_back(relpath, std::move(content));
}

void OutputDir::add_path(const std::string& path, std::string content) {
  const std::string prefix = dir_ == "/" ? dir_ : dir_ + "/";
  if (path.rfind(prefix, 0) != 0) throw InternalError("output file '" + path + "' is not inside " + dir_);
  add(path.substr(prefix.size()), std::move(content));
}

std::vector<std::string> OutputDir::paths() const {
  std::vector<std::string> out;
  for (const auto& f : files_) out.push_back(dir_ + "/" + f.first);
  return out;
}

CommitResult OutputDir::commit(const CommitOptions& o) {
  CommitResult res;
  if (files_.empty()) return res;
  auto cancelled = [&] { return o.cancel && o.cancel->load(); };
  auto full = [&](const std::string& rel) { return dir_ + "/" + rel; };

  // 1. The directory, and which directories this commit created (removed again if it fails early).
  std::vector<std::string> created;  // innermost first
  {
    struct stat st {};
    if (::stat(dir_.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) throw InputError(dir_, "output directory exists and is not a directory");
    } else {
      std::string p = dir_;
      while (!p.empty() && p != "/" && p != "." && ::stat(p.c_str(), &st) != 0) {
        created.push_back(p);
        const auto slash = p.find_last_of('/');
        p = slash == std::string::npos ? std::string() : p.substr(0, slash);
      }
      for (auto it = created.rbegin(); it != created.rend(); ++it)
        if (::mkdir(it->c_str(), 0755) != 0 && errno != EEXIST) {
          const int err = errno;
          for (const auto& d : created) ::rmdir(d.c_str());  // innermost first; absent ones fail harmlessly
          throw InputError(dir_, "cannot create output directory: " + errno_text(err));
        }
      if (::stat(dir_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        throw InputError(dir_, "cannot create output directory");
    }
  }
  const std::string lock_path = full(kLockFile);
  std::vector<std::string> created_subdirs;  // inside the out-dir, outermost first
  std::vector<TempFile> temps;
  // Undo everything of an early failure (nothing replaced yet): temps, created directories.
  auto undo = [&] {
    temps.clear();
    for (auto it = created_subdirs.rbegin(); it != created_subdirs.rend(); ++it) ::rmdir(full(*it).c_str());
    if (!created.empty()) {
      ::unlink(lock_path.c_str());
      for (const auto& d : created) ::rmdir(d.c_str());
    }
    set_phase(CommitPhase::None);
  };

  // 2. The lock: one commit at a time per directory. Polled, so that a cancel is seen while waiting.
  FdGuard lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (lock.get() < 0) {
    const int err = errno;
    undo();
    throw InputError(lock_path, "cannot open the output directory's lock file: " + errno_text(err));
  }
  while (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK) {
      const int err = errno;
      undo();
      throw InputError(lock_path, "cannot lock the output directory: " + errno_text(err));
    }
    if (!res.waited_for_lock && o.on_wait)
      o.on_wait("another run is writing to " + dir_ + " (it holds " + lock_path + "); waiting for it to finish");
    res.waited_for_lock = true;
    if (cancelled()) {
      undo();
      throw pipeline::Cancelled();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }

  // 3. Every file as a new temp file; subdirectories as needed (never through a symlink).
  set_phase(CommitPhase::Writing);
  Manifest next;
  next.complete = false;
  next.tool = o.tool;
  next.tool_version = o.tool_version;
  next.written_utc = utc_now();
  try {
    for (const auto& [rel, content] : files_) {
      for (const auto& sub : parent_dirs(rel)) {
        const std::string p = full(sub);
        if (::mkdir(p.c_str(), 0755) == 0) {
          created_subdirs.push_back(sub);
        } else if (errno != EEXIST || !is_real_dir(p)) {
          throw InputError(p, errno == EEXIST ? "exists and is not a directory" : "cannot create directory: " + errno_text(errno));
        }
      }
      struct stat st {};
      if (::lstat(full(rel).c_str(), &st) == 0 && S_ISDIR(st.st_mode))
        throw InputError(full(rel), "cannot replace output file: it is a directory");
      temps.push_back(TempFile::write(full(rel), content));
      next.files.push_back({rel, static_cast<long long>(content.size()), sha256_hex(content)});
      if (cancelled()) throw pipeline::Cancelled();
    }
  } catch (...) {
    undo();
    throw;
  }

  // The files an earlier run owns here (its manifest, complete or not) that this run does not write.
  std::set<std::string> ours;
  for (const auto& e : next.files) ours.insert(e.path);
  if (const auto old = read_manifest(dir_)) {
    std::set<std::string> seen;
    auto consider = [&](const std::string& rel) {
      if (!ours.count(rel) && seen.insert(rel).second) next.stale.push_back(rel);
    };
    for (const auto& e : old->files) consider(e.path);
    for (const auto& s : old->stale) consider(s);
  }

  // 4. The point of no return: the manifest says the directory is being replaced.
  try {
    TempFile m = TempFile::write(full(kManifestFile), manifest_text(next));
    set_phase(CommitPhase::Replacing);
    m.rename_into_place();
  } catch (...) {
    undo();
    throw;
  }
  // 5. Every file into place. A failure from here on leaves the incomplete manifest: the truth.
  for (auto& t : temps) t.rename_into_place();
  temps.clear();
  for (const auto& e : next.files) res.written.push_back(full(e.path));

  // 6. The earlier run's files this run did not write: regular files only, never through a symlinked
  //    directory; then the subdirectories that leaves empty (rmdir removes only empty ones).
  std::set<std::string, std::greater<>> emptied;  // deepest first
  for (const auto& rel : next.stale) {
    bool safe = true;
    for (const auto& sub : parent_dirs(rel)) safe = safe && is_real_dir(full(sub));
    if (!safe) continue;
    struct stat st {};
    if (::lstat(full(rel).c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::unlink(full(rel).c_str()) == 0)
      res.removed.push_back(full(rel));
    for (const auto& sub : parent_dirs(rel)) emptied.insert(sub);
  }
  for (const auto& sub : emptied) ::rmdir(full(sub).c_str());

  // 7. The commit: the final manifest.
  next.complete = true;
  next.stale.clear();
  TempFile m = TempFile::write(full(kManifestFile), manifest_text(next));
  m.rename_into_place();
  set_phase(CommitPhase::Committed);
  return res;
}

}  // namespace qspectra::report
