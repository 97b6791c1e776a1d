#pragma once
// Runs a built app binary and captures its exit code and output (end-to-end tests).
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace qspectra::testing {

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout + stderr
  std::string stdout_only;
};

inline std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

inline std::string app_path(const std::string& app) { return std::string(QSPECTRA_BIN_DIR) + "/" + app; }

inline std::string read_pipe(const std::string& cmd, int* code) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = ::pclose(p);
  *code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return out;
}

// Run `app` with `args` (each shell-quoted).
inline RunResult run_app(const std::string& app, const std::vector<std::string>& args) {
  std::string cmd = shell_quote(app_path(app));
  for (const auto& a : args) cmd += " " + shell_quote(a);
  RunResult r;
  r.output = read_pipe(cmd + " 2>&1", &r.exit_code);
  return r;
}

// Files (not directories) under `dir`, recursively.
inline std::vector<std::string> files_under(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec))
    if (e.is_regular_file()) out.push_back(e.path().string());
  return out;
}

}  // namespace qspectra::testing
