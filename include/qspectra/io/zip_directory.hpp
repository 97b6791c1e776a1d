#pragma once
// The directory of a zip archive whose records are all stored (not compressed), as torch.save writes
// them, read from the bytes alone and checked before any zip library sees the file: a record that
// would be inflated (a zip bomb: 1 MB on disk, 1 GiB in memory), or whose local header disagrees with
// the central directory (the one zip readers trust), is refused here.
//
// Layout read (APPNOTE 6.3): [local header 30 B + name + extra][data] ... [central directory: one
// 46 B header + name + extra + comment per record] [zip64 end record + locator]? [end record 22 B + comment].
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace qspectra::io {

struct ZipRecord {
  std::string name;          // as stored, e.g. "archive/data.pkl"
  uint64_t data_offset = 0;  // file offset of the record's bytes
  uint64_t size = 0;         // bytes in the file (compressed size)
  uint64_t method = 0;       // 0 stored, 8 deflated, ...
};

// Every record of the archive, in central-directory order. Throws InputError(label, ...) when there is
// no end record (not a zip, or truncated), a record is encrypted, its local header does not match its
// central entry (name, method, sizes), its data runs past the end of the file, or a name occurs twice.
// Memory: one ZipRecord per record; the record count is bounded by the directory size.
std::vector<ZipRecord> read_zip_directory(std::span<const std::byte> file, const std::string& label);

// Throws InputError(label, ...) naming the first record that is not stored (compressed), or whose
// stored sizes disagree.
void require_stored(std::span<const ZipRecord> records, const std::string& label);

// read_zip_directory + require_stored.
std::vector<ZipRecord> read_stored_zip_directory(std::span<const std::byte> file, const std::string& label);

}  // namespace qspectra::io
