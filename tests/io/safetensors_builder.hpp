#pragma once
// Test helper: build safetensors images in memory (valid ones, or raw header text for malformed ones)
// and write them into a temporary directory. Header-only so any suite can include it.
#include <bit>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace qspectra::test {

struct StEntry {
  std::string name;
  std::string dtype;                 // spec name, e.g. "F32"
  std::vector<int64_t> shape;
  std::vector<std::byte> bytes;      // little-endian data; size must match shape x dtype for a valid file
};

// Little-endian bytes of a vector of arithmetic values.
template <class T>
std::vector<std::byte> le_bytes(const std::vector<T>& values) {
  std::vector<std::byte> out;
  for (T v : values) {
    using U = std::conditional_t<sizeof(T) == 1, uint8_t, std::conditional_t<sizeof(T) == 2, uint16_t,
              std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>>>;
    const U u = std::bit_cast<U>(v);
    for (std::size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<std::byte>((u >> (8 * i)) & 0xFF));
  }
  return out;
}

// A header entry with explicit offsets (for malformed files).
inline std::string tensor_json(const std::string& name, const std::string& dtype, const std::vector<int64_t>& shape,
                               uint64_t begin, uint64_t end) {
  std::string s = "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "],\"data_offsets\":[" + std::to_string(begin) + "," + std::to_string(end) + "]}";
}

// 8-byte little-endian length + header text + data. `declared_len` overrides the length prefix.
inline std::vector<std::byte> raw_safetensors(std::string_view header, std::span<const std::byte> data = {},
                                              std::optional<uint64_t> declared_len = std::nullopt) {
  std::vector<std::byte> out = le_bytes(std::vector<uint64_t>{declared_len.value_or(header.size())});
  for (char c : header) out.push_back(static_cast<std::byte>(c));
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

// A valid file: data laid out in entry order, header padded with spaces to a multiple of 8 (as the
// reference writer does).
inline std::vector<std::byte> build_safetensors(const std::vector<StEntry>& entries,
                                                const std::map<std::string, std::string>& metadata = {}) {
  std::string header = "{";
  std::vector<std::byte> data;
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [k, v] : metadata) {
      header += (first ? "\"" : ",\"") + k + "\":\"" + v + "\"";
      first = false;
    }
    header += "}";
  }
  for (const auto& e : entries) {
    if (header.size() > 1) header += ",";
    header += tensor_json(e.name, e.dtype, e.shape, data.size(), data.size() + e.bytes.size());
    data.insert(data.end(), e.bytes.begin(), e.bytes.end());
  }
  header += "}";
  while (header.size() % 8) header += ' ';
  return raw_safetensors(header, data);
}

// An F32 entry of the given shape filled with zeros.
inline StEntry zeros_f32(const std::string& name, std::vector<int64_t> shape) {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return {name, "F32", std::move(shape), std::vector<std::byte>(static_cast<std::size_t>(n) * 4)};
}

inline void write_file(const std::filesystem::path& p, std::span<const std::byte> bytes) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}
inline void write_file(const std::filesystem::path& p, std::string_view text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

// A fresh directory under the system temp dir, removed with its contents at scope exit.
class TempDir {
public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("qspectra-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

private:
  std::filesystem::path path_;
};

}  // namespace qspectra::test
