#include "qspectra/io/zip_directory.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "qspectra/core/error.hpp"

namespace qspectra::io {
namespace {

// A zip archive written byte by byte (CRCs left 0: the directory reader does not check them).
struct ZipEntry {
  std::string name, data;
  uint16_t method = 0, local_method = 0, flags = 0;
  uint32_t central_uncomp = 0xFFFFFFFEu;  // 0xFFFFFFFE: the data's size
  uint32_t local_uncomp = 0xFFFFFFFEu;
};

void put(std::string& b, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) b += static_cast<char>((v >> (8 * i)) & 0xFF);
}

std::string build_zip(const std::vector<ZipEntry>& entries) {
  std::string b, cd;
  for (const auto& e : entries) {
    const uint64_t local = b.size();
    const uint32_t size = static_cast<uint32_t>(e.data.size());
    put(b, 0x04034b50, 4), put(b, 20, 2), put(b, e.flags, 2), put(b, e.local_method, 2), put(b, 0, 4), put(b, 0, 4);
    put(b, size, 4), put(b, e.local_uncomp == 0xFFFFFFFEu ? size : e.local_uncomp, 4);
    put(b, e.name.size(), 2), put(b, 0, 2);
    b += e.name + e.data;
    put(cd, 0x02014b50, 4), put(cd, 20, 2), put(cd, 20, 2), put(cd, e.flags, 2), put(cd, e.method, 2), put(cd, 0, 4);
    put(cd, 0, 4), put(cd, size, 4), put(cd, e.central_uncomp == 0xFFFFFFFEu ? size : e.central_uncomp, 4);
    put(cd, e.name.size(), 2), put(cd, 0, 2), put(cd, 0, 2), put(cd, 0, 2), put(cd, 0, 2), put(cd, 0, 4);
    put(cd, local, 4);
    cd += e.name;
  }
  const uint64_t cd_offset = b.size();
  b += cd;
  put(b, 0x06054b50, 4), put(b, 0, 2), put(b, 0, 2), put(b, entries.size(), 2), put(b, entries.size(), 2);
  put(b, cd.size(), 4), put(b, cd_offset, 4), put(b, 0, 2);
  return b;
}

std::span<const std::byte> bytes(const std::string& s) { return {reinterpret_cast<const std::byte*>(s.data()), s.size()}; }

void expect_error(const std::string& zip, const std::string& part) {
  try {
    read_stored_zip_directory(bytes(zip), "m.bin");
    ADD_FAILURE() << "accepted; expected " << part;
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).rfind("m.bin: ", 0), 0u) << e.what();
  }
}

TEST(ZipDirectory, ReadsStoredRecords) {
  const std::string zip = build_zip({{"archive/data.pkl", "PICKLE"}, {"archive/version", "3\n"}});
  const auto records = read_stored_zip_directory(bytes(zip), "m.bin");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].name, "archive/data.pkl");
  EXPECT_EQ(zip.substr(records[0].data_offset, records[0].size), "PICKLE");
  EXPECT_EQ(zip.substr(records[1].data_offset, records[1].size), "3\n");
}

TEST(ZipDirectory, AZipBombIsRefusedBeforeAnythingIsInflated) {
  // A 1 GiB `version` record deflated to a few bytes: the central directory (what zip readers trust)
  // says method 8 and 1 GiB.
  ZipEntry bomb{"archive/version", std::string(16, 'x')};
  bomb.method = 8, bomb.local_method = 8, bomb.central_uncomp = 1u << 30, bomb.local_uncomp = 1u << 30;
  expect_error(build_zip({{"archive/data.pkl", "P"}, bomb}), "zip record archive/version is compressed (zip method 8)");
  // The local header says stored, the central directory deflated: the central one decides.
  ZipEntry central_only{"archive/version", "3\n"};
  central_only.method = 8;
  expect_error(build_zip({central_only}), "zip method 0 in its local header, 8 in the central directory");
  // ... and the other way round.
  ZipEntry local_only{"archive/version", "3\n"};
  local_only.local_method = 8;
  expect_error(build_zip({local_only}), "zip method 8 in its local header, 0 in the central directory");
  ZipEntry sizes{"archive/version", "3\n"};
  sizes.central_uncomp = 1u << 30;
  expect_error(build_zip({sizes}), "stored sizes disagree");
  ZipEntry local_sizes{"archive/version", "3\n"};
  local_sizes.local_uncomp = 1u << 30;
  expect_error(build_zip({local_sizes}), "local header sizes (1073741824) disagree with the central directory (2)");
}

TEST(ZipDirectory, DataDescriptorRecordsTakeTheCentralSizes) {
  ZipEntry e{"archive/data/0", "abcd"};
  e.flags = 8, e.local_uncomp = 0;
  std::string zip = build_zip({e});
  zip[18] = zip[19] = zip[20] = zip[21] = 0;  // local compressed size 0 too, as PyTorchStreamWriter writes
  const auto r = read_stored_zip_directory(bytes(zip), "m.bin");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].size, 4u);
}

TEST(ZipDirectory, MalformedArchives) {
  expect_error("", "too short");
  expect_error(std::string(100, 'x'), "no zip end-of-central-directory record");
  const std::string good = build_zip({{"a", "1"}, {"b", "2"}});
  expect_error(good.substr(0, good.size() - 1), "no zip end-of-central-directory record");  // truncated
  expect_error(build_zip({{"a", "1"}, {"a", "2"}}), "zip record a occurs twice");
  ZipEntry enc{"a", "1"};
  enc.flags = 1;
  expect_error(build_zip({enc}), "is encrypted");
  // The end record claims more records than its directory can hold.
  std::string many = good;
  many[many.size() - 22 + 10] = static_cast<char>(0xFF);
  many[many.size() - 22 + 8] = static_cast<char>(0xFF);
  expect_error(many, "do not fit a central directory");
  // A local header offset past the end.
  std::string far = good;
  const std::size_t cd = good.size() - 22 - 2 * (46 + 1);
  far[cd + 42 + 3] = 0x7F;
  expect_error(far, "no local header at offset");
  // A record name that is a control-character mess is escaped in the message.
  ZipEntry ugly{std::string("a\nb", 3), "1"};
  ugly.method = 8, ugly.local_method = 8;
  expect_error(build_zip({ugly}), "zip record a\\nb is compressed");
  // Every single-byte corruption: an InputError or a valid directory, never a crash.
  for (std::size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0xA5);
    try {
      read_stored_zip_directory(bytes(bad), "m.bin");
    } catch (const InputError&) {
    }
  }
}

}  // namespace
}  // namespace qspectra::io
