#!/usr/bin/env python3
"""Cut the in-tree GGML golden subset (ggml_golden_slices.safetensors) out of the full oracle in
shared/reference/gguf/ (made by ggml-org/ggml @ d99724f, MIT; see that README).

For each slice (some rows of a source matrix) and each GGML type the oracle has for it, the output
holds `<slice>.source` (F32 [rows, cols], the source rows), `<slice>.<type>.bytes` (U8 [rows, row
bytes], ggml's quantized bytes of those rows, cut from the golden .gguf at manifest.tsv's offsets)
and `<slice>.<type>.dequant` (F32 [rows, cols], ggml's to_float of those bytes). ggml quantizes each
row independently, so a row slice of the whole tensor's bytes is exactly ggml's output for those rows.
Usage: make_golden_slices.py SHARED_GGUF_DIR STORIES_MODEL OUT.safetensors   (python3, stdlib only)
"""
import json
import struct
import sys

SLICES = [
    # name, golden tensor prefix, source file key, rows
    ("gauss16", "synthetic.gauss", "synthetic", list(range(16))),
    ("t3_outliers", "synthetic.student_t3", "synthetic", [127, 166, 254, 296, 372, 380, 415, 489]),
    ("edge", "synthetic.edge", "synthetic", list(range(16))),
    ("stories_q_proj0", "model.layers.0.self_attn.q_proj.weight", "stories", list(range(64))),
    ("stories_up_proj0", "model.layers.0.mlp.up_proj.weight", "stories", list(range(172))),
]


def read_safetensors(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        out[name] = (info["dtype"], info["shape"], data[base + b:base + e])
    return out


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    blobs = []
    off = 0
    for name, dtype, shape, blob in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + len(blob)]}
        blobs.append(blob)
        off += len(blob)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def main():
    shared, stories_path, out_path = sys.argv[1:4]
    manifest = [line.rstrip("\n").split("\t") for line in open(f"{shared}/manifest.tsv")]
    cols = manifest[0]
    rows = [dict(zip(cols, r)) for r in manifest[1:]]
    gguf = {f: open(f"{shared}/{f}", "rb").read() for f in ("synthetic_golden.gguf", "stories260k_golden.gguf")}
    deq = {
        "synthetic_golden.gguf": read_safetensors(f"{shared}/synthetic_golden_dequant.safetensors"),
        "stories260k_golden.gguf": read_safetensors(f"{shared}/stories260k_golden_dequant.safetensors"),
    }
    sources = {"synthetic": read_safetensors(f"{shared}/synthetic_source.safetensors"),
               "stories": read_safetensors(stories_path)}
    tensors = []
    for slice_name, prefix, src_key, take in SLICES:
        dtype, shape, blob = sources[src_key][prefix]
        assert dtype == "F32"
        ncols = shape[1]
        src_rows = b"".join(blob[r * ncols * 4:(r + 1) * ncols * 4] for r in take)
        tensors.append((f"{slice_name}.source", "F32", [len(take), ncols], src_rows))
        for m in rows:
            if m["source_tensor"] != prefix or m["file"] not in gguf:
                continue
            ne0, ne1 = int(m["ne0"]), int(m["ne1"])
            assert ne0 == ncols
            off, nbytes = int(m["file_offset"]), int(m["nbytes"])
            rb = nbytes // ne1
            data = gguf[m["file"]][off:off + nbytes]
            qrows = b"".join(data[r * rb:(r + 1) * rb] for r in take)
            _, dshape, dblob = deq[m["file"]][m["tensor"]]
            drows = b"".join(dblob[r * ne0 * 4:(r + 1) * ne0 * 4] for r in take)
            tensors.append((f"{slice_name}.{m['type']}.bytes", "U8", [len(take), rb], qrows))
            tensors.append((f"{slice_name}.{m['type']}.dequant", "F32", [len(take), ne0], drows))
    meta = {
        "made_by": "ggml-org/ggml@d99724f2b141fed9e1a9f402213506c081433465 (MIT), via shared/reference/gguf",
        "slices": json.dumps({s[0]: {"source": s[1], "rows": s[3]} for s in SLICES}),
    }
    write_safetensors(out_path, tensors, meta)


main()
