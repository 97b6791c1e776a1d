#pragma once
// Outputs are written to a temporary file beside the target and renamed into place, so an existing
// file is only replaced by a complete one and an interrupted run leaves nothing half-written.
#include <string>
#include <vector>

namespace qspectra::report {

// Write `content` to `path` atomically. Throws InputError naming the path on failure.
void write_file_atomic(const std::string& path, const std::string& content);

// Write several files; either all are written, or none of the targets is touched where avoidable
// (all temp files are written first, then renamed one after another).
void write_files_atomic(const std::vector<std::pair<std::string, std::string>>& files);

// Remove every temporary file still open (async-signal-safe: for a SIGINT/SIGTERM handler).
void remove_pending_temp_files_signal_safe() noexcept;

}  // namespace qspectra::report
