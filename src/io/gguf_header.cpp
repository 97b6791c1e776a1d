// GGUF header parsing: every count, length and offset is checked against the bytes that are left (and
// the limits in gguf.hpp) before anything is allocated, so a hostile header costs bounded time and memory.
#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <limits>
#include <unordered_set>

#include "qspectra/core/error.hpp"
#include "qspectra/io/gguf.hpp"
#include "qspectra/types/element_type.hpp"

namespace qspectra::io {
namespace {

// Bytes one element of a scalar type takes; 0 for STRING/ARRAY (variable) and unknown types.
uint64_t scalar_size(GgufType t) {
  switch (t) {
    case GgufType::U8: case GgufType::I8: case GgufType::BOOL: return 1;
    case GgufType::U16: case GgufType::I16: return 2;
    case GgufType::U32: case GgufType::I32: case GgufType::F32: return 4;
    case GgufType::U64: case GgufType::I64: case GgufType::F64: return 8;
    default: return 0;
  }
}

bool known_type(uint32_t t) { return t <= static_cast<uint32_t>(GgufType::F64); }

class Reader {
public:
  Reader(std::span<const std::byte> buf, const std::string& label) : buf_(buf), label_(label) {}
  uint64_t pos() const { return pos_; }
  uint64_t left() const { return buf_.size() - pos_; }
  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(label_, what + " (at byte " + std::to_string(pos_) + ")");
  }
  void need(uint64_t n, const char* what) const {
    if (n > left()) fail(std::string("truncated header: ") + what + " needs " + std::to_string(n) + " bytes, " +
                         std::to_string(left()) + " left");
  }
  template <class T> T get(const char* what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, buf_.data() + pos_, sizeof(T));  // GGUF is little-endian, as every host we build for
    pos_ += sizeof(T);
    return v;
  }
  std::span<const std::byte> take(uint64_t n, const char* what) {
    need(n, what);
    auto s = buf_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  std::string string(const char* what, uint64_t limit = kGgufMaxString) {
    const auto n = get<uint64_t>(what);
    if (n > limit) fail(std::string(what) + " length " + std::to_string(n) + " exceeds the limit " + std::to_string(limit));
    auto s = take(n, what);
    if (n > string_budget_)
      fail("keys, names and string values exceed " + std::to_string(kGgufMaxStringBytes) + " bytes in all");
    string_budget_ -= n;
    return {reinterpret_cast<const char*>(s.data()), s.size()};
  }
  // Skip one encoded value of type `t`, validating it (used for array elements).
  void skip_value(GgufType t, uint32_t depth) {
    if (t == GgufType::BOOL) {
      (void)value(t);  // checked now: elements are decoded lazily later and must not fail then
    } else if (const auto sz = scalar_size(t)) {
      take(sz, "value");
    } else if (t == GgufType::STRING) {
      const auto n = get<uint64_t>("string length");
      if (n > kGgufMaxString) fail("string length " + std::to_string(n) + " exceeds the limit");
      take(n, "string");
    } else {
      skip_array(depth + 1);
    }
  }
  // An array's header and body; returns the value with its raw bytes.
  GgufValue array(uint32_t depth) {
    if (depth > kGgufMaxArrayDepth) fail("arrays nested deeper than " + std::to_string(kGgufMaxArrayDepth));
    GgufValue v;
    v.type = GgufType::ARRAY;
    const auto et = get<uint32_t>("array element type");
    if (!known_type(et)) fail("unknown array element type " + std::to_string(et));
    v.elem_type = static_cast<GgufType>(et);
    v.count = get<uint64_t>("array length");
    // Each element takes at least its scalar size, 8 bytes (a string length) or 12 (a nested array header).
    const uint64_t min_elem = scalar_size(v.elem_type) ? scalar_size(v.elem_type) : v.elem_type == GgufType::STRING ? 8 : 12;
    if (v.count > left() / min_elem)
      fail("array of " + std::to_string(v.count) + " " + std::string(gguf_type_name(v.elem_type)) +
           " elements does not fit in the " + std::to_string(left()) + " bytes left");
    const uint64_t begin = pos_;
    if (const auto sz = scalar_size(v.elem_type); sz && v.elem_type != GgufType::BOOL) {
      take(v.count * sz, "array");
    } else {
      for (uint64_t k = 0; k < v.count; ++k) skip_value(v.elem_type, depth);
    }
    v.raw = buf_.subspan(begin, pos_ - begin);
    return v;
  }
  void skip_array(uint32_t depth) { array(depth); }

  GgufValue value(GgufType t) {
    GgufValue v;
    v.type = t;
    switch (t) {
      case GgufType::U8: v.u = get<uint8_t>("u8"); break;
      case GgufType::I8: v.i = get<int8_t>("i8"); break;
      case GgufType::U16: v.u = get<uint16_t>("u16"); break;
      case GgufType::I16: v.i = get<int16_t>("i16"); break;
      case GgufType::U32: v.u = get<uint32_t>("u32"); break;
      case GgufType::I32: v.i = get<int32_t>("i32"); break;
      case GgufType::F32: v.f = get<float>("f32"); break;
      case GgufType::BOOL: {
        const auto b = get<uint8_t>("bool");
        if (b > 1) fail("bool value " + std::to_string(b) + " is neither 0 nor 1");
        v.u = b;
        break;
      }
      case GgufType::STRING: v.s = string("string value"); break;
      case GgufType::ARRAY: return array(1);
      case GgufType::U64: v.u = get<uint64_t>("u64"); break;
      case GgufType::I64: v.i = get<int64_t>("i64"); break;
      case GgufType::F64: v.f = get<double>("f64"); break;
    }
    return v;
  }

private:
  std::span<const std::byte> buf_;
  const std::string& label_;
  uint64_t pos_ = 0;
  uint64_t string_budget_ = kGgufMaxStringBytes;
};

}  // namespace

std::string_view gguf_type_name(GgufType t) {
  switch (t) {
    case GgufType::U8: return "u8";
    case GgufType::I8: return "i8";
    case GgufType::U16: return "u16";
    case GgufType::I16: return "i16";
    case GgufType::U32: return "u32";
    case GgufType::I32: return "i32";
    case GgufType::F32: return "f32";
    case GgufType::BOOL: return "bool";
    case GgufType::STRING: return "string";
    case GgufType::ARRAY: return "array";
    case GgufType::U64: return "u64";
    case GgufType::I64: return "i64";
    case GgufType::F64: return "f64";
  }
  return "?";
}

std::vector<GgufValue> gguf_array_elements(const GgufValue& array, std::size_t max) {
  std::vector<GgufValue> out;
  if (array.type != GgufType::ARRAY) return out;
  // The bytes were validated by parse_gguf; re-reading them cannot run past `raw`.
  static const std::string label = "gguf array";
  Reader r(array.raw, label);
  const uint64_t n = std::min<uint64_t>(array.count, max);
  out.reserve(n);
  for (uint64_t k = 0; k < n; ++k) out.push_back(array.elem_type == GgufType::ARRAY ? r.array(1) : r.value(array.elem_type));
  return out;
}

std::string gguf_value_text(const GgufValue& v, std::size_t max_elems) {
  switch (v.type) {
    case GgufType::U8: case GgufType::U16: case GgufType::U32: case GgufType::U64: return std::to_string(v.u);
    case GgufType::I8: case GgufType::I16: case GgufType::I32: case GgufType::I64: return std::to_string(v.i);
    case GgufType::F32: case GgufType::F64: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.9g", v.f);
      return buf;
    }
    case GgufType::BOOL: return v.u ? "true" : "false";
    case GgufType::STRING: {
      std::string s = "\"";
      for (char c : v.s.substr(0, 200)) s += (static_cast<unsigned char>(c) < 0x20) ? '?' : c;  // keep one line
      s.append(v.s.size() > 200 ? "...\"" : "\"");
      return s;
    }
    case GgufType::ARRAY: {
      std::string s = "[";
      s.append(gguf_type_name(v.elem_type)).append(" x ").append(std::to_string(v.count));
      const auto elems = gguf_array_elements(v, max_elems);
      // Nested arrays show fewer elements per level, so the text stays short at any depth.
      for (std::size_t k = 0; k < elems.size(); ++k) s.append(k == 0 ? ": " : ", ").append(gguf_value_text(elems[k], max_elems / 4));
      s.append(v.count > elems.size() ? ", ...]" : "]");
      return s;
    }
  }
  return "?";
}

const GgufKV* GgufHeader::find(std::string_view key) const {
  for (const auto& kv : this->kv)
    if (kv.key == key) return &kv;
  return nullptr;
}

std::optional<int64_t> GgufHeader::find_int(std::string_view key) const {
  const auto* kv = find(key);
  if (!kv) return std::nullopt;
  switch (kv->value.type) {
    case GgufType::U8: case GgufType::U16: case GgufType::U32: return static_cast<int64_t>(kv->value.u);
    case GgufType::U64:
      if (kv->value.u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
      return static_cast<int64_t>(kv->value.u);
    case GgufType::I8: case GgufType::I16: case GgufType::I32: case GgufType::I64: return kv->value.i;
    default: return std::nullopt;
  }
}

GgufHeader parse_gguf(std::span<const std::byte> file, const std::string& label) {
  Reader r(file, label);
  GgufHeader h;
  if (file.size() < 4 || std::memcmp(file.data(), "GGUF", 4) != 0) throw InputError(label, "not a GGUF file (no GGUF magic)");
  r.take(4, "magic");
  h.version = r.get<uint32_t>("version");
  if (h.version == 1) throw InputError(label, "GGUF version 1 is not supported (versions 2 and 3 are)");
  if (h.version != 2 && h.version != 3)
    throw InputError(label, "unsupported GGUF version " + std::to_string(h.version) + " (versions 2 and 3 are read)");
  const auto n_tensors = r.get<uint64_t>("tensor count");
  const auto n_kv = r.get<uint64_t>("metadata count");
  if (n_tensors > kGgufMaxTensors)
    throw InputError(label, "tensor count " + std::to_string(n_tensors) + " exceeds the limit " + std::to_string(kGgufMaxTensors));
  if (n_kv > kGgufMaxKV)
    throw InputError(label, "metadata count " + std::to_string(n_kv) + " exceeds the limit " + std::to_string(kGgufMaxKV));
  // Minimum encoded sizes: a KV is 8 (key length) + 4 (type) + 1; a tensor info 8 + 4 + 4 + 8.
  if (n_kv > r.left() / 13) r.fail("metadata count " + std::to_string(n_kv) + " does not fit in the file");
  if (n_tensors > r.left() / 24) r.fail("tensor count " + std::to_string(n_tensors) + " does not fit in the file");

  h.kv.reserve(n_kv);
  std::unordered_set<std::string> keys;
  for (uint64_t k = 0; k < n_kv; ++k) {
    GgufKV kv;
    kv.key = r.string("metadata key", kGgufMaxName);
    const auto t = r.get<uint32_t>("metadata value type");
    if (!known_type(t)) r.fail(kv.key + ": unknown metadata value type " + std::to_string(t));
    kv.value = r.value(static_cast<GgufType>(t));
    if (!keys.insert(kv.key).second) r.fail("duplicate metadata key " + kv.key);
    h.kv.push_back(std::move(kv));
  }
  if (const auto* a = h.find("general.alignment")) {
    if (a->value.type != GgufType::U32) throw InputError(label, "general.alignment is not a u32");
    if (a->value.u == 0 || !std::has_single_bit(a->value.u))
      throw InputError(label, "general.alignment " + std::to_string(a->value.u) + " is not a power of two");
    h.alignment = a->value.u;
  }

  h.tensors.reserve(n_tensors);
  std::unordered_set<std::string> names;
  for (uint64_t k = 0; k < n_tensors; ++k) {
    GgufTensor t;
    t.name = r.string("tensor name", kGgufMaxName);
    if (!names.insert(t.name).second) r.fail("duplicate tensor name " + t.name);
    const auto n_dims = r.get<uint32_t>("tensor dims");
    if (n_dims < 1 || n_dims > 4) r.fail(t.name + ": " + std::to_string(n_dims) + " dims (GGUF allows 1 to 4)");
    // The product of the non-zero dims must fit: a zero dim must not hide huge others (every later
    // rows * cols product is then safe).
    uint64_t numel = 1, nonzero = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      const auto ne = r.get<int64_t>("tensor dim");
      if (ne < 0) r.fail(t.name + ": negative dim " + std::to_string(ne));
      if (ne != 0 && nonzero > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / static_cast<uint64_t>(ne))
        r.fail(t.name + ": element count overflows");
      if (ne != 0) nonzero *= static_cast<uint64_t>(ne);
      numel *= static_cast<uint64_t>(ne);
      t.ne.push_back(ne);
    }
    t.ggml_type = r.get<uint32_t>("tensor type");
    t.offset = r.get<uint64_t>("tensor offset");
    if (t.offset % h.alignment != 0)
      r.fail(t.name + ": offset " + std::to_string(t.offset) + " is not a multiple of the alignment " + std::to_string(h.alignment));
    if (const auto* ti = ggml_type_info(t.ggml_type)) {
      if (t.ne[0] % ti->block_size != 0)
        r.fail(t.name + ": row length " + std::to_string(t.ne[0]) + " is not a multiple of the " +
               std::string(ti->name) + " block size " + std::to_string(ti->block_size));
      const uint64_t blocks = numel / ti->block_size;
      if (blocks > std::numeric_limits<uint64_t>::max() / ti->type_size) r.fail(t.name + ": byte size overflows");
      t.nbytes = blocks * ti->type_size;
    }
    h.tensors.push_back(std::move(t));
  }

  // The data section starts at the next multiple of the alignment.
  const uint64_t pos = r.pos();
  h.data_offset = pos + (h.alignment - pos % h.alignment) % h.alignment;
  if (h.tensors.empty()) return h;
  if (h.data_offset > file.size())
    throw InputError(label, "data section at byte " + std::to_string(h.data_offset) + " lies past the end of the file (" +
                                std::to_string(file.size()) + " bytes)");
  const uint64_t data_size = file.size() - h.data_offset;
  // Inside the data section and no overlap: sort by offset; a tensor of unknown size ends where the next begins.
  std::vector<const GgufTensor*> by_offset;
  by_offset.reserve(h.tensors.size());
  for (const auto& t : h.tensors) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(), [](auto* a, auto* b) { return a->offset < b->offset; });
  for (std::size_t k = 0; k < by_offset.size(); ++k) {
    const auto& t = *by_offset[k];
    const uint64_t limit = k + 1 < by_offset.size() ? by_offset[k + 1]->offset : data_size;
    if (t.offset > data_size || t.nbytes > data_size - t.offset)
      throw InputError(label, t.name + ": data [" + std::to_string(t.offset) + ", +" + std::to_string(t.nbytes) +
                                  ") lies outside the data section (" + std::to_string(data_size) + " bytes)");
    if (t.offset + t.nbytes > limit && t.nbytes > 0)
      throw InputError(label, t.name + ": data overlaps tensor " + by_offset[k + 1]->name);
  }
  return h;
}

std::vector<TensorInfo> gguf_tensor_infos(const GgufHeader& h) {
  std::vector<TensorInfo> out;
  out.reserve(h.tensors.size());
  for (const auto& t : h.tensors) {
    TensorInfo i;
    i.name = t.name;
    i.dtype = t.ggml_type == 28 ? DType::F64 : DType::F32;  // what read() returns
    i.shape.assign(t.ne.rbegin(), t.ne.rend());             // [out, in]: ne[0] (the row length) last
    i.data_begin = t.offset;
    i.data_end = t.offset + t.nbytes;
    if (const auto* ti = ggml_type_info(t.ggml_type)) {
      i.stored_type = std::string(ti->name);
    } else {
      i.stored_type = "GGML#" + std::to_string(t.ggml_type);
    }
    i.skip_reason = types::ggml_unsupported_reason(t.ggml_type);  // empty when readable
    out.push_back(std::move(i));
  }
  std::sort(out.begin(), out.end(), [](const TensorInfo& a, const TensorInfo& b) { return a.name < b.name; });
  return out;
}

}  // namespace qspectra::io
