#!/usr/bin/python3
"""Writes the PyTorch checkpoints the qspectra_torch_tests read (run once; the outputs are committed).

Needs Python's torch (Debian: apt-get install python3-torch; run with /usr/bin/python3). Every value
is a formula of its row-major index, so the C++ tests recompute them instead of storing a copy:
    value(i) = ((i * 7) % 23 - 11) / 8        (exact in float16 and bfloat16)

Files:
  tiny_state_dict.pt    Tiny().state_dict(): an OrderedDict with _metadata, as every real checkpoint;
                        float32/float16/bfloat16/float64 weights, int64/int32/int16/int8/uint8/bool buffers,
                        a transposed (non-contiguous) weight, a buffer that is a view at an offset of
                        another tensor's storage.
  nested_checkpoint.pt  {"model": {...}, "params": {name: nn.Parameter}, "epoch": 3, "config": {...},
                        "layers": [tensor, tensor]}: nested containers flattened to dotted names.
  foreign_class.pt      a dict holding an argparse.Namespace: must be refused (foreign class).
  legacy_format.pt      the pre-1.6 (non-zip) format: refused with a clear message.
  compressed_records.pt tiny_state_dict.pt re-zipped with deflate: refused (records are read in place).
  torchscript_module.pt torch.jit.save of a scripted nn.Linear: refused (not a state dict).
"""
import argparse
import collections
import os
import sys
import zipfile

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))


def pattern(shape, dtype):
    n = 1
    for d in shape:
        n *= d
    i = torch.arange(n, dtype=torch.float64)
    return (((i * 7) % 23 - 11) / 8).reshape(shape).to(dtype)


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(16, 8)
        self.block = nn.Sequential(nn.Linear(8, 12), nn.ReLU(), nn.Linear(12, 8, bias=False))
        self.conv = nn.Conv2d(2, 4, 3)
        self.norm = nn.LayerNorm(8)
        self.proj = nn.Linear(5, 6, bias=False)
        self.register_buffer("steps", torch.tensor([3, -1, 7, 2**40], dtype=torch.int64))
        self.register_buffer("ids32", torch.tensor([-5, 6], dtype=torch.int32))
        self.register_buffer("ids16", torch.tensor([-300, 301], dtype=torch.int16))
        self.register_buffer("ids8", torch.tensor([-7, 8], dtype=torch.int8))
        self.register_buffer("bytes", torch.tensor([0, 255], dtype=torch.uint8))
        self.register_buffer("mask", torch.tensor([True, False, True]))


def tiny():
    torch.manual_seed(0)
    m = Tiny()
    with torch.no_grad():
        for name, p in m.named_parameters():
            p.copy_(pattern(p.shape, p.dtype))
        m.block[2].half()                  # block.2.weight: float16
        m.conv.to(torch.bfloat16)          # conv.weight / conv.bias: bfloat16
        m.norm.double()                    # norm.weight / norm.bias: float64
        # proj.weight (6x5) stored as the transpose of a contiguous 5x6 tensor: strides (1, 6).
        m.proj.weight = nn.Parameter(pattern((5, 6), torch.float32).t())
        # "row": embed.weight[2] as a view, sharing embed's storage at element offset 16.
        m.register_buffer("row", m.embed.weight.detach()[2])
    return m


def main():
    sd = tiny().state_dict()
    assert isinstance(sd, collections.OrderedDict) and hasattr(sd, "_metadata")
    assert not sd["proj.weight"].is_contiguous() and sd["row"].storage_offset() == 16
    torch.save(sd, os.path.join(HERE, "tiny_state_dict.pt"))

    small = tiny()
    nested = {
        "model": {"embed.weight": small.embed.weight.detach().clone()},
        "params": {name: p for name, p in small.block.named_parameters()},  # nn.Parameter objects
        "epoch": 3,
        "config": {"lr": 0.1, "name": "tiny", "betas": (0.9, 0.99), "none": None},
        "layers": [pattern((3, 4), torch.float32), pattern((2,), torch.float16)],
    }
    torch.save(nested, os.path.join(HERE, "nested_checkpoint.pt"))

    torch.save({"w": pattern((2, 2), torch.float32), "args": argparse.Namespace(lr=0.1)},
               os.path.join(HERE, "foreign_class.pt"))
    torch.save({"w": pattern((2, 2), torch.float32)}, os.path.join(HERE, "legacy_format.pt"),
               _use_new_zipfile_serialization=False)
    with zipfile.ZipFile(os.path.join(HERE, "tiny_state_dict.pt")) as src, \
            zipfile.ZipFile(os.path.join(HERE, "compressed_records.pt"), "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
    torch.manual_seed(0)
    torch.jit.save(torch.jit.script(nn.Linear(2, 2)), os.path.join(HERE, "torchscript_module.pt"))
    print("torch", torch.__version__, "wrote", sorted(f for f in os.listdir(HERE) if f.endswith(".pt")), file=sys.stderr)


if __name__ == "__main__":
    main()
