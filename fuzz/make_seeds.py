#!/usr/bin/env python3
"""Regenerate the seed corpora under fuzz/corpus/ (small valid and malformed inputs).

The seeds are committed; this script documents where they come from. Run: python3 fuzz/make_seeds.py
"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def st(header, data=b"", declared=None, pad=True):
    """A safetensors image: 8-byte LE length, header text, data."""
    h = header if isinstance(header, bytes) else header.encode()
    if pad:
        h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h) if declared is None else declared) + h + data


def entry(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


def valid(tensors, metadata=None):
    """tensors: list of (name, dtype, shape, bytes)."""
    hdr, data = {}, b""
    if metadata is not None:
        hdr["__metadata__"] = metadata
    for name, dt, shape, raw in tensors:
        hdr[name] = entry(dt, shape, len(data), len(data) + len(raw))
        data += raw
    return st(json.dumps(hdr, separators=(",", ":")), data)


f32 = lambda *v: struct.pack("<%df" % len(v), *v)

SAFETENSORS = {
    "valid_f32_2x3": valid([("w.weight", "F32", [2, 3], f32(1, 2, 3, 4, 5, 6))]),
    "valid_meta_two": valid([("a.weight", "F16", [2, 2], b"\x00\x3c" * 4), ("b.bias", "BF16", [2], b"\x80\x3f" * 2)],
                            {"format": "pt"}),
    "valid_dtypes": valid([("f64", "F64", [1], struct.pack("<d", 1.5)), ("i8", "I8", [2], b"\x01\xff"),
                           ("u8", "U8", [1], b"\x07"), ("i16", "I16", [1], b"\x01\x80"), ("u16", "U16", [1], b"\x01\x00"),
                           ("i32", "I32", [1], b"\x01\x00\x00\x80"), ("u32", "U32", [1], b"\x02\x00\x00\x00"),
                           ("i64", "I64", [1], b"\xff" * 8), ("u64", "U64", [1], b"\x01" * 8), ("b", "BOOL", [2], b"\x00\x02"),
                           ("e4", "F8_E4M3", [2], b"\x7f\x38"), ("e5", "F8_E5M2", [2], b"\x7c\x3c")]),
    "valid_unreadable": valid([("c", "C64", [1], b"\x00" * 8), ("f4", "F4", [2], b"\x12"), ("f6", "F6_E2M3", [4], b"\x00" * 3),
                               ("e8", "F8_E8M0", [1], b"\x7f")]),
    "valid_conv_nan": valid([("conv.weight", "F32", [2, 1, 2, 2], f32(float("nan"), float("inf"), 1, 2, 3, 4, 5, 6))]),
    "valid_empty_tensor": valid([("z", "F32", [0, 5], b""), ("s", "F32", [], f32(1))]),
    "valid_empty_header": st("{}"),
    "bad_short": b"\x02\x00\x00",
    "bad_len_past_end": st('{"a":1}', declared=1000, pad=False),
    "bad_len_huge": st("{}", declared=100_000_001, pad=False),
    "bad_not_object": st("[1,2]"),
    "bad_dup_key": st('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', f32(0)),
    "bad_overlap": st(json.dumps({"a": entry("F32", [2], 0, 8), "b": entry("F32", [1], 4, 8)}), f32(0, 0)),
    "bad_hole": st(json.dumps({"a": entry("F32", [1], 4, 8)}), f32(0, 0)),
    "bad_shape_overflow": st(json.dumps({"a": entry("F32", [2**62, 4], 0, 4)}), f32(0)),
    "bad_shape_zero_huge": st(json.dumps({"a": entry("F32", [0, 2**63 + 5], 0, 0)})),
    "bad_negative": st(json.dumps({"a": entry("F32", [-1], 0, 4)}), f32(0)),
    "bad_dtype": st(json.dumps({"a": entry("F33", [1], 0, 4)}), f32(0)),
    "bad_metadata": st(json.dumps({"__metadata__": {"k": 1}})),
    "bad_utf8": st(b'{"\xc0\xaf":1}'),
    "bad_deep": st("[" * 40 + "]" * 40),
    "bad_trailing": st('{"a":1} x'),
    "bad_float_offset": st('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4.0]}}', f32(0)),
    "bad_data_short": st(json.dumps({"a": entry("F32", [2], 0, 8)}), f32(0)),
}

INDEX = {
    "valid": json.dumps({"metadata": {"total_size": 8}, "weight_map": {"b.weight": "model-00002-of-00002.safetensors",
                                                                       "a.weight": "model-00001-of-00002.safetensors"}}),
    "valid_empty": '{"weight_map":{}}',
    "bad_path": '{"weight_map":{"a":"../x.safetensors"}}',
    "bad_backslash": '{"weight_map":{"a":"x\\\\y"}}',
    "bad_dup": '{"weight_map":{"a":"x","a":"y"}}',
    "bad_value": '{"weight_map":{"a":1}}',
    "bad_no_map": '{"metadata":{}}',
    "bad_nested": '{"x":{"weight_map":{"a":"b"}},"weight_map":[{"c":"d"}]}',
    "bad_nul": '{"weight_map":{"a":"x\\u0000/y"}}',
    "bad_array": '[{"weight_map":{"a":"b"}}]',
}

for sub, seeds in (("safetensors", SAFETENSORS), ("index_json", INDEX)):
    d = os.path.join(HERE, "corpus", sub)
    os.makedirs(d, exist_ok=True)
    for name, content in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(content if isinstance(content, bytes) else content.encode())


# GGUF (fuzz_gguf): little-endian images of the reader's test writer's shape.
def gstr(s):
    s = s.encode() if isinstance(s, str) else s
    return struct.pack("<Q", len(s)) + s


def gguf(kvs=b"", n_kv=0, tensors=(), version=3, align=32, n_tensors=None, data_pad=True):
    """tensors: list of (name, ne list, ggml type, bytes)."""
    out = b"GGUF" + struct.pack("<IQQ", version, len(tensors) if n_tensors is None else n_tensors, n_kv) + kvs
    data, offs = b"", []
    for name, ne, typ, raw in tensors:
        offs.append(len(data))
        data += raw + b"\0" * (-len(raw) % align)
    for (name, ne, typ, raw), off in zip(tensors, offs):
        out += gstr(name) + struct.pack("<I", len(ne)) + struct.pack("<%dq" % len(ne), *ne) + struct.pack("<IQ", typ, off)
    if tensors:
        out += b"\0" * (-len(out) % align)
    return out + data


def kv(key, typ, payload):
    return gstr(key) + struct.pack("<I", typ) + payload


GGUF_SEEDS = {
    "valid_f32": gguf(kv("general.architecture", 8, gstr("llama")), 1, [("blk.0.attn_q.weight", [2, 2], 0, f32(1, 2, 3, 4))]),
    "valid_q8_0": gguf(b"", 0, [("w", [32, 1], 8, b"\x00\x3c" + bytes(range(32)))]),
    "valid_all_kv": gguf(kv("a", 0, b"\x01") + kv("b", 7, b"\x01") + kv("c", 12, struct.pack("<d", 0.5)) +
                         kv("d", 9, struct.pack("<IQ", 8, 2) + gstr("x") + gstr("yz")) +
                         kv("e", 9, struct.pack("<IQ", 9, 1) + struct.pack("<IQ", 4, 2) + struct.pack("<II", 1, 2)), 5),
    "valid_v2_align64": gguf(kv("general.alignment", 4, struct.pack("<I", 64)), 1, [("t", [4], 0, f32(1, 2, 3, 4))],
                             version=2, align=64),
    "valid_unknown_type": gguf(b"", 0, [("t", [4], 99, b"\0" * 16), ("u", [2], 1, b"\0\x3c\0\x3c")]),
    "bad_magic": b"GGUX" + bytes(20),
    "bad_version1": b"GGUF" + struct.pack("<IQQ", 1, 0, 0),
    "bad_tensor_count": b"GGUF" + struct.pack("<IQQ", 3, 2 ** 63, 0),
    "bad_string_len": b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 2 ** 62) + bytes(16),
    "bad_array_len": b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + kv("k", 9, struct.pack("<IQ", 4, 2 ** 60)),
    "bad_dims_overflow": gguf(b"", 0, [("t", [2 ** 40, 2 ** 40], 0, b"")]),
    "bad_alignment": gguf(kv("general.alignment", 4, struct.pack("<I", 48)), 1),
}
d = os.path.join(HERE, "corpus", "gguf")
os.makedirs(d, exist_ok=True)
for name, content in GGUF_SEEDS.items():
    with open(os.path.join(d, name), "wb") as f:
        f.write(content)
