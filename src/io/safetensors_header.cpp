// parse_safetensors: the validation rules of the reference safetensors implementation.
#include <algorithm>
#include <limits>
#include <numeric>
#include <unordered_set>
#include <vector>

#include "json_strict.hpp"
#include "qspectra/core/error.hpp"
#include "qspectra/io/safetensors.hpp"

namespace qspectra::io {
namespace {

using json = nlohmann::json;

constexpr uint64_t kMaxHeaderLen = 100'000'000;  // the reference's MAX_HEADER_SIZE

uint64_t load_u64_le(const std::byte* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(std::to_integer<uint8_t>(p[i])) << (8 * i);
  return v;
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

// A JSON number that must be a non-negative integer (shape entry or offset).
uint64_t non_negative_integer(const json& v, const std::string& label, const std::string& what) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer()) {
    if (v.get<int64_t>() >= 0) return static_cast<uint64_t>(v.get<int64_t>());  // e.g. "-0"
    throw InputError(label, what + " " + v.dump() + " is negative");
  }
  throw InputError(label, what + " " + v.dump() + " is not a non-negative integer");
}

const json& field(const json& entry, const char* key, const std::string& label, const std::string& name) {
  auto it = entry.find(key);
  if (it == entry.end()) throw InputError(label, name + ": missing \"" + key + "\"");
  return *it;
}

TensorInfo parse_tensor(const std::string& name, const json& entry, const std::string& label) {
  if (!entry.is_object()) throw InputError(label, name + ": entry is not a JSON object");
  TensorInfo t;
  t.name = name;

  const json& dtype = field(entry, "dtype", label, name);
  if (!dtype.is_string()) throw InputError(label, name + ": dtype is not a string");
  auto dt = dtype_from_name(dtype.get_ref<const std::string&>());
  if (!dt) throw InputError(label, name + ": unknown dtype " + dtype.dump());
  t.dtype = *dt;

  // Overflow-checked element count, then bit count; int64 bound because numel() is int64. The bound
  // is on the product of the non-zero dimensions (stricter than the reference for empty tensors), so
  // every dimension fits int64 and no product of dimensions overflows downstream (N*M, kh*kw, ...).
  const json& shape = field(entry, "shape", label, name);
  if (!shape.is_array()) throw InputError(label, name + ": shape is not an array");
  uint64_t nonzero_product = 1;
  bool empty = false;
  t.shape.reserve(shape.size());
  for (const auto& d : shape) {
    uint64_t v = non_negative_integer(d, label, name + ": shape entry");
    if (v == 0) {
      empty = true;
    } else {
      if (nonzero_product > uint64_t(std::numeric_limits<int64_t>::max()) / v)
        throw InputError(label, name + ": shape " + shape.dump() + " overflows (element count too large)");
      nonzero_product *= v;
    }
    t.shape.push_back(static_cast<int64_t>(v));
  }
  const uint64_t numel = empty ? 0 : nonzero_product;
  const uint64_t bits_per = dtype_bits(t.dtype);
  if (numel > std::numeric_limits<uint64_t>::max() / bits_per)
    throw InputError(label, name + ": shape " + shape.dump() + " overflows (byte size too large)");
  const uint64_t bits = numel * bits_per;
  if (bits % 8 != 0)
    throw InputError(label, name + ": " + std::to_string(numel) + " elements of " +
                                std::string(dtype_name(t.dtype)) + " do not fill whole bytes");

  const json& offsets = field(entry, "data_offsets", label, name);
  if (!offsets.is_array() || offsets.size() != 2)
    throw InputError(label, name + ": data_offsets is not an array [begin, end]");
  t.data_begin = non_negative_integer(offsets[0], label, name + ": data_offsets begin");
  t.data_end = non_negative_integer(offsets[1], label, name + ": data_offsets end");
  if (t.data_end < t.data_begin)
    throw InputError(label, name + ": data_offsets " + offsets.dump() + " end before begin");
  if (t.data_end - t.data_begin != bits / 8)
    throw InputError(label, name + ": data_offsets " + offsets.dump() + " span " +
                                std::to_string(t.data_end - t.data_begin) + " bytes but shape " +
                                shape.dump() + " of " + std::string(dtype_name(t.dtype)) + " needs " +
                                std::to_string(bits / 8));
  return t;
}

std::map<std::string, std::string> parse_metadata(const json& m, const std::string& label) {
  std::map<std::string, std::string> out;
  if (m.is_null()) return out;
  if (!m.is_object()) throw InputError(label, "__metadata__ is not a JSON object");
  for (const auto& [k, v] : m.items()) {
    if (!v.is_string()) throw InputError(label, "__metadata__: value of " + quoted(k) + " is not a string");
    out.emplace(k, v.get<std::string>());
  }
  return out;
}

// The header, streamed: each top-level entry is built as a small JSON value, checked (parse_tensor,
// parse_metadata) and dropped at once, so memory holds the tensor table, never a tree of the whole
// header (a tree costs 16-100 bytes per value: `{"a":{},"b":{},...}` is 7 bytes a value). The first
// problem in document order stops the read. Inside one entry at most kMaxEntryContainers arrays or
// objects and kMaxEntryKeys keys (kMaxMetadataKeys in __metadata__); arrays of numbers (shape) are
// unbounded (16 bytes a value for >= 2 bytes of text).
constexpr int kMaxDepth = 32;
constexpr std::size_t kMaxEntryContainers = 64;
constexpr std::size_t kMaxEntryKeys = 64;
constexpr std::size_t kMaxMetadataKeys = 65536;

class StreamingHeader final : public json::json_sax_t {
public:
  StreamingHeader(const std::string& label, SafetensorsHeader& h) : label_(label), h_(h) {}
  std::string error;

  bool null() override { return scalar(json(nullptr)); }
  bool boolean(bool v) override { return scalar(json(v)); }
  bool number_integer(number_integer_t v) override { return scalar(json(v)); }
  bool number_unsigned(number_unsigned_t v) override { return scalar(json(v)); }
  bool number_float(number_float_t v, const string_t&) override { return scalar(json(v)); }
  bool string(string_t& v) override { return scalar(json(std::move(v))); }
  bool binary(binary_t&) override { return fail("binary values are not JSON"); }

  bool start_object(std::size_t) override { return open(json::object()); }
  bool start_array(std::size_t) override { return open(json::array()); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }

  bool key(string_t& k) override {
    if (depth_ == 1) {
      if (!names_.insert(k).second) return fail("duplicate key \"" + k + "\"");
      entry_name_ = k;
      return true;
    }
    json& obj = *stack_.back();
    if (obj.contains(k)) return fail("duplicate key \"" + k + "\"");
    const std::size_t max_keys = entry_name_ == "__metadata__" ? kMaxMetadataKeys : kMaxEntryKeys;
    if (++entry_keys_ > max_keys)
      return fail(entry_name_ + ": entry has more than " + std::to_string(max_keys) + " keys");
    pending_key_ = std::move(k);
    return true;
  }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) override {
    return fail("invalid JSON: " + detail::strip_nlohmann_prefix(ex.what()));
  }

private:
  bool fail(std::string msg) {
    if (error.empty()) error = std::move(msg);
    return false;
  }
  bool scalar(json v) {
    if (depth_ == 0) return fail("header is not a JSON object");
    if (depth_ == 1) return finish(std::move(v));
    add(std::move(v));
    return true;
  }
  void add(json v) {
    json& top = *stack_.back();
    if (top.is_array()) top.push_back(std::move(v));
    else top[pending_key_] = std::move(v);
  }
  bool open(json container) {
    if (++depth_ > kMaxDepth) return fail("JSON nested deeper than " + std::to_string(kMaxDepth) + " levels");
    if (depth_ == 1) {
      if (!container.is_object()) return fail("header is not a JSON object");
      return true;
    }
    if (depth_ == 2) {
      entry_ = std::move(container);
      stack_.assign(1, &entry_);
      entry_keys_ = 0;
      entry_containers_ = 1;
      return true;
    }
    if (++entry_containers_ > kMaxEntryContainers)
      return fail(entry_name_ + ": entry has more than " + std::to_string(kMaxEntryContainers) + " nested arrays or objects");
    add(std::move(container));
    json& top = *stack_.back();
    stack_.push_back(top.is_array() ? &top.back() : &top[pending_key_]);
    return true;
  }
  bool close() {
    --depth_;
    if (depth_ == 0) return true;
    stack_.pop_back();
    if (depth_ == 1) return finish(std::move(entry_));
    return true;
  }
  bool finish(json entry) {  // parse_tensor / parse_metadata throw InputError: it propagates
    if (entry_name_ == "__metadata__") h_.metadata = parse_metadata(entry, label_);
    else h_.tensors.push_back(parse_tensor(entry_name_, entry, label_));
    entry_ = json();
    return true;
  }

  const std::string& label_;
  SafetensorsHeader& h_;
  int depth_ = 0;
  std::unordered_set<std::string> names_;  // top-level keys: duplicates are refused
  std::string entry_name_, pending_key_;
  json entry_;
  std::vector<json*> stack_;  // the open containers of entry_ (pointers stay valid: only the top grows)
  std::size_t entry_keys_ = 0, entry_containers_ = 0;
};

// Sorted by offsets, the tensors must tile [0, end) exactly: no holes, no overlaps.
uint64_t check_offsets_tile(const std::vector<TensorInfo>& tensors, const std::string& label) {
  std::vector<std::size_t> order(tensors.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::pair(tensors[a].data_begin, tensors[a].data_end) < std::pair(tensors[b].data_begin, tensors[b].data_end);
  });
  uint64_t expected = 0;
  const TensorInfo* prev = nullptr;
  for (std::size_t i : order) {
    const TensorInfo& t = tensors[i];
    if (t.data_begin < expected)
      throw InputError(label, t.name + ": data_offsets [" + std::to_string(t.data_begin) + ", " +
                                  std::to_string(t.data_end) + "] overlap tensor " + prev->name);
    if (t.data_begin > expected)
      throw InputError(label, t.name + ": data_offsets begin " + std::to_string(t.data_begin) +
                                  " leaves a hole: bytes [" + std::to_string(expected) + ", " +
                                  std::to_string(t.data_begin) + ") belong to no tensor");
    expected = t.data_end;
    prev = &t;
  }
  return expected;
}

}  // namespace

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (auto d : shape) n *= d;  // validated against overflow by parse_safetensors
  return n;
}

std::string TensorInfo::type_name() const { return stored_type.empty() ? std::string(dtype_name(dtype)) : stored_type; }
bool TensorInfo::readable() const { return skip_reason.empty() && dtype_readable(dtype); }
std::string TensorInfo::unreadable_reason() const { return skip_reason.empty() ? dtype_skip_reason(dtype) : skip_reason; }

SafetensorsHeader parse_safetensors(std::span<const std::byte> file, const std::string& label) {
  if (file.size() < 8)
    throw InputError(label, "file is " + std::to_string(file.size()) + " bytes, too small for the 8-byte header length");
  SafetensorsHeader h;
  h.header_len = load_u64_le(file.data());
  const uint64_t avail = file.size() - 8;
  // A safetensors file starts with a small length and then '{'. Anything else (config.json, a
  // tokenizer, a text file passed as the model) is named as such, not as an absurd header length.
  if ((h.header_len > kMaxHeaderLen || h.header_len > avail) && (avail == 0 || static_cast<char>(file[8]) != '{')) {
    std::string start;
    for (std::size_t i = 0; i < std::min<std::size_t>(file.size(), 12); ++i) {
      const auto c = static_cast<unsigned char>(file[i]);
      start += c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '.';
    }
    throw InputError(label, "not a safetensors file (it starts with \"" + start +
                                "\", not an 8-byte header length and a JSON header)");
  }
  if (h.header_len < 2) throw InputError(label, "header length " + std::to_string(h.header_len) + " is below 2");
  if (h.header_len > kMaxHeaderLen)
    throw InputError(label, "header length " + std::to_string(h.header_len) + " exceeds the limit of 100000000 bytes");
  if (h.header_len > avail)
    throw InputError(label, "header length " + std::to_string(h.header_len) + " runs past the end of the file (" +
                                std::to_string(avail) + " bytes after the length prefix)");

  std::string_view text(reinterpret_cast<const char*>(file.data() + 8), h.header_len);
  if (text.front() != '{') throw InputError(label, "header does not start with '{'");
  if (!detail::is_valid_utf8(text)) throw InputError(label + ": header", "JSON is not valid UTF-8");
  {
    StreamingHeader reader(label, h);
    bool ok = false;
    try {
      ok = json::sax_parse(text.begin(), text.end(), &reader);
    } catch (const json::exception& e) {
      throw InputError(label + ": header", "invalid JSON: " + detail::strip_nlohmann_prefix(e.what()));
    }
    if (!ok) throw InputError(label + ": header", reader.error.empty() ? "invalid JSON" : reader.error);
  }
  std::sort(h.tensors.begin(), h.tensors.end(), [](const auto& a, const auto& b) { return a.name < b.name; });

  const uint64_t data_len = check_offsets_tile(h.tensors, label);
  if (data_len != avail - h.header_len)
    throw InputError(label, "data section is " + std::to_string(avail - h.header_len) + " bytes but the tensors cover " +
                                std::to_string(data_len) + " (the data must fill the file exactly)");
  return h;
}

}  // namespace qspectra::io
