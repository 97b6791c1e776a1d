// libFuzzer harness: io::read_zip_directory (the zip directory of a PyTorch checkpoint, checked before
// LibTorch reads the archive). A rejected input must be an InputError; every accepted record must lie
// inside the file with a unique name.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <span>

#include "qspectra/core/error.hpp"
#include "qspectra/io/zip_directory.hpp"

using namespace qspectra;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  std::vector<io::ZipRecord> records;
  try {
    records = io::read_zip_directory({reinterpret_cast<const std::byte*>(data), size}, "fuzz.bin");
  } catch (const InputError&) {
    return 0;
  }
  std::set<std::string> names;
  for (const auto& r : records) {
    if (r.data_offset > size || r.size > size - r.data_offset) {
      std::fprintf(stderr, "invariant violated: record %s outside the file\n", r.name.c_str());
      std::abort();
    }
    if (!names.insert(r.name).second) {
      std::fprintf(stderr, "invariant violated: record %s twice\n", r.name.c_str());
      std::abort();
    }
  }
  return 0;
}
