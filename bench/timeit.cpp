// qspectra-timeit: run a command and report its wall time, CPU time, peak RSS and block input from
// wait4()'s rusage (what GNU time -v reports, without needing the `time` package).
//
//   qspectra-timeit [-o FILE] -- CMD [ARGS...]
//
// Writes one shell-sourceable line to FILE (default: stderr):
//   wall_s=12.345 user_s=20.1 sys_s=0.8 max_rss_kb=412345 inblock_bytes=104857600 majflt=1234 rc=0
// max_rss_kb is the child's peak resident set (ru_maxrss), inblock_bytes the file-system input it caused
// (ru_inblock x 512). Exit status: the command's (128 + signal if it was killed).
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
  std::string out;
  int i = 1;
  for (; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-o" && i + 1 < argc) out = argv[++i];
    else if (a == "--") { ++i; break; }
    else break;
  }
  if (i >= argc) {
    std::fputs("usage: qspectra-timeit [-o FILE] -- CMD [ARGS...]\n", stderr);
    return 2;
  }
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) {
    std::perror("qspectra-timeit: fork");
    return 2;
  }
  if (pid == 0) {
    ::execvp(argv[i], argv + i);
    std::fprintf(stderr, "qspectra-timeit: %s: %s\n", argv[i], std::strerror(errno));
    ::_exit(127);
  }
  int status = 0;
  struct rusage ru {};
  while (::wait4(pid, &status, 0, &ru) < 0) {
    if (errno != EINTR) {
      std::perror("qspectra-timeit: wait4");
      return 2;
    }
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  auto secs = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; };
  char line[512];
  std::snprintf(line, sizeof line,
                "wall_s=%.3f user_s=%.3f sys_s=%.3f max_rss_kb=%ld inblock_bytes=%lld majflt=%ld rc=%d\n", wall,
                secs(ru.ru_utime), secs(ru.ru_stime), ru.ru_maxrss, static_cast<long long>(ru.ru_inblock) * 512,
                ru.ru_majflt, rc);
  if (out.empty()) {
    std::fputs(line, stderr);
  } else if (std::FILE* f = std::fopen(out.c_str(), "w")) {
    std::fputs(line, f);
    std::fclose(f);
  } else {
    std::fprintf(stderr, "qspectra-timeit: %s: %s\n", out.c_str(), std::strerror(errno));
  }
  return rc;
}
