// qspectra-drop-cache: evict files from the page cache (so the next read comes from the disk and shows in
// /proc/self/io read_bytes) and report how much of each was resident before and after.
//
//   qspectra-drop-cache FILE|DIR...     (a DIR: its regular files, not recursive)
//   qspectra-drop-cache --check FILE... (only report residency)
//
// Per file: fdatasync (dirty pages cannot be dropped), posix_fadvise(POSIX_FADV_DONTNEED) over the whole
// file, residency measured with mincore() on a read-only mapping (the mapping touches no page). Needs no
// privilege, only read access. Pages still mapped by another process stay resident; the report shows it.
// Exit status 0 when every file is below 1% resident afterwards, 1 otherwise (or on an error).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace {

// Resident bytes of the file (page granularity), or -1 on error.
long long resident_bytes(int fd, off_t size) {
  if (size == 0) return 0;
  void* p = ::mmap(nullptr, static_cast<size_t>(size), PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return -1;
  const long page = ::sysconf(_SC_PAGESIZE);
  const size_t pages = (static_cast<size_t>(size) + page - 1) / page;
  std::vector<unsigned char> vec(pages);
  long long res = -1;
  if (::mincore(p, static_cast<size_t>(size), vec.data()) == 0) {
    res = 0;
    for (auto v : vec) res += (v & 1) ? page : 0;
  }
  ::munmap(p, static_cast<size_t>(size));
  return res;
}

double mb(long long b) { return static_cast<double>(b) / 1e6; }

}  // namespace

int main(int argc, char** argv) {
  bool check_only = false;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--check") {
      check_only = true;
    } else if (a == "--help" || a == "-h") {
      std::puts("usage: qspectra-drop-cache [--check] FILE|DIR...\n"
                "Evicts the files from the page cache (fdatasync + posix_fadvise DONTNEED) and prints the\n"
                "resident size before and after; --check only prints it.");
      return 0;
    } else if (std::filesystem::is_directory(a)) {
      for (const auto& e : std::filesystem::directory_iterator(a))
        if (e.is_regular_file()) files.push_back(e.path().string());
    } else {
      files.push_back(a);
    }
  }
  if (files.empty()) {
    std::fputs("qspectra-drop-cache: no file given (see --help)\n", stderr);
    return 2;
  }
  int status = 0;
  for (const auto& f : files) {
    const int fd = ::open(f.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0) {
      std::fprintf(stderr, "qspectra-drop-cache: %s: %s\n", f.c_str(), std::strerror(errno));
      if (fd >= 0) ::close(fd);
      status = 1;
      continue;
    }
    const long long before = resident_bytes(fd, st.st_size);
    long long after = before;
    if (!check_only) {
      ::fdatasync(fd);  // harmless on a read-only descriptor; dirty pages would not be dropped
      const int rc = ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
      if (rc != 0) std::fprintf(stderr, "qspectra-drop-cache: %s: posix_fadvise: %s\n", f.c_str(), std::strerror(rc));
      after = resident_bytes(fd, st.st_size);
    }
    ::close(fd);
    if (check_only)
      std::printf("%s: %.1f of %.1f MB resident\n", f.c_str(), mb(before), mb(st.st_size));
    else
      std::printf("%s: %.1f -> %.1f of %.1f MB resident\n", f.c_str(), mb(before), mb(after), mb(st.st_size));
    if (!check_only && st.st_size > 0 && after * 100 > static_cast<long long>(st.st_size)) status = 1;
  }
  return status;
}
