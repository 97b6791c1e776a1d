#!/usr/bin/env python3
"""Regenerate fuzz/corpus/torch_pickle/: data.pkl files as torch.save writes them (protocol 2,
OrderedDict of torch._utils._rebuild_tensor_v2 calls on persistent-id storages), made with the
standard pickle module and stand-in torch classes, so PyTorch is not needed. Run: python3 fuzz/make_torch_seeds.py
"""
import collections
import os
import pickle
import sys
import types

torch = types.ModuleType("torch")
utils = types.ModuleType("torch._utils")
torch._utils = utils
sys.modules["torch"], sys.modules["torch._utils"] = torch, utils


def _storage_class(name):
    cls = type(name, (), {"__module__": "torch"})
    setattr(torch, name, cls)
    return cls


FloatStorage, HalfStorage, BFloat16Storage, LongStorage = (
    _storage_class(n) for n in ("FloatStorage", "HalfStorage", "BFloat16Storage", "LongStorage"))


def _rebuild_tensor_v2(*args):
    raise NotImplementedError


def _rebuild_parameter(*args):
    raise NotImplementedError


for f in (_rebuild_tensor_v2, _rebuild_parameter):
    f.__module__ = "torch._utils"
    setattr(utils, f.__name__, f)


class Storage:
    def __init__(self, cls, key, numel, location="cpu"):
        self.pid = ("storage", cls, key, location, numel)


class Tensor:
    def __init__(self, storage, offset, shape, strides):
        self.args = (storage, offset, tuple(shape), tuple(strides), False, collections.OrderedDict())

    def __reduce__(self):
        return (_rebuild_tensor_v2, self.args)


class Parameter:
    def __init__(self, tensor):
        self.tensor = tensor

    def __reduce__(self):
        return (_rebuild_parameter, (self.tensor, True, collections.OrderedDict()))


class Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        return obj.pid if isinstance(obj, Storage) else None


def dump(obj, protocol=2):
    import io
    buf = io.BytesIO()
    Pickler(buf, protocol=protocol).dump(obj)
    return buf.getvalue()


s0 = Storage(FloatStorage, "0", 6)
s1 = Storage(HalfStorage, "1", 16)
SEEDS = {
    "valid_state_dict": collections.OrderedDict([
        ("layer.weight", Tensor(s0, 0, [2, 3], [3, 1])),
        ("layer.bias", Tensor(Storage(FloatStorage, "2", 2), 0, [2], [1])),
        ("emb.weight", Tensor(s1, 0, [4, 4], [4, 1])),
    ]),
    "valid_shared_storage_views": {"a": Tensor(s0, 0, [3], [1]), "b": Tensor(s0, 3, [3], [1]),
                                   "t": Tensor(s0, 0, [3, 2], [1, 3])},
    "valid_nested_and_skipped": {"model": {"enc": [Tensor(Storage(BFloat16Storage, "3", 4), 0, [2, 2], [2, 1])]},
                                 "epoch": 3, "config": {"lr": 0.1, "name": "x"}, "p": Parameter(Tensor(s0, 0, [6], [1]))},
    "valid_cuda_location": {"w": Tensor(Storage(LongStorage, "4", 4, "cuda:0"), 0, [2, 2], [2, 1])},
    "bad_outside_storage": {"w": Tensor(s0, 4, [2, 3], [3, 1])},
    "bad_negative_stride": {"w": Tensor(s0, 5, [2], [-1])},
    "bad_not_dict": [Tensor(s0, 0, [6], [1])],
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "torch_pickle")
os.makedirs(out, exist_ok=True)
for name, obj in SEEDS.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(dump(obj))
with open(os.path.join(out, "valid_protocol4"), "wb") as f:
    f.write(dump(SEEDS["valid_state_dict"], protocol=4))
# A refused global (os.system): the reason for a restricted unpickler.
with open(os.path.join(out, "bad_global_os_system"), "wb") as f:
    f.write(b"\x80\x02cos\nsystem\nq\x00X\x04\x00\x00\x00trueq\x01\x85q\x02Rq\x03.")
