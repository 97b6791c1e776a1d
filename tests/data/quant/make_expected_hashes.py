#!/usr/bin/env python3
"""One-off: record the sha256 of every tensor's raw bytes in the reference fake-quantised fixtures.

The quantised safetensors files are not in the repository; their per-tensor hashes are, so the
quant tests can check that sym:8:channel and sym:4:g128 (float32 arithmetic) reproduce them bit
for bit from tests/data/fixtures/synthetic-small. Python 3 standard library only.

usage: make_expected_hashes.py [REFERENCE_FIXTURES_DIR] > expected_tensor_sha256.json
       (default /work/shared/reference/fixtures)
"""
import hashlib
import json
import struct
import sys
from pathlib import Path

FIXTURES = {  # fixture folder -> the quantizer spec that reproduces it
    "synthetic-small-q8": "sym:8:channel",
    "synthetic-small-q4g128": "sym:4:g128",
}


def tensor_hashes(path):
    data = path.read_bytes()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + header_len])
    body = data[8 + header_len:]
    out = {}
    for name in sorted(k for k in header if k != "__metadata__"):
        t = header[name]
        begin, end = t["data_offsets"]
        out[name] = {"dtype": t["dtype"], "shape": t["shape"],
                     "sha256": hashlib.sha256(body[begin:end]).hexdigest()}
    return out


def main():
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/reference/fixtures")
    result = {
        "note": "sha256 of each tensor's raw little-endian bytes in the reference quantised fixtures; "
                "made by make_expected_hashes.py",
        "source": "synthetic-small",
        "fixtures": {},
    }
    for folder, spec in FIXTURES.items():
        f = root / folder / "model.safetensors"
        result["fixtures"][folder] = {
            "spec": spec,
            "file_sha256": hashlib.sha256(f.read_bytes()).hexdigest(),
            "tensors": tensor_hashes(f),
        }
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
