#pragma once
// Test helper: a tiny GGUF writer (v2/v3, any metadata value, any tensor type id, custom alignment and
// offsets) for valid files, split models and hostile headers. Header-only so any suite can include it.
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace qspectra::test {

class GgufBytes {
public:
  std::vector<std::byte> b;
  template <class T> GgufBytes& put(T v) {
    const auto* p = reinterpret_cast<const std::byte*>(&v);  // little-endian hosts only, as the reader
    b.insert(b.end(), p, p + sizeof(T));
    return *this;
  }
  GgufBytes& str(const std::string& s) {
    put<uint64_t>(s.size());
    const auto* p = reinterpret_cast<const std::byte*>(s.data());
    b.insert(b.end(), p, p + s.size());
    return *this;
  }
  GgufBytes& raw(const std::vector<std::byte>& x) {
    b.insert(b.end(), x.begin(), x.end());
    return *this;
  }
};

struct GgufTensorSpec {
  std::string name;
  std::vector<int64_t> ne;        // ne[0] = row length
  uint32_t type = 0;              // ggml_type id
  std::vector<std::byte> data;    // stored bytes
  std::optional<uint64_t> offset; // default: the running aligned offset
};

class GgufBuilder {
public:
  uint32_t version = 3;
  uint64_t alignment = 32;        // used for padding; write general.alignment yourself to change the reader's
  std::optional<uint64_t> n_kv_override, n_tensors_override;
  std::vector<GgufTensorSpec> tensors;

  // A KV whose value (type id + encoded bytes) is given raw.
  GgufBuilder& kv(const std::string& key, uint32_t type, const std::vector<std::byte>& value) {
    kv_.str(key).put<uint32_t>(type).raw(value);
    ++n_kv_;
    return *this;
  }
  GgufBuilder& kv_u32(const std::string& key, uint32_t v) { return kv(key, 4, GgufBytes().put(v).b); }
  GgufBuilder& kv_str(const std::string& key, const std::string& v) { return kv(key, 8, GgufBytes().str(v).b); }
  GgufBuilder& tensor(const std::string& name, std::vector<int64_t> ne, uint32_t type, std::vector<std::byte> data) {
    tensors.push_back({name, std::move(ne), type, std::move(data), std::nullopt});
    return *this;
  }

  std::vector<std::byte> build() const {
    GgufBytes out;
    out.raw({std::byte('G'), std::byte('G'), std::byte('U'), std::byte('F')});
    out.put<uint32_t>(version);
    out.put<uint64_t>(n_tensors_override.value_or(tensors.size())).put<uint64_t>(n_kv_override.value_or(n_kv_));
    out.raw(kv_.b);
    uint64_t off = 0;
    std::vector<uint64_t> offsets;
    for (const auto& t : tensors) {
      const uint64_t o = t.offset.value_or(off);
      offsets.push_back(o);
      off = o + t.data.size();
      off += (alignment - off % alignment) % alignment;
      out.str(t.name).put<uint32_t>(static_cast<uint32_t>(t.ne.size()));
      for (auto d : t.ne) out.put<int64_t>(d);
      out.put<uint32_t>(t.type).put<uint64_t>(o);
    }
    pad(out);
    const std::size_t base = out.b.size();
    for (std::size_t k = 0; k < tensors.size(); ++k) {
      if (offsets[k] > (1u << 20)) continue;  // a hostile offset: no data written
      if (out.b.size() < base + offsets[k]) out.b.resize(base + offsets[k]);
      out.raw(tensors[k].data);
    }
    if (!tensors.empty()) pad(out);
    return out.b;
  }

private:
  void pad(GgufBytes& out) const {
    while (out.b.size() % alignment) out.b.push_back(std::byte{0});
  }
  GgufBytes kv_;
  uint64_t n_kv_ = 0;
};

// F32 bytes of `values`.
inline std::vector<std::byte> f32_bytes(const std::vector<float>& values) {
  std::vector<std::byte> b(values.size() * 4);
  std::memcpy(b.data(), values.data(), b.size());
  return b;
}

}  // namespace qspectra::test
