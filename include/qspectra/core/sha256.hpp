#pragma once
// SHA-256 (FIPS 180-4), for the input-file hashes the apps report and for bit-exact test checks.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace qspectra {

class Sha256 {
public:
  Sha256();
  void update(const void* data, std::size_t size);
  void update(std::span<const std::byte> bytes) { update(bytes.data(), bytes.size()); }
  // Finishes the hash; the object must not be updated afterwards.
  std::array<uint8_t, 32> finish();
  std::string finish_hex();  // lower-case, 64 characters

private:
  void block(const uint8_t* p);
  std::array<uint32_t, 8> h_;
  std::array<uint8_t, 64> buf_{};
  std::size_t buf_len_ = 0;
  uint64_t total_ = 0;
};

std::string sha256_hex(const void* data, std::size_t size);
inline std::string sha256_hex(std::string_view s) { return sha256_hex(s.data(), s.size()); }
// Hash of a whole file, read in chunks. Throws InputError if it cannot be read.
std::string sha256_file_hex(const std::string& path);

}  // namespace qspectra
