"""Writes the checkpoint-reader fixtures for Tests/AGFASCheckpointTests from real torch.save.

    /work/venv/bin/python scripts/make_checkpoint_fixtures.py

Writes into Tests/AGFASCheckpointTests/Fixtures/:
  state_dict.pt          zip torch.save of a state dict of views, shared storages and dtypes
  state_dict_legacy.pt   the same dict in the legacy (pre-1.6) format
  state_dict_p4.pt       the same dict pickled with protocol 4
  training.pth           a training checkpoint: epoch, DataParallel state_dict, Adam state, ...
  weights.safetensors    a few contiguous tensors written by safetensors
  values_p{2,3,4,5}.pkl  plain pickles of Python values, one per protocol
  malicious*.pkl/.pt     pickles that would run `touch /tmp/agfas-pwned` if executed
  expected.safetensors   each listed tensor's values as contiguous fp32, named "<file>/<name>"
  listing.json           {file: [[name, dtype, shape], ...]} as torch/safetensors list them
  mtcnn.json             checksums of the MTCNN weights (when scripts/fetch_test_material.sh ran)
The malicious files are only written, never loaded.
"""
import collections
import json
import os
import pathlib
import pickle
import subprocess

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "AGFASCheckpointTests" / "Fixtures"
MTCNN = ROOT / ".cache" / "test-material" / "facenet_pytorch" / "data"
PWN = "touch /tmp/agfas-pwned"


def flatten(value, prefix=""):
    """(name, tensor) pairs in the order and naming of CheckpointValue.namedTensors()."""
    def child(c):
        return c if not prefix else f"{prefix}.{c}"

    def component(k):
        return k if isinstance(k, str) else "True" if k is True else "False" if k is False else str(k)

    if isinstance(value, torch.Tensor):
        yield prefix, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from flatten(v, child(component(k)))
    elif isinstance(value, (list, tuple)) and not isinstance(value, torch.Size):
        for i, v in enumerate(value):
            yield from flatten(v, child(str(i)))


def dtype_name(t):
    return str(t.dtype).removeprefix("torch.")


def state_dict():
    base = (torch.arange(24, dtype=torch.float32).reshape(4, 6) - 11.5) / 7
    half = torch.randn(3, 5).half()
    bf16 = torch.randn(2, 3, 4).bfloat16()
    longs = torch.arange(-3, 9)
    sd = collections.OrderedDict()
    sd["weight"] = base
    sd["weight_t"] = base.t()  # shares base's storage, transposed
    sd["window"] = base[1:3, 2:5]  # storage offset and non-contiguous rows
    sd["row"] = base[2]  # storage offset, contiguous
    sd["every_other"] = base[:, ::2]
    sd["expanded"] = torch.tensor([1.5, -2.0, 3.25]).expand(2, 3)  # stride 0
    sd["conv.weight"] = torch.randn(3, 3, 2, 4).permute(3, 2, 0, 1)  # like MTCNN's weights
    sd["half"] = half
    sd["half_t"] = half.t()
    sd["bf16"] = bf16
    sd["bf16_perm"] = bf16.permute(2, 0, 1)
    sd["double"] = torch.randn(5, dtype=torch.float64)
    sd["long"] = longs
    sd["long_view"] = longs[2:9:3]
    sd["int32"] = torch.tensor([[-7, 0], [8, 2**20]], dtype=torch.int32)
    sd["int16"] = torch.tensor([-300, 300], dtype=torch.int16)
    sd["int8"] = torch.tensor([-128, 5, 127], dtype=torch.int8)
    sd["uint8"] = torch.tensor([0, 1, 127, 255], dtype=torch.uint8)
    sd["bool"] = torch.tensor([True, False, True])
    sd["scalar"] = torch.tensor(3.5)
    sd["num_batches_tracked"] = torch.tensor(7)
    sd["empty"] = torch.zeros(0, 3)
    return sd


def training_checkpoint():
    model = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3), torch.nn.BatchNorm2d(3), torch.nn.Flatten(),
                                torch.nn.Linear(12, 2))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model(torch.randn(2, 2, 4, 4)).square().sum().backward()
    opt.step()
    return {
        "epoch": 3,
        "state_dict": torch.nn.DataParallel(model).state_dict(),  # "module." keys, with _metadata
        "optimizer": opt.state_dict(),
        "best_acc": 0.875,
        "arch": "resnet18",
        "note": None,
        "seed": 2**70,
        "blob": b"\x00\xffab",
        "history": [0.5, 0.25],
        "input_size": torch.Size([2, 3]),
        # As the AG-FAS reference's save_checkpoint keeps its metrics: numpy scalars.
        "info": {"valid_args": [np.float64(0.25), np.float32(1.5), np.int64(-3), np.bool_(True)],
                 "threshold": np.float64(0.5)},
    }


def plain_values():
    shared = [1, 2]
    return {
        "int": 1, "neg": -5, "i32": -(2**31), "i64": 2**62, "big": 2**70, "negbig": -(2**70),
        "float": 1.5, "str": "héllo", "long_str": "x" * 300, "bytes": b"\x00\xff",
        "none": None, "true": True, "false": False, "tuple1": (1,), "tuple4": (1, 2, 3, 4),
        "nested": [1, [2, (3, "a")]], "set": {3, 1, 2}, "frozenset": frozenset({5}),
        "int_keys": {1: "a", 2: "b"}, "ordered": collections.OrderedDict([("z", 1), ("a", 2)]),
        "shared_a": shared, "shared_b": shared, "range": list(range(1500)),
        "strings": [f"s{i}" for i in range(300)],  # > 256 memo slots: LONG_BINPUT/LONG_BINGET
    }


class Pwn:
    """Unpickling this with Python's pickle would run a shell command."""

    def __init__(self, fn, arg):
        self.fn, self.arg = fn, arg

    def __reduce__(self):
        return (self.fn, (self.arg,))


def one_row_per_line(tables):
    """JSON of {key: [row, ...]} with one row per line, so diffs stay readable."""
    parts = []
    for key, rows in tables.items():
        body = ",\n".join("  " + json.dumps(r) for r in rows)
        parts.append(f" {json.dumps(key)}: [\n{body}\n ]")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def write_mtcnn(out):
    if not (MTCNN / "onet.pt").exists():
        subprocess.run([str(ROOT / "scripts" / "fetch_test_material.sh")], check=True)
    nets = {}
    for net in ["pnet", "rnet", "onet"]:
        rows = []
        for name, t in flatten(torch.load(MTCNN / f"{net}.pt", weights_only=True)):
            v = t.detach().double().contiguous().flatten()
            weights = torch.arange(v.numel(), dtype=torch.float64) % 7 + 1
            rows.append([name, dtype_name(t), list(t.shape), v.sum().item(), (v * v).sum().item(),
                         (v * weights).sum().item(), t.is_contiguous()])
        nets[net] = rows
    (out / "mtcnn.json").write_text(one_row_per_line(nets))


def main():
    torch.manual_seed(0)
    OUT.mkdir(parents=True, exist_ok=True)
    listing, expected = {}, {}

    def record(file, value):
        rows = []
        for name, t in flatten(value):
            rows.append([name, dtype_name(t), list(t.shape)])
            expected[f"{file}/{name}"] = t.detach().float().contiguous().clone()
        listing[file] = rows

    sd = state_dict()
    torch.save(sd, OUT / "state_dict.pt")
    torch.save(sd, OUT / "state_dict_legacy.pt", _use_new_zipfile_serialization=False)
    record("state_dict.pt", torch.load(OUT / "state_dict.pt", weights_only=True))
    record("state_dict_legacy.pt", torch.load(OUT / "state_dict_legacy.pt", weights_only=True))
    torch.save(sd, OUT / "state_dict_p4.pt", pickle_protocol=4)  # STACK_GLOBAL, FRAME, MEMOIZE
    record("state_dict_p4.pt", torch.load(OUT / "state_dict_p4.pt", weights_only=False))  # ours; FRAME

    torch.save(training_checkpoint(), OUT / "training.pth")
    record("training.pth", torch.load(OUT / "training.pth", weights_only=False))

    st = {"b.weight": torch.randn(3, 4), "a.half": torch.randn(2, 2).half(), "c.bf16": torch.randn(5).bfloat16(),
          "d.steps": torch.tensor([1, -2, 3]), "e.mask": torch.tensor([True, False]), "f.scalar": torch.tensor(2.5)}
    save_file(st, OUT / "weights.safetensors")
    with safe_open(OUT / "weights.safetensors", "pt") as f:
        record("weights.safetensors", {k: f.get_tensor(k) for k in f.keys()})

    for proto in [2, 3, 4, 5]:
        (OUT / f"values_p{proto}.pkl").write_bytes(pickle.dumps(plain_values(), protocol=proto))
    # numpy 1.x (the reference's environment) names the scalar builder numpy.core.multiarray.
    numpy_values = pickle.dumps({"hter": np.float64(0.125), "n": np.int32(7), "flag": np.bool_(False)}, protocol=2)
    (OUT / "numpy1_scalars.pkl").write_bytes(numpy_values.replace(b"numpy._core.multiarray\n", b"numpy.core.multiarray\n"))
    (OUT / "malicious.pkl").write_bytes(pickle.dumps(Pwn(os.system, PWN), protocol=2))
    (OUT / "malicious_p4.pkl").write_bytes(
        pickle.dumps({"x": Pwn(eval, f"__import__('os').system('{PWN}')")}, protocol=4))
    torch.save({"weight": torch.ones(2), "hook": Pwn(os.system, PWN)}, OUT / "malicious.pt")

    save_file(expected, OUT / "expected.safetensors")
    (OUT / "listing.json").write_text(one_row_per_line(listing))
    write_mtcnn(OUT)
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"{OUT}: {len(list(OUT.iterdir()))} files, {total / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
