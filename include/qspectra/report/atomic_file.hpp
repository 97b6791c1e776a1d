#pragma once
// Outputs are written to a new temporary file beside the target and renamed into place, so an
// existing file is only replaced by a complete one and an interrupted run leaves nothing half-written.
// A temp file is always a new file: it is created with O_CREAT|O_EXCL|O_NOFOLLOW (never an existing
// path, never through a symlink someone planted under that name), named <target>.tmp.<pid>, or
// <target>.tmp.<pid>.<n> when that name is taken. Whole runs are committed by report::OutputDir.
#include <string>
#include <string_view>

namespace qspectra::report {

// A complete temporary file for `target`, not yet renamed into place. Move-only; the destructor
// removes the temp file unless rename_into_place() succeeded.
class TempFile {
public:
  // Create the temp file in target's directory and write `content`. Throws InputError naming target.
  static TempFile write(const std::string& target, std::string_view content);
  TempFile(TempFile&& other) noexcept;
  TempFile& operator=(TempFile&& other) noexcept;
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile();

  const std::string& target() const { return target_; }
  const std::string& temp_path() const { return temp_; }
  // rename(2) over the target. Throws InputError naming the target (the temp file is then removed).
  void rename_into_place();
  void discard() noexcept;

private:
  TempFile() = default;
  std::string target_, temp_;
  void* registration_ = nullptr;  // entry in the signal-safe list of pending temp files
};

// Remove every temporary file still pending (async-signal-safe: for a SIGINT/SIGTERM handler).
void remove_pending_temp_files_signal_safe() noexcept;

}  // namespace qspectra::report
