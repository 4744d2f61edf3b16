"""Writes torch.optim.AdamW trajectories for Tests/AGFASNNTests/AdamWTests.swift.

    /work/venv/bin/python scripts/make_adamw_fixtures.py

Each case runs three steps of torch.optim.AdamW (the optimizer of diffusers' training
scripts) with its options on two parameters `a` [3,4] and `b` [5], with given gradients; `b`
has no gradient at step 2 (PyTorch skips it: no decay, no moment update, its step count
stays). Stored as `<case>/a0`, `<case>/b0`, `<case>/ga<k>`, `<case>/gb<k>` (k = 1..3, gb2
absent), the values after each step `<case>/a<k>`, `<case>/b<k>`, and the moments after the
last step `<case>/exp_avg_a`, `<case>/exp_avg_sq_a`; the options as the case's JSON metadata
(betas as beta1/beta2).
"""
import json
import pathlib

import torch
from safetensors.torch import save_file

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "AGFASNNTests" / "Fixtures"

CASES = {
    # torch's defaults, with a learning rate large enough for every term to show in fp32
    "defaults": dict(lr=0.1),
    # diffusers' train_text_to_image_lora.py defaults
    "diffusers": dict(lr=1e-4, betas=(0.9, 0.999), weight_decay=1e-2, eps=1e-8),
    "custom": dict(lr=0.05, betas=(0.8, 0.95), weight_decay=0.1, eps=1e-6),
}


def main():
    torch.manual_seed(0)
    tensors, meta = {}, {}
    for name, options in CASES.items():
        a = torch.randn(3, 4).requires_grad_()
        b = torch.randn(5).requires_grad_()
        tensors[f"{name}/a0"], tensors[f"{name}/b0"] = a.detach().clone(), b.detach().clone()
        opt = torch.optim.AdamW([a, b], foreach=False, **options)
        for k in range(1, 4):
            opt.zero_grad()
            a.grad = torch.randn(3, 4)
            tensors[f"{name}/ga{k}"] = a.grad.clone()
            if k != 2:
                b.grad = torch.randn(5)
                tensors[f"{name}/gb{k}"] = b.grad.clone()
            opt.step()
            tensors[f"{name}/a{k}"], tensors[f"{name}/b{k}"] = a.detach().clone(), b.detach().clone()
        tensors[f"{name}/exp_avg_a"] = opt.state[a]["exp_avg"].clone()
        tensors[f"{name}/exp_avg_sq_a"] = opt.state[a]["exp_avg_sq"].clone()
        record = {k: v for k, v in options.items() if k != "betas"}
        beta1, beta2 = options.get("betas", (0.9, 0.999))
        record.update(beta1=beta1, beta2=beta2, eps=options.get("eps", 1e-8),
                      weight_decay=options.get("weight_decay", 1e-2))
        record["b_steps"] = int(opt.state[b]["step"])
        meta[name] = json.dumps(record)
    OUT.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(OUT / "adamw.safetensors"), metadata=meta)
    print("adamw.safetensors", (OUT / "adamw.safetensors").stat().st_size, "bytes", torch.__version__)


if __name__ == "__main__":
    main()
