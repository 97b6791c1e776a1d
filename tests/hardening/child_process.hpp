#pragma once
// Start a built app as a child process with its stderr on a pipe we control (small buffer, read
// line by line), so a test can wait for a given line, signal the child, and collect its exit code.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace qspectra::testing {

class ChildProcess {
public:
  // argv[0] is the program path. stdout goes to /dev/null; stderr to a pipe of `pipe_bytes` (the
  // kernel rounds it up to a page): a child that logs faster than we read blocks in write(2).
  ChildProcess(const std::vector<std::string>& argv, int pipe_bytes = 4096) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    ::fcntl(fds[0], F_SETPIPE_SZ, pipe_bytes);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDERR_FILENO);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int rc = ::posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(fds[1]);
    if (rc != 0) {
      ::close(fds[0]);
      throw std::runtime_error("posix_spawn " + argv[0] + " failed");
    }
    err_fd_ = fds[0];
  }
  ~ChildProcess() {
    if (pid_ > 0 && exit_code_ < 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (err_fd_ >= 0) ::close(err_fd_);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Read stderr until a line containing `needle` is complete; false at EOF. Reads no further than
  // that line's end (byte by byte), so the child stays blocked on a full pipe afterwards.
  bool wait_for_line(const std::string& needle) {
    std::string line;
    char c;
    while (::read(err_fd_, &c, 1) == 1) {
      stderr_ += c;
      if (c != '\n') {
        line += c;
        continue;
      }
      if (line.find(needle) != std::string::npos) return true;
      line.clear();
    }
    return false;
  }

  void signal(int sig) { ::kill(pid_, sig); }

  // Drain stderr to EOF and reap the child: its exit code, or 128 + signal number.
  int wait() {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(err_fd_, buf, sizeof buf)) > 0) stderr_.append(buf, static_cast<std::size_t>(n));
    int status = 0;
    struct rusage usage {};
    ::wait4(pid_, &status, 0, &usage);
    max_rss_kb_ = usage.ru_maxrss;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return exit_code_;
  }

  const std::string& stderr_text() const { return stderr_; }
  pid_t pid() const { return pid_; }
  // The child's peak resident set (getrusage's ru_maxrss, from wait4), after wait().
  long max_rss_kb() const { return max_rss_kb_; }

private:
  pid_t pid_ = -1;
  int err_fd_ = -1;
  int exit_code_ = -1;
  long max_rss_kb_ = 0;
  std::string stderr_;
};

}  // namespace qspectra::testing
