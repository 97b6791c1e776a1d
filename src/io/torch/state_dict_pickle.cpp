// A restricted unpickler for the data.pkl of torch.save / torch::pickle_save archives. Pure C++ (no
// LibTorch, no Python): it interprets the pickle opcodes that build plain data (None, bools, ints,
// floats, strings, bytes, tuples, lists, dicts), resolves only the few globals a state dict needs,
// and refuses everything that would construct or call anything else. Objects live in one arena and
// refer to each other by index, so deep or cyclic structures cost no recursion when destroyed.
#include <algorithm>
#include <bit>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "qspectra/core/error.hpp"
#include "qspectra/io/torch_checkpoint.hpp"

namespace qspectra::io::torch {
namespace {

constexpr int kMaxDepth = 64;               // nesting of containers while flattening names
constexpr std::size_t kMaxNameLength = 4096;
// Flattening walks a DAG (memo references can share a container many times): the entries walked and
// the bytes of the names produced are bounded relative to the pickle's size (real state dicts use a
// small fraction of this).
constexpr std::size_t kMinBudget = std::size_t{1} << 20;
constexpr std::size_t kMaxRank = 64;
constexpr std::size_t kMaxSkippedListed = 100;
constexpr int64_t kMaxRepeatedView = int64_t{1} << 20;

enum class Kind : uint8_t { None, Bool, Int, BigInt, Float, Str, Bytes, Tuple, List, Dict, Global, Storage, Tensor };

// The globals a state dict may name. Anything else is refused when the GLOBAL opcode is read.
// RestoreTypeTag is torch.jit._pickle.restore_type_tag(value, "Dict[str, Tensor]"), which LibTorch's
// pickle_save wraps around typed containers; Python's version just returns `value`.
enum class Global : uint8_t { OrderedDict, RebuildTensorV2, RebuildTensor, RebuildParameter, RestoreTypeTag, StorageType };

struct Obj {
  Kind kind = Kind::None;
  Global global = Global::OrderedDict;
  DType dtype = DType::F32;       // Global::StorageType
  int64_t i = 0;                  // Bool/Int value; Storage/Tensor: index into storages/tensors
  double f = 0;
  std::string s;                  // Str/Bytes; Global: "module.name"
  std::vector<uint32_t> items;    // Tuple/List elements; Dict: key0, value0, key1, value1, ...
};

struct Storage {
  std::string key, location;
  DType dtype;
  int64_t numel;
};

std::string_view kind_name(Kind k) {
  switch (k) {
    case Kind::None: return "None";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::BigInt: return "int (wider than 64 bits)";
    case Kind::Float: return "float";
    case Kind::Str: return "str";
    case Kind::Bytes: return "bytes";
    case Kind::Tuple: return "tuple";
    case Kind::List: return "list";
    case Kind::Dict: return "dict";
    case Kind::Global: return "class/function";
    case Kind::Storage: return "storage";
    case Kind::Tensor: return "tensor";
  }
  return "?";
}

// torch.<Name>Storage -> dtype. Newer PyTorch names (float8, uint16..64) are accepted too.
std::optional<DType> storage_dtype(std::string_view name) {
  static const std::pair<std::string_view, DType> table[] = {
      {"DoubleStorage", DType::F64},   {"FloatStorage", DType::F32},        {"HalfStorage", DType::F16},
      {"BFloat16Storage", DType::BF16}, {"LongStorage", DType::I64},         {"IntStorage", DType::I32},
      {"ShortStorage", DType::I16},    {"CharStorage", DType::I8},          {"ByteStorage", DType::U8},
      {"BoolStorage", DType::BOOL},    {"ComplexFloatStorage", DType::C64}, {"UInt16Storage", DType::U16},
      {"UInt32Storage", DType::U32},   {"UInt64Storage", DType::U64},
      {"Float8_e4m3fnStorage", DType::F8_E4M3}, {"Float8_e5m2Storage", DType::F8_E5M2},
      {"Float8_e4m3fnuzStorage", DType::F8_E4M3FNUZ}, {"Float8_e5m2fnuzStorage", DType::F8_E5M2FNUZ},
  };
  for (const auto& [n, dt] : table)
    if (n == name) return dt;
  return std::nullopt;
}

// Well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF), as Python's decoder.
bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n;
    uint32_t cp;
    if (c < 0x80) { ++i; continue; }
    if (c >= 0xC2 && c <= 0xDF) n = 1, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF) n = 2, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4) n = 3, cp = c & 0x07;
    else return false;
    if (s.size() - i <= n) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
      return false;
    i += n + 1;
  }
  return true;
}

bool mul_overflows(int64_t a, int64_t b, int64_t* out) { return __builtin_mul_overflow(a, b, out); }
bool add_overflows(int64_t a, int64_t b, int64_t* out) { return __builtin_add_overflow(a, b, out); }

class Unpickler {
public:
  Unpickler(std::span<const std::byte> buf, const std::string& label) : buf_(buf), label_(label) {}

  StateDictPickle run() {
    const uint32_t root = execute();
    if (obj(root).kind != Kind::Dict)
      fail_at_end(std::string("the pickled object is a ") + std::string(kind_name(obj(root).kind)) +
                  ", not a state dict (a dict of tensors)");
    std::string prefix;
    flatten(root, prefix, 0);
    std::sort(out_.tensors.begin(), out_.tensors.end(),
              [](const PickledTensor& a, const PickledTensor& b) { return a.name < b.name; });
    for (std::size_t i = 1; i < out_.tensors.size(); ++i)
      if (out_.tensors[i].name == out_.tensors[i - 1].name)
        fail_at_end("the name " + out_.tensors[i].name + " occurs twice");
    return std::move(out_);
  }

private:
  std::span<const std::byte> buf_;
  const std::string& label_;
  std::size_t pos_ = 0, op_pos_ = 0;
  std::vector<Obj> objs_;
  std::vector<uint32_t> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<uint64_t, uint32_t> memo_;
  std::vector<Storage> storages_;
  std::map<std::string, std::size_t> storage_by_key_;
  std::vector<PickledTensor> tensors_;  // as built by REDUCE (no name yet)
  StateDictPickle out_;
  std::size_t visits_ = 0, name_bytes_ = 0;
  const std::size_t max_visits_ = std::max(kMinBudget, 16 * buf_.size());
  const std::size_t max_name_bytes_ = std::max(kMinBudget, 64 * buf_.size());

  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(label_, "data.pkl: " + what + " (at byte " + std::to_string(op_pos_) + ")");
  }
  [[noreturn]] void fail_at_end(const std::string& what) const { throw InputError(label_, "data.pkl: " + what); }

  // ---- reading operands ----
  const std::byte* take(std::size_t n) {
    if (n > buf_.size() - pos_) fail("truncated pickle (an operand runs past the end)");
    const std::byte* p = buf_.data() + pos_;
    pos_ += n;
    return p;
  }
  uint64_t le(std::size_t n) {
    const std::byte* p = take(n);
    uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
    return v;
  }
  std::string bytes(uint64_t n) {
    if (n > buf_.size() - pos_) fail("truncated pickle (a string runs past the end)");
    const std::byte* p = take(static_cast<std::size_t>(n));
    return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
  }
  std::string line() {  // for GLOBAL: "module\n", "name\n"
    std::string s;
    for (;;) {
      const char c = static_cast<char>(*take(1));
      if (c == '\n') return s;
      if (s.size() >= 256) fail("GLOBAL operand longer than 256 characters");
      s += c;
    }
  }

  // ---- objects ----
  Obj& obj(uint32_t id) { return objs_[id]; }
  uint32_t make(Obj o) {
    if (objs_.size() >= kMaxPickleObjects)
      fail("more than " + std::to_string(kMaxPickleObjects) + " objects (the limit that bounds memory; a state dict needs ~12 a tensor)");
    objs_.push_back(std::move(o));
    return static_cast<uint32_t>(objs_.size() - 1);
  }
  uint32_t make_kind(Kind k, std::vector<uint32_t> items = {}) {
    Obj o;
    o.kind = k;
    o.items = std::move(items);
    return make(std::move(o));
  }
  uint32_t make_int(int64_t v, Kind k = Kind::Int) {
    Obj o;
    o.kind = k;
    o.i = v;
    return make(std::move(o));
  }
  uint32_t make_str(std::string s, Kind k) {
    if (k == Kind::Str && !valid_utf8(s)) fail("string is not valid UTF-8");
    Obj o;
    o.kind = k;
    o.s = std::move(s);
    return make(std::move(o));
  }

  std::size_t frame_base() const { return marks_.empty() ? 0 : marks_.back(); }
  void push(uint32_t id) { stack_.push_back(id); }
  uint32_t pop() {
    if (stack_.size() <= frame_base()) fail("stack underflow");
    const uint32_t id = stack_.back();
    stack_.pop_back();
    return id;
  }
  uint32_t top() {
    if (stack_.size() <= frame_base()) fail("stack underflow");
    return stack_.back();
  }
  std::vector<uint32_t> pop_mark() {  // the items pushed since the last MARK, and the mark itself
    if (marks_.empty()) fail("no MARK on the stack");
    const std::size_t base = marks_.back();
    marks_.pop_back();
    std::vector<uint32_t> items(stack_.begin() + static_cast<std::ptrdiff_t>(base), stack_.end());
    stack_.resize(base);
    return items;
  }
  uint32_t container(Kind k, const char* op) {  // top of stack must be a list/dict (APPEND/SETITEM target)
    const uint32_t id = top();
    if (obj(id).kind != k)
      fail(std::string(op) + " on a " + std::string(kind_name(obj(id).kind)) + ", expected a " + std::string(kind_name(k)));
    return id;
  }
  void memo_put(uint64_t index) {
    if (memo_.size() >= kMaxPickleObjects && !memo_.count(index))
      fail("more than " + std::to_string(kMaxPickleObjects) + " memo entries (the limit that bounds memory)");
    memo_[index] = top();
  }
  uint32_t memo_get(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) fail("memo entry " + std::to_string(index) + " is not defined");
    return it->second;
  }

  int64_t as_int(uint32_t id, const char* what) {
    const Obj& o = obj(id);
    if (o.kind != Kind::Int && o.kind != Kind::Bool)
      fail(std::string(what) + " is a " + std::string(kind_name(o.kind)) + ", expected an int");
    return o.i;
  }
  std::vector<int64_t> as_int_tuple(uint32_t id, const char* what) {
    const Obj& o = obj(id);
    if (o.kind != Kind::Tuple && o.kind != Kind::List)
      fail(std::string(what) + " is a " + std::string(kind_name(o.kind)) + ", expected a tuple of ints");
    if (o.items.size() > kMaxRank) fail(std::string(what) + " has more than 64 dimensions");
    std::vector<int64_t> v;
    for (uint32_t it : o.items) v.push_back(as_int(it, what));
    return v;
  }

  // ---- globals, persistent ids, REDUCE, BUILD ----
  uint32_t resolve_global(const std::string& module, const std::string& name) {
    Obj o;
    o.kind = Kind::Global;
    o.s = module + "." + name;
    if (module == "collections" && name == "OrderedDict") {
      o.global = Global::OrderedDict;
    } else if (module == "torch._utils" && name == "_rebuild_tensor_v2") {
      o.global = Global::RebuildTensorV2;
    } else if (module == "torch._utils" && name == "_rebuild_tensor") {
      o.global = Global::RebuildTensor;
    } else if (module == "torch._utils" && name == "_rebuild_parameter") {
      o.global = Global::RebuildParameter;
    } else if (module == "torch.jit._pickle" && name == "restore_type_tag") {
      o.global = Global::RestoreTypeTag;
    } else if (auto dt = module == "torch" ? storage_dtype(name) : std::nullopt) {
      o.global = Global::StorageType;
      o.dtype = *dt;
    } else {
      fail("refusing the pickle global " + module + "." + name +
           ": only tensors and plain containers (dict, OrderedDict, list, tuple, str, int, float) are read; "
           "a checkpoint that needs other Python objects is not loaded (nothing from it is executed)");
    }
    return make(std::move(o));
  }

  uint32_t persistent_load(uint32_t pid_id) {
    const Obj& pid = obj(pid_id);
    if (pid.kind != Kind::Tuple || pid.items.size() != 5)
      fail("persistent id is not a ('storage', type, key, location, numel) tuple");
    const Obj& tag = obj(pid.items[0]);
    const Obj& type = obj(pid.items[1]);
    const Obj& key = obj(pid.items[2]);
    const Obj& loc = obj(pid.items[3]);
    if (tag.kind != Kind::Str || tag.s != "storage") fail("persistent id is not a storage reference");
    if (type.kind != Kind::Global || type.global != Global::StorageType)
      fail("persistent id names no torch.*Storage type");
    if (key.kind != Kind::Str || key.s.empty() || key.s.size() > 64 ||
        !std::all_of(key.s.begin(), key.s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }))
      fail("storage key is not a short alphanumeric string");
    if (loc.kind != Kind::Str) fail("storage location is not a string");
    const int64_t numel = as_int(pid.items[4], "storage size");
    if (numel < 0) fail("storage " + key.s + " has a negative size");
    int64_t bits = 0;
    if (mul_overflows(numel, static_cast<int64_t>(dtype_bits(type.dtype)), &bits))
      fail("storage " + key.s + ": size overflows");
    auto [it, fresh] = storage_by_key_.emplace(key.s, storages_.size());
    if (fresh) {
      storages_.push_back({key.s, loc.s, type.dtype, numel});
    } else {
      const Storage& s = storages_[it->second];
      if (s.dtype != type.dtype || s.numel != numel)
        fail("storage " + key.s + " is referenced with two different types or sizes");
    }
    Obj o;
    o.kind = Kind::Storage;
    o.i = static_cast<int64_t>(it->second);
    return make(std::move(o));
  }

  uint32_t rebuild_tensor(const std::vector<uint32_t>& args, bool v2) {
    const std::size_t n = args.size();
    if (v2 ? (n != 6 && n != 7) : n != 4)
      fail(std::string(v2 ? "_rebuild_tensor_v2" : "_rebuild_tensor") + " called with " + std::to_string(n) + " arguments");
    const Obj& st = obj(args[0]);
    if (st.kind != Kind::Storage) fail("tensor storage is a " + std::string(kind_name(st.kind)) + ", not a storage");
    const Storage& s = storages_[static_cast<std::size_t>(st.i)];
    PickledTensor t;
    t.storage_key = s.key;
    t.location = s.location;
    t.dtype = s.dtype;
    t.storage_numel = s.numel;
    t.storage_offset = as_int(args[1], "storage offset");
    t.shape = as_int_tuple(args[2], "tensor size");
    t.strides = as_int_tuple(args[3], "tensor stride");
    if (v2) {
      as_int(args[4], "requires_grad");
      const Obj& hooks = obj(args[5]);
      if (hooks.kind != Kind::Dict && hooks.kind != Kind::None) fail("backward hooks are not an OrderedDict");
      if (n == 7 && obj(args[6]).kind != Kind::Dict && obj(args[6]).kind != Kind::None)
        fail("tensor metadata is not a dict");
    }
    if (t.shape.size() != t.strides.size()) fail("tensor size and stride have different lengths");
    if (t.storage_offset < 0) fail("negative storage offset");
    int64_t numel = 1, last = t.storage_offset;
    for (std::size_t d = 0; d < t.shape.size(); ++d) {
      if (t.shape[d] < 0) fail("negative tensor dimension");
      if (t.strides[d] < 0) fail("negative tensor stride");
      if (mul_overflows(numel, t.shape[d], &numel)) fail("tensor element count overflows");
      int64_t reach = 0;
      if (t.shape[d] > 0 && (mul_overflows(t.shape[d] - 1, t.strides[d], &reach) || add_overflows(last, reach, &last)))
        fail("tensor extent overflows");
    }
    if (numel > 0 && last >= s.numel)
      fail("tensor reaches element " + std::to_string(last) + " of storage " + s.key + ", which has " +
           std::to_string(s.numel) + " elements");
    // A view with more elements than its storage repeats elements (a zero stride from expand(), or
    // overlapping strides): 765 bytes on disk could ask for gigabytes. The work is bounded by the
    // storage actually present: such a view may have at most max(storage size, kMaxRepeatedView)
    // elements (small expanded buffers still read).
    if (numel > s.numel && numel > kMaxRepeatedView)
      fail("tensor view of " + std::to_string(numel) + " elements repeats elements of storage " + s.key + " (" +
           std::to_string(s.numel) + " elements): zero or overlapping strides (expand()) are not supported; "
           "save a contiguous copy (.contiguous())");
    tensors_.push_back(std::move(t));
    Obj o;
    o.kind = Kind::Tensor;
    o.i = static_cast<int64_t>(tensors_.size() - 1);
    return make(std::move(o));
  }

  uint32_t reduce(uint32_t callable, uint32_t args_id) {
    const Obj& c = obj(callable);
    const Obj& a = obj(args_id);
    if (c.kind != Kind::Global) fail("REDUCE calls a " + std::string(kind_name(c.kind)));
    if (a.kind != Kind::Tuple) fail("REDUCE arguments are not a tuple");
    const std::vector<uint32_t> args = a.items;  // copy: make() may reallocate objs_
    switch (c.global) {
      case Global::OrderedDict: {
        Obj d;
        d.kind = Kind::Dict;
        if (args.size() == 1 && (obj(args[0]).kind == Kind::List || obj(args[0]).kind == Kind::Tuple)) {
          for (uint32_t pair : obj(args[0]).items) {
            const Obj& p = obj(pair);
            if ((p.kind != Kind::Tuple && p.kind != Kind::List) || p.items.size() != 2)
              fail("OrderedDict item is not a (key, value) pair");
            d.items.push_back(p.items[0]);
            d.items.push_back(p.items[1]);
          }
        } else if (!args.empty()) {
          fail("OrderedDict called with unexpected arguments");
        }
        return make(std::move(d));
      }
      case Global::RebuildTensorV2: return rebuild_tensor(args, true);
      case Global::RebuildTensor: return rebuild_tensor(args, false);
      case Global::RebuildParameter:
        if (args.size() != 3 || obj(args[0]).kind != Kind::Tensor) fail("_rebuild_parameter called without a tensor");
        return args[0];
      case Global::RestoreTypeTag:
        if (args.size() != 2 || obj(args[1]).kind != Kind::Str) fail("restore_type_tag called with unexpected arguments");
        return args[0];
      case Global::StorageType: break;
    }
    fail(c.s + " is not callable here");
  }

  // BUILD: only an OrderedDict's instance dict (state_dict's `_metadata`) is accepted, and dropped.
  void build() {
    const uint32_t state = pop();
    const uint32_t target = top();
    if (obj(target).kind != Kind::Dict) fail("BUILD (setstate) on a " + std::string(kind_name(obj(target).kind)));
    const Kind k = obj(state).kind;
    if (k != Kind::Dict && k != Kind::None && k != Kind::Tuple) fail("BUILD with a " + std::string(kind_name(k)) + " state");
  }

  // ---- the opcode loop ----
  uint32_t execute() {
    while (true) {
      op_pos_ = pos_;
      if (pos_ >= buf_.size()) fail("truncated pickle (no STOP opcode)");
      const auto op = static_cast<uint8_t>(buf_[pos_++]);
      switch (op) {
        case 0x80: {  // PROTO
          const auto v = le(1);
          if (v < 2 || v > 5) fail("pickle protocol " + std::to_string(v) + " is not supported (2..5)");
          break;
        }
        case 0x95: le(8); break;  // FRAME (a length hint)
        case '.':                 // STOP
          if (!marks_.empty()) fail("STOP inside a MARK");
          return pop();
        case '(': marks_.push_back(stack_.size()); break;  // MARK
        case 'N': push(make_kind(Kind::None)); break;
        case 0x88: push(make_int(1, Kind::Bool)); break;  // NEWTRUE
        case 0x89: push(make_int(0, Kind::Bool)); break;  // NEWFALSE
        case ')': push(make_kind(Kind::Tuple)); break;    // EMPTY_TUPLE
        case ']': push(make_kind(Kind::List)); break;     // EMPTY_LIST
        case '}': push(make_kind(Kind::Dict)); break;     // EMPTY_DICT
        case 'K': push(make_int(static_cast<int64_t>(le(1)))); break;  // BININT1
        case 'M': push(make_int(static_cast<int64_t>(le(2)))); break;  // BININT2
        case 'J': push(make_int(static_cast<int32_t>(static_cast<uint32_t>(le(4))))); break;  // BININT
        case 0x8a: case 0x8b: {  // LONG1, LONG4: little-endian two's complement of n bytes
          uint64_t n = op == 0x8a ? le(1) : le(4);
          if (op == 0x8b && n > 0x7fffffffu) fail("negative LONG4 length");
          if (n > buf_.size() - pos_) fail("truncated pickle (a LONG runs past the end)");
          const std::byte* p = take(static_cast<std::size_t>(n));
          if (n > 8) {
            push(make_int(0, Kind::BigInt));
            break;
          }
          uint64_t v = 0;
          for (uint64_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
          if (n > 0 && n < 8 && (static_cast<uint8_t>(p[n - 1]) & 0x80)) v |= ~uint64_t{0} << (8 * n);  // sign-extend
          push(make_int(static_cast<int64_t>(v)));
          break;
        }
        case 'G': {  // BINFLOAT, big-endian
          const std::byte* p = take(8);
          uint64_t v = 0;
          for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint64_t>(p[i]);
          Obj o;
          o.kind = Kind::Float;
          o.f = std::bit_cast<double>(v);
          push(make(std::move(o)));
          break;
        }
        case 'X': push(make_str(bytes(le(4)), Kind::Str)); break;   // BINUNICODE
        case 0x8c: push(make_str(bytes(le(1)), Kind::Str)); break;  // SHORT_BINUNICODE
        case 0x8d: push(make_str(bytes(le(8)), Kind::Str)); break;  // BINUNICODE8
        case 'U': push(make_str(bytes(le(1)), Kind::Str)); break;   // SHORT_BINSTRING (decoded as UTF-8, as torch.load)
        case 'T': {                                                 // BINSTRING
          const auto n = static_cast<int32_t>(static_cast<uint32_t>(le(4)));
          if (n < 0) fail("negative BINSTRING length");
          push(make_str(bytes(static_cast<uint64_t>(n)), Kind::Str));
          break;
        }
        case 'C': push(make_str(bytes(le(1)), Kind::Bytes)); break;   // SHORT_BINBYTES
        case 'B': push(make_str(bytes(le(4)), Kind::Bytes)); break;   // BINBYTES
        case 0x8e: push(make_str(bytes(le(8)), Kind::Bytes)); break;  // BINBYTES8
        case 't': push(make_kind(Kind::Tuple, pop_mark())); break;  // TUPLE
        case 0x85: case 0x86: case 0x87: {                          // TUPLE1..3
          std::vector<uint32_t> items(op - 0x84);
          for (auto it = items.rbegin(); it != items.rend(); ++it) *it = pop();
          push(make_kind(Kind::Tuple, std::move(items)));
          break;
        }
        case 'l': push(make_kind(Kind::List, pop_mark())); break;  // LIST
        case 'd': {                                                // DICT
          auto items = pop_mark();
          if (items.size() % 2) fail("DICT with an odd number of items");
          push(make_kind(Kind::Dict, std::move(items)));
          break;
        }
        case 'a': {  // APPEND
          const uint32_t v = pop();
          obj(container(Kind::List, "APPEND")).items.push_back(v);
          break;
        }
        case 'e': {  // APPENDS
          auto items = pop_mark();
          auto& l = obj(container(Kind::List, "APPENDS")).items;
          l.insert(l.end(), items.begin(), items.end());
          break;
        }
        case 's': {  // SETITEM
          const uint32_t v = pop(), k = pop();
          auto& d = obj(container(Kind::Dict, "SETITEM")).items;
          d.push_back(k);
          d.push_back(v);
          break;
        }
        case 'u': {  // SETITEMS
          auto items = pop_mark();
          if (items.size() % 2) fail("SETITEMS with an odd number of items");
          auto& d = obj(container(Kind::Dict, "SETITEMS")).items;
          d.insert(d.end(), items.begin(), items.end());
          break;
        }
        case 'q': memo_put(le(1)); break;               // BINPUT
        case 'r': memo_put(le(4)); break;               // LONG_BINPUT
        case 0x94: memo_put(memo_.size()); break;       // MEMOIZE
        case 'h': push(memo_get(le(1))); break;         // BINGET
        case 'j': push(memo_get(le(4))); break;         // LONG_BINGET
        case '0':                                        // POP (a mark when no item is above it)
          if (stack_.size() > frame_base()) stack_.pop_back();
          else pop_mark();
          break;
        case '1': pop_mark(); break;                    // POP_MARK
        case '2': push(top()); break;                   // DUP
        case 'c': {                                     // GLOBAL
          const std::string module = line();
          const std::string name = line();
          push(resolve_global(module, name));
          break;
        }
        case 0x93: {  // STACK_GLOBAL
          const uint32_t name = pop(), module = pop();
          if (obj(name).kind != Kind::Str || obj(module).kind != Kind::Str) fail("STACK_GLOBAL operands are not strings");
          push(resolve_global(obj(module).s, obj(name).s));
          break;
        }
        case 'Q': push(persistent_load(pop())); break;  // BINPERSID
        case 'R': {                                     // REDUCE
          const uint32_t args = pop(), callable = pop();
          push(reduce(callable, args));
          break;
        }
        case 'b': build(); break;  // BUILD
        case 0x81: case 0x92: case 'i': case 'o': case 0x82: case 0x83: case 0x84: case 'P':
        case 0x96: case 0x97: case 0x98: {
          static const std::map<uint8_t, const char*> names = {
              {0x81, "NEWOBJ"}, {0x92, "NEWOBJ_EX"}, {'i', "INST"}, {'o', "OBJ"}, {0x82, "EXT1"}, {0x83, "EXT2"},
              {0x84, "EXT4"}, {'P', "PERSID"}, {0x96, "BYTEARRAY8"}, {0x97, "NEXT_BUFFER"}, {0x98, "READONLY_BUFFER"}};
          fail(std::string("refusing pickle opcode ") + names.at(op) +
               ": it builds objects a state dict does not contain (nothing from the checkpoint is executed)");
        }
        default: {
          char hex[8];
          std::snprintf(hex, sizeof hex, "0x%02x", op);
          fail(std::string("unsupported pickle opcode ") + hex);
        }
      }
    }
  }

  // ---- flattening into dotted names ----
  std::string key_string(uint32_t id, const std::string& prefix) {
    const Obj& k = obj(id);
    if (k.kind == Kind::Str) return k.s;
    if (k.kind == Kind::Int) return std::to_string(k.i);  // e.g. optimizer state keyed by parameter index
    fail_at_end("a dict key under '" + prefix + "' is a " + std::string(kind_name(k.kind)) + ", not a string");
  }

  void flatten(uint32_t id, std::string& name, int depth) {
    if (depth > kMaxDepth) fail_at_end("containers nested deeper than 64 levels (or a cycle) at " + name);
    const Obj& o = obj(id);
    const bool is_dict = o.kind == Kind::Dict;
    if (is_dict || o.kind == Kind::List || o.kind == Kind::Tuple) {
      const std::vector<uint32_t> items = o.items;  // flatten never creates objects, but keep it simple
      const std::size_t step = is_dict ? 2 : 1;
      for (std::size_t i = 0; i + step - 1 < items.size(); i += step) {
        if (++visits_ > max_visits_) fail_at_end("too many container entries for the size of the pickle");
        const std::string key = is_dict ? key_string(items[i], name) : std::to_string(i);
        const std::size_t keep = name.size();
        if (!name.empty()) name += '.';
        name += key;
        if (name.size() > kMaxNameLength) fail_at_end("a tensor name is longer than 4096 bytes");
        flatten(items[i + step - 1], name, depth + 1);
        name.resize(keep);
      }
      return;
    }
    if (o.kind == Kind::Tensor) {
      PickledTensor t = tensors_[static_cast<std::size_t>(o.i)];
      t.name = name;
      name_bytes_ += name.size();
      if (name_bytes_ > max_name_bytes_) fail_at_end("tensor names too long in total for the size of the pickle");
      out_.tensors.push_back(std::move(t));
      return;
    }
    if (out_.skipped.size() < kMaxSkippedListed) out_.skipped.push_back(name);
    ++out_.skipped_count;
  }
};

}  // namespace

int64_t PickledTensor::numel() const {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

bool PickledTensor::contiguous() const {
  if (numel() == 0) return true;
  int64_t expected = 1;
  for (std::size_t d = shape.size(); d-- > 0;) {
    if (shape[d] == 1) continue;
    if (strides[d] != expected) return false;
    expected *= shape[d];
  }
  return true;
}

StateDictPickle parse_state_dict_pickle(std::span<const std::byte> pickle, const std::string& label) {
  if (pickle.size() > kMaxPickleBytes)
    throw InputError(label, "data.pkl is " + std::to_string(pickle.size()) + " bytes; the limit is " +
                                std::to_string(kMaxPickleBytes) + " (a state dict's pickle is ~200 bytes a tensor)");
  return Unpickler(pickle, label).run();
}

}  // namespace qspectra::io::torch
