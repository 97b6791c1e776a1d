#pragma once
// A run's output directory: the files one run of an app writes, committed as one unit.
//
// add() collects files in memory and touches nothing on disk; commit() is the only step that does:
//   1. creates the directory (only now: a run that writes nothing leaves no directory behind);
//   2. takes an exclusive flock(2) on <dir>/.qspectra-lock, waiting while another run commits there
//      (concurrent runs on one out-dir are serialised; the last one to commit owns the directory);
//   3. writes every file to a new temp file beside its target (see TempFile: O_EXCL|O_NOFOLLOW);
//   4. replaces the manifest by one with "complete": false listing this run's files and the earlier
//      run's files it removes (the point of no return: old outputs may be replaced from here on);
//   5. renames every temp file over its target;
//   6. removes the files the earlier run's manifest lists that this run did not write, and the
//      subdirectories (plots/) that leaves empty; never any other file (a user's notes stay);
//   7. writes the final manifest, "complete": true with every file's bytes and sha256: the commit.
// Readers trust the files a manifest with "complete": true lists. Without a manifest (a directory
// written by an older version), nothing is removed.
#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace qspectra::report {

inline constexpr const char* kManifestFile = ".qspectra-manifest.json";
inline constexpr const char* kLockFile = ".qspectra-lock";
inline constexpr int kManifestVersion = 1;

// What a manifest says.
struct Manifest {
  struct Entry {
    std::string path;  // relative to the out-dir, '/'-separated
    long long bytes = -1;
    std::string sha256;
  };
  bool complete = false;
  std::string tool, tool_version, written_utc;
  std::vector<Entry> files;       // the run's files
  std::vector<std::string> stale; // only while "complete" is false: the earlier run's files being removed
};

// The manifest of `dir`, or nullopt when there is none or it cannot be read as one.
std::optional<Manifest> read_manifest(const std::string& dir);

// Where a commit stands; readable from a signal handler.
enum class CommitPhase : int {
  None,       // no commit started: earlier outputs untouched
  Writing,    // temp files being written: earlier outputs untouched
  Replacing,  // outputs being replaced: the directory is incomplete until the manifest says otherwise
  Committed,  // every file and the final manifest are in place
};
CommitPhase commit_phase() noexcept;

struct CommitOptions {
  std::string tool;          // app name, recorded in the manifest
  std::string tool_version;  // recorded in the manifest
  // Called once (before blocking) when another run holds the lock.
  std::function<void(const std::string& message)> on_wait;
  // Checked while waiting for the lock and while writing temp files (before anything is replaced):
  // when set, the commit stops, leaves the directory as it was, and throws pipeline::Cancelled.
  const std::atomic<bool>* cancel = nullptr;
};

struct CommitResult {
  std::vector<std::string> written;  // paths (dir + "/" + relpath) in the order added
  std::vector<std::string> removed;  // the earlier run's files removed
  bool waited_for_lock = false;
};

class OutputDir {
public:
  explicit OutputDir(std::string dir);
  const std::string& path() const { return dir_; }

  // A file of this run: `relpath` is relative to the directory ('/'-separated; subdirectories such as
  // plots/ are created at commit). InternalError for an absolute path, '..', a name starting with
  // ".qspectra-", or a file added twice.
  void add(const std::string& relpath, std::string content);
  // The same with `path` = path() + "/" + relpath.
  void add_path(const std::string& path, std::string content);

  bool empty() const { return files_.empty(); }
  std::vector<std::string> paths() const;  // path() + "/" + relpath, in the order added

  // Commit every added file as one unit (see the top of this file). Without files it does nothing at
  // all (no directory is created). Throws InputError naming the path when the directory or a file
  // cannot be written; before the point of no return the directory is left as it was (a directory
  // this commit created is removed again).
  CommitResult commit(const CommitOptions& options);

private:
  std::string dir_;
  std::vector<std::pair<std::string, std::string>> files_;  // relpath, content
};

}  // namespace qspectra::report
