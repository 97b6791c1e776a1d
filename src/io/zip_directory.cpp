#include "qspectra/io/zip_directory.hpp"

#include <algorithm>
#include <unordered_set>

#include "qspectra/core/error.hpp"
#include "qspectra/core/printable.hpp"

namespace qspectra::io {
namespace {

constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEndSig = 0x06054b50;
constexpr uint32_t kEnd64Sig = 0x06064b50, kEnd64LocatorSig = 0x07064b50;
constexpr uint64_t kEndSize = 22, kCentralSize = 46, kLocalSize = 30, kEnd64LocatorSize = 20, kEnd64Size = 56;

uint64_t le(std::span<const std::byte> f, uint64_t at, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(f[at + static_cast<uint64_t>(i)]) << (8 * i);
  return v;
}

// The zip64 extended-information extra field (id 1) holds, in this order, the 8-byte values of the
// fields whose 32-bit slot is 0xFFFFFFFF.
void apply_zip64_extra(std::span<const std::byte> f, uint64_t extra, uint64_t extra_len, uint64_t* uncomp,
                       uint64_t* comp, uint64_t* offset, const std::string& label, const std::string& name) {
  for (uint64_t x = extra; x + 4 <= extra + extra_len;) {
    const uint64_t id = le(f, x, 2), len = le(f, x + 2, 2);
    if (x + 4 + len > extra + extra_len) break;
    if (id == 1) {
      uint64_t p = x + 4;
      const uint64_t end = p + len;
      for (uint64_t* v : {uncomp, comp, offset}) {
        if (!v || *v != 0xFFFFFFFFu) continue;
        if (p + 8 > end) throw InputError(label, "zip record " + printable(name, 200) + ": zip64 sizes missing");
        *v = le(f, p, 8);
        p += 8;
      }
      return;
    }
    x += 4 + len;
  }
  for (uint64_t* v : {uncomp, comp, offset})
    if (v && *v == 0xFFFFFFFFu) throw InputError(label, "zip record " + printable(name, 200) + ": zip64 sizes missing");
}

}  // namespace

std::vector<ZipRecord> read_zip_directory(std::span<const std::byte> f, const std::string& label) {
  const uint64_t n = f.size();
  const std::string damaged = "not a valid PyTorch zip archive (truncated or damaged?): ";
  // The end record: its signature within the last 22 + 65535 (comment) bytes.
  if (n < kEndSize) throw InputError(label, damaged + "too short for a zip end record");
  uint64_t end = n - kEndSize + 1;
  const uint64_t lowest = n > kEndSize + 0xFFFF ? n - kEndSize - 0xFFFF : 0;
  bool found = false;
  while (end-- > lowest)
    if (le(f, end, 4) == kEndSig && end + kEndSize + le(f, end + 20, 2) == n) {
      found = true;
      break;
    }
  if (!found) throw InputError(label, damaged + "no zip end-of-central-directory record");
  uint64_t count = le(f, end + 10, 2), cd_size = le(f, end + 12, 4), cd_offset = le(f, end + 16, 4);
  if (count == 0xFFFF || cd_size == 0xFFFFFFFFu || cd_offset == 0xFFFFFFFFu) {
    if (end < kEnd64LocatorSize || le(f, end - kEnd64LocatorSize, 4) != kEnd64LocatorSig)
      throw InputError(label, damaged + "zip64 end locator missing");
    const uint64_t e64 = le(f, end - kEnd64LocatorSize + 8, 8);
    if (e64 > n || n - e64 < kEnd64Size || le(f, e64, 4) != kEnd64Sig)
      throw InputError(label, damaged + "zip64 end record missing");
    count = le(f, e64 + 32, 8), cd_size = le(f, e64 + 40, 8), cd_offset = le(f, e64 + 48, 8);
  }
  if (cd_offset > n || cd_size > n - cd_offset) throw InputError(label, damaged + "central directory outside the file");
  if (count > cd_size / kCentralSize)
    throw InputError(label, damaged + std::to_string(count) + " records do not fit a central directory of " +
                                std::to_string(cd_size) + " bytes");

  std::vector<ZipRecord> out;
  out.reserve(static_cast<std::size_t>(count));
  std::unordered_set<std::string> names;
  uint64_t p = cd_offset;
  const uint64_t cd_end = cd_offset + cd_size;
  for (uint64_t i = 0; i < count; ++i) {
    if (cd_end - p < kCentralSize || le(f, p, 4) != kCentralSig)
      throw InputError(label, damaged + "central directory entry " + std::to_string(i) + " is malformed");
    const uint64_t flags = le(f, p + 8, 2), method = le(f, p + 10, 2);
    uint64_t comp = le(f, p + 20, 4), uncomp = le(f, p + 24, 4);
    const uint64_t name_len = le(f, p + 28, 2), extra_len = le(f, p + 30, 2), comment_len = le(f, p + 32, 2);
    uint64_t local = le(f, p + 42, 4);
    if (cd_end - p - kCentralSize < name_len + extra_len + comment_len)
      throw InputError(label, damaged + "central directory entry " + std::to_string(i) + " runs past the directory");
    ZipRecord r;
    r.name.assign(reinterpret_cast<const char*>(f.data() + p + kCentralSize), static_cast<std::size_t>(name_len));
    const std::string shown = "zip record " + printable(r.name, 200);
    apply_zip64_extra(f, p + kCentralSize + name_len, extra_len, &uncomp, &comp, &local, label, r.name);
    if (flags & 1) throw InputError(label, shown + " is encrypted");
    if (method == 0 && comp != uncomp)
      throw InputError(label, shown + ": stored sizes disagree (" + std::to_string(comp) + " vs " + std::to_string(uncomp) + ")");
    if (!names.insert(r.name).second) throw InputError(label, shown + " occurs twice");

    // The local header must say the same (readers differ in which one they trust).
    if (local > n || n - local < kLocalSize || le(f, local, 4) != kLocalSig)
      throw InputError(label, damaged + shown + ": no local header at offset " + std::to_string(local));
    const uint64_t l_flags = le(f, local + 6, 2), l_method = le(f, local + 8, 2);
    uint64_t l_comp = le(f, local + 18, 4), l_uncomp = le(f, local + 22, 4);
    const uint64_t l_name_len = le(f, local + 26, 2), l_extra_len = le(f, local + 28, 2);
    if (n - local - kLocalSize < l_name_len + l_extra_len)
      throw InputError(label, damaged + shown + ": local header runs past the end of the file");
    if (l_name_len != name_len ||
        !std::equal(f.begin() + static_cast<std::ptrdiff_t>(local + kLocalSize),
                    f.begin() + static_cast<std::ptrdiff_t>(local + kLocalSize + l_name_len),
                    f.begin() + static_cast<std::ptrdiff_t>(p + kCentralSize)))
      throw InputError(label, shown + ": the local header names another record");
    if (l_method != method)
      throw InputError(label, shown + ": zip method " + std::to_string(l_method) + " in its local header, " +
                                  std::to_string(method) + " in the central directory");
    if (l_flags & 1) throw InputError(label, shown + " is encrypted");
    if (!((l_flags & 8) && l_comp == 0 && l_uncomp == 0)) {  // sizes deferred to a data descriptor: the central ones hold
      apply_zip64_extra(f, local + kLocalSize + l_name_len, l_extra_len, &l_uncomp, &l_comp, nullptr, label, r.name);
      if (l_comp != comp || l_uncomp != uncomp)
        throw InputError(label, shown + ": local header sizes (" + std::to_string(l_uncomp) +
                                    ") disagree with the central directory (" + std::to_string(uncomp) + ")");
    }
    r.data_offset = local + kLocalSize + l_name_len + l_extra_len;
    r.size = comp;
    r.method = method;
    if (r.data_offset > n || r.size > n - r.data_offset)
      throw InputError(label, damaged + shown + " runs past the end of the file");
    out.push_back(std::move(r));
    p += kCentralSize + name_len + extra_len + comment_len;
  }
  return out;
}

void require_stored(std::span<const ZipRecord> records, const std::string& label) {
  for (const auto& r : records)
    if (r.method != 0)
      throw InputError(label, "zip record " + printable(r.name, 200) + " is compressed (zip method " + std::to_string(r.method) +
                                  "); torch.save writes stored records: re-save the checkpoint with torch.save");
}

std::vector<ZipRecord> read_stored_zip_directory(std::span<const std::byte> file, const std::string& label) {
  auto records = read_zip_directory(file, label);
  require_stored(records, label);
  return records;
}

}  // namespace qspectra::io
