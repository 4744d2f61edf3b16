"""Writes torch.optim.SGD trajectories for Tests/AGFASNNTests/SGDTests.swift.

    /work/venv/bin/python scripts/make_sgd_fixtures.py

Each case runs three steps of torch.optim.SGD with its options on two parameters `a` [3,4] and
`b` [5], with given gradients; `b` has no gradient at step 2 (PyTorch skips it, momentum and
weight decay included). Stored as `<case>/a0`, `<case>/b0`, `<case>/ga<k>`, `<case>/gb<k>`
(k = 1..3, gb2 absent) and the values after each step `<case>/a<k>`, `<case>/b<k>`; the
options as the case's JSON metadata. Large learning rates so every term shows in fp32.
"""
import json
import pathlib

import torch
from safetensors.torch import save_file

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "AGFASNNTests" / "Fixtures"

CASES = {
    "plain": dict(lr=0.1),
    "ssdg": dict(lr=0.1, momentum=0.9, weight_decay=5e-4),
    "dampening": dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01),
    "nesterov": dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.02),
}


def main():
    torch.manual_seed(0)
    tensors, meta = {}, {}
    for name, options in CASES.items():
        a = torch.randn(3, 4).requires_grad_()
        b = torch.randn(5).requires_grad_()
        tensors[f"{name}/a0"], tensors[f"{name}/b0"] = a.detach().clone(), b.detach().clone()
        opt = torch.optim.SGD([a, b], **options)
        for k in range(1, 4):
            opt.zero_grad()
            a.grad = torch.randn(3, 4)
            tensors[f"{name}/ga{k}"] = a.grad.clone()
            if k != 2:
                b.grad = torch.randn(5)
                tensors[f"{name}/gb{k}"] = b.grad.clone()
            opt.step()
            tensors[f"{name}/a{k}"], tensors[f"{name}/b{k}"] = a.detach().clone(), b.detach().clone()
        meta[name] = json.dumps(options)
    OUT.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(OUT / "sgd.safetensors"), metadata=meta)
    print("sgd.safetensors", (OUT / "sgd.safetensors").stat().st_size, "bytes")


if __name__ == "__main__":
    main()
