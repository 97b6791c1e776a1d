// io::torch::parse_state_dict_pickle on hand-built pickles (every build: it needs no LibTorch): what
// torch.save writes is read, everything that would need other Python objects is refused, and no
// malformed input gets past the validation.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "qspectra/core/error.hpp"
#include "qspectra/io/torch_checkpoint.hpp"

namespace qspectra::io::torch {
namespace {

// Writes pickle opcodes (protocol 2, as torch.save).
struct Pickle {
  std::string b = "\x80\x02";

  Pickle& op(char c) { b += c; return *this; }
  Pickle& raw(const std::string& s) { b += s; return *this; }
  Pickle& le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) b += static_cast<char>((v >> (8 * i)) & 0xFF);
    return *this;
  }
  Pickle& str(const std::string& s) { op('X').le(s.size(), 4); b += s; return *this; }
  Pickle& i32(int32_t v) { return op('J').le(static_cast<uint32_t>(v), 4); }
  Pickle& global(const std::string& m, const std::string& n) { b += "c" + m + "\n" + n + "\n"; return *this; }
  Pickle& mark() { return op('('); }
  Pickle& ints(const std::vector<int64_t>& v) {
    mark();
    for (auto x : v) i32(static_cast<int32_t>(x));
    return op('t');
  }
  Pickle& ordered_dict() { return global("collections", "OrderedDict").op(')').op('R'); }
  Pickle& storage(const std::string& key, const std::string& cls, int64_t numel) {
    mark().str("storage").global("torch", cls).str(key).str("cpu").i32(static_cast<int32_t>(numel)).op('t');
    return op('Q');
  }
  Pickle& tensor(const std::string& key, const std::string& cls, int64_t numel, int64_t offset,
                 const std::vector<int64_t>& shape, const std::vector<int64_t>& stride) {
    global("torch._utils", "_rebuild_tensor_v2").mark();
    storage(key, cls, numel).i32(static_cast<int32_t>(offset)).ints(shape).ints(stride).op('\x89').ordered_dict();
    return op('t').op('R');
  }
  Pickle& stop() { return op('.'); }
  std::span<const std::byte> span() const { return {reinterpret_cast<const std::byte*>(b.data()), b.size()}; }
};

// A state dict {"b.weight": 2x3 F32, "a.bias": F16 view at offset 2} written the way torch.save does,
// with an OrderedDict `_metadata` state applied by BUILD.
Pickle valid_state_dict() {
  Pickle p;
  p.ordered_dict().op('q').le(0, 1).mark();
  p.str("b.weight").tensor("0", "FloatStorage", 6, 0, {2, 3}, {3, 1});
  p.str("a.bias").tensor("1", "HalfStorage", 5, 2, {3}, {1});
  p.op('u');
  p.op('}').str("_metadata").ordered_dict().str("").op('}').str("version").i32(1).op('s').op('s').op('s').op('b');
  return p.stop();
}

StateDictPickle parse(const Pickle& p) { return parse_state_dict_pickle(p.span(), "test.pt"); }

void expect_error(const Pickle& p, const std::string& part) {
  try {
    parse(p);
    ADD_FAILURE() << "no error; expected " << part;
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).rfind("test.pt: data.pkl: ", 0), 0u) << e.what();
  }
}

TEST(StateDictPickle, ReadsWhatTorchSaveWrites) {
  const auto sd = parse(valid_state_dict());
  ASSERT_EQ(sd.tensors.size(), 2u);
  const auto& a = sd.tensors[0];  // sorted by name
  EXPECT_EQ(a.name, "a.bias");
  EXPECT_EQ(a.dtype, DType::F16);
  EXPECT_EQ(a.storage_key, "1");
  EXPECT_EQ(a.storage_offset, 2);
  EXPECT_EQ(a.storage_numel, 5);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{3}));
  EXPECT_EQ(a.location, "cpu");
  const auto& b = sd.tensors[1];
  EXPECT_EQ(b.name, "b.weight");
  EXPECT_EQ(b.dtype, DType::F32);
  EXPECT_EQ(b.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(b.strides, (std::vector<int64_t>{3, 1}));
  EXPECT_TRUE(b.contiguous());
  EXPECT_EQ(b.numel(), 6);
  EXPECT_TRUE(sd.skipped.empty());
}

TEST(StateDictPickle, FlattensNestedContainersAndSkipsOtherLeaves) {
  Pickle p;
  p.op('}').mark();
  p.str("model").op('}').mark().str("w").tensor("0", "FloatStorage", 4, 0, {2, 2}, {1, 2}).op('u');
  p.str("epoch").i32(3);
  p.str("layers").op(']').mark().tensor("1", "DoubleStorage", 1, 0, {}, {}).op('N').op('e');
  p.str("state").op('}').i32(7).op('}').str("exp_avg").tensor("2", "BFloat16Storage", 2, 0, {2}, {1}).op('s').op('s');
  p.op('u').stop();
  const auto sd = parse(p);
  std::vector<std::string> names;
  for (const auto& t : sd.tensors) names.push_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string>{"layers.0", "model.w", "state.7.exp_avg"}));
  EXPECT_FALSE(sd.tensors[1].contiguous());  // strides (1, 2): a transpose
  EXPECT_EQ(sd.skipped, (std::vector<std::string>{"epoch", "layers.1"}));
  EXPECT_EQ(sd.skipped_count, 2u);
}

TEST(StateDictPickle, ParametersAndProtocol4Opcodes) {
  Pickle p;
  p.b = "\x80\x04\x95";
  p.le(0, 8);                                        // FRAME
  p.op('}').op('\x94');                              // EMPTY_DICT, MEMOIZE
  p.op('\x8c').le(1, 1).raw("p");                    // SHORT_BINUNICODE "p"
  p.op('\x8c').le(12, 1).raw("torch._utils");
  p.op('\x8c').le(18, 1).raw("_rebuild_parameter");
  p.op('\x93');                                      // STACK_GLOBAL
  p.tensor("0", "LongStorage", 2, 0, {2}, {1}).op('\x88').ordered_dict().op('\x87').op('R');  // TUPLE3, REDUCE
  p.op('s').stop();
  const auto sd = parse(p);
  ASSERT_EQ(sd.tensors.size(), 1u);
  EXPECT_EQ(sd.tensors[0].name, "p");
  EXPECT_EQ(sd.tensors[0].dtype, DType::I64);
}

TEST(StateDictPickle, RefusesForeignGlobals) {
  for (const auto& [m, n] : std::vector<std::pair<std::string, std::string>>{
           {"os", "system"}, {"builtins", "eval"}, {"argparse", "Namespace"}, {"torch", "load"},
           {"torch._utils", "_rebuild_qtensor"}, {"collections", "defaultdict"}, {"torch", "QInt8Storage"}}) {
    Pickle p;
    p.op('}').str("x").global(m, n).op('s').stop();
    expect_error(p, "refusing the pickle global " + m + "." + n);
  }
  Pickle stack_global;  // the same through STACK_GLOBAL
  stack_global.op('}').str("x").str("posix").str("system").op('\x93').op('s').stop();
  expect_error(stack_global, "refusing the pickle global posix.system");
}

TEST(StateDictPickle, RefusesObjectBuildingOpcodes) {
  for (const auto& [code, name] : std::vector<std::pair<std::string, std::string>>{
           {"\x81", "NEWOBJ"}, {"\x92", "NEWOBJ_EX"}, {"i", "INST"}, {"o", "OBJ"}, {"\x82", "EXT1"}, {"P", "PERSID"}}) {
    Pickle p;
    p.op('}').raw(code).stop();
    expect_error(p, "refusing pickle opcode " + name);
  }
  Pickle reduce_storage;  // a storage class is not callable
  reduce_storage.op('}').str("x").global("torch", "FloatStorage").op(')').op('R').op('s').stop();
  expect_error(reduce_storage, "not callable");
  Pickle build_list;  // BUILD (setstate) only on an OrderedDict
  build_list.op('}').str("x").op(']').op('}').op('b').op('s').stop();
  expect_error(build_list, "BUILD (setstate) on a list");
}

TEST(StateDictPickle, ValidatesTensors) {
  auto one = [](const std::string& cls, int64_t numel, int64_t offset, std::vector<int64_t> shape, std::vector<int64_t> stride) {
    Pickle p;
    p.op('}').str("t").tensor("0", cls, numel, offset, shape, stride).op('s').stop();
    return p;
  };
  expect_error(one("FloatStorage", 4, 0, {5}, {1}), "reaches element 4 of storage 0, which has 4 elements");
  expect_error(one("FloatStorage", 6, 1, {2, 3}, {3, 1}), "reaches element 6");
  expect_error(one("FloatStorage", 4, 0, {2, 2}, {-1, 1}), "negative tensor stride");
  expect_error(one("FloatStorage", 4, 0, {-2}, {1}), "negative tensor dimension");
  expect_error(one("FloatStorage", 4, -1, {2}, {1}), "negative storage offset");
  expect_error(one("FloatStorage", 4, 0, {2, 2}, {1}), "different lengths");
  expect_error(one("FloatStorage", -4, 0, {2}, {1}), "negative size");
  expect_error(one("FloatStorage", 4, 0, {0x40000000, 0x40000000, 0x40000000}, {0, 0, 0}), "overflows");
  EXPECT_NO_THROW(parse(one("FloatStorage", 0, 0, {0, 5}, {5, 1})));    // empty tensor, empty storage
  EXPECT_NO_THROW(parse(one("FloatStorage", 1, 0, {3, 4}, {0, 0})));    // expanded (stride 0)
  // torch.ones(1).expand(50000, 15000): 765 bytes on disk, 750M elements to read: refused.
  expect_error(one("FloatStorage", 1, 0, {50000, 15000}, {0, 0}),
               "tensor view of 750000000 elements repeats elements of storage 0 (1 elements)");
  expect_error(one("FloatStorage", 2000, 0, {2000, 2000}, {1, 0}), "repeats elements");  // overlapping rows
  EXPECT_NO_THROW(parse(one("FloatStorage", 4000000, 0, {2000, 2000}, {2000, 1})));      // as large as its storage
  EXPECT_EQ(parse(one("ComplexFloatStorage", 2, 0, {2}, {1})).tensors[0].dtype, DType::C64);  // read later, skipped

  Pickle bad_key;
  bad_key.op('}').str("t").tensor("../0", "FloatStorage", 1, 0, {1}, {1}).op('s').stop();
  expect_error(bad_key, "storage key is not a short alphanumeric string");
  Pickle two_sizes;
  two_sizes.op('}').mark().str("a").tensor("0", "FloatStorage", 4, 0, {4}, {1});
  two_sizes.str("b").tensor("0", "FloatStorage", 8, 0, {4}, {1}).op('u').stop();
  expect_error(two_sizes, "storage 0 is referenced with two different types or sizes");
  Pickle not_storage;
  not_storage.op('}').str("t").global("torch._utils", "_rebuild_tensor_v2").mark().i32(0).i32(0).ints({1}).ints({1});
  not_storage.op('\x89').op('N').op('t').op('R').op('s').stop();
  expect_error(not_storage, "tensor storage is a int, not a storage");
  Pickle bad_pid;
  bad_pid.op('}').str("t").mark().str("module").str("x").op('t').op('Q').op('s').stop();
  expect_error(bad_pid, "persistent id is not a ('storage', type, key, location, numel) tuple");
}

TEST(StateDictPickle, ValidatesStructure) {
  Pickle list_root;
  list_root.op(']').stop();
  expect_error(list_root, "the pickled object is a list, not a state dict");
  Pickle duplicate;
  duplicate.op('}').mark().str("a.b").tensor("0", "FloatStorage", 1, 0, {1}, {1});
  duplicate.str("a").op('}').str("b").tensor("1", "FloatStorage", 1, 0, {1}, {1}).op('s').op('u').stop();
  expect_error(duplicate, "the name a.b occurs twice");
  Pickle cycle;  // a list that contains itself
  cycle.op('}').str("l").op(']').op('q').le(5, 1).op('h').le(5, 1).op('a').op('s').stop();
  expect_error(cycle, "nested deeper than 64 levels");
  Pickle blowup;  // l0 = [t]; l(i+1) = [l(i), l(i)]: 2^40 paths from 40 lists
  blowup.op('}').str("x").op(']').tensor("0", "FloatStorage", 1, 0, {1}, {1}).op('a');
  for (int i = 0; i < 40; ++i) blowup.op('q').le(i, 1).op('0').op(']').mark().op('h').le(i, 1).op('h').le(i, 1).op('e');
  blowup.op('s').stop();
  expect_error(blowup, "for the size of the pickle");
  Pickle tuple_key;
  tuple_key.op('}').op(')').i32(1).op('s').stop();
  expect_error(tuple_key, "a dict key under '' is a tuple, not a string");
  Pickle bad_utf8;
  bad_utf8.op('}').str("\xff\xfe").i32(1).op('s').stop();
  expect_error(bad_utf8, "not valid UTF-8");
  Pickle undefined_memo;
  undefined_memo.op('}').op('h').le(9, 1).stop();
  expect_error(undefined_memo, "memo entry 9 is not defined");
  Pickle underflow;
  underflow.op('s').stop();
  expect_error(underflow, "stack underflow");
  Pickle unknown;
  unknown.op('}').op('\xff').stop();
  expect_error(unknown, "unsupported pickle opcode 0xff");
  Pickle proto9;
  proto9.b = "\x80\x09}.";
  expect_error(proto9, "pickle protocol 9 is not supported");
  Pickle no_stop;
  no_stop.op('}');
  expect_error(no_stop, "no STOP opcode");
}

// Every prefix of a valid pickle, and every single-byte corruption of it, is either parsed or refused
// with an InputError: nothing else escapes, nothing reads out of bounds (run under the sanitizers).
TEST(StateDictPickle, TruncationsAndCorruptionsFailCleanly) {
  const Pickle good = valid_state_dict();
  for (std::size_t n = 0; n < good.b.size(); ++n) {
    Pickle p;
    p.b = good.b.substr(0, n);
    EXPECT_THROW(parse(p), InputError) << "prefix " << n;
  }
  std::size_t parsed = 0;
  for (std::size_t i = 0; i < good.b.size(); ++i)
    for (unsigned char v : {0x00, 0x01, 0x28, 0x2e, 0x71, 0x7f, 0x80, 0xff}) {
      Pickle p = good;
      p.b[i] = static_cast<char>(v);
      try {
        parse(p);
        ++parsed;
      } catch (const InputError&) {
      }
    }
  EXPECT_GT(parsed, 0u);
}

}  // namespace
}  // namespace qspectra::io::torch
