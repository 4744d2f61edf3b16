"""PyTorch side of `agfas bench oanet`: full-size OA-Net (ViT-B/16 + ResNet-18), random weights.

    python3 scripts/bench_oanet_torch.py --threads N --repeat R [--dtypes fp32,bf16]

The model is the reference of scripts/make_oanet_fixtures.py (transformers' ViTModel with
per-layer cross-attention, torchvision's ResNet-18 layout, SSDG's heads, discriminator and
losses), imported from there. Prints one JSON object per line: the stack line of
bench_common.start, then {"op", "dtype", "seconds", "gflop"} (median of R runs after one
warm-up): the eval forward at batch 1 and 16 and one SSDG train step at batch 12 (forward, CE +
triplet + 0.5 adversarial, backward, SGD). bf16 runs the forward and losses under
torch.autocast("cpu", dtype=torch.bfloat16) (fp32 master weights).
"""
import argparse
import contextlib
import json
import math
import pathlib
import sys

import torch
import torch.nn.functional as F
from transformers import ViTConfig

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from make_oanet_fixtures import OANet, Discriminator, anomalous_cue, triplet_loss  # noqa: E402
from bench_common import median_time, start  # noqa: E402

# Same number as Sources/AGFASBench/OANetBenchmark.swift: GFLOP per 256x256 face forward.
GFLOP_PER_FACE = 47.0


def emit(op, dtype, seconds, faces):
    print(json.dumps({"op": op, "dtype": dtype, "seconds": seconds, "gflop": faces * GFLOP_PER_FACE}), flush=True)


def inputs(batch):
    face = (torch.randn(batch, 3, 256, 256)).clamp(-1, 1)
    rec = (face + 0.1 * torch.randn(face.shape)).clamp(-1, 1)
    return anomalous_cue(face, rec)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--dtypes", default="fp32,bf16")
    args = p.parse_args()
    start(args.threads, ("transformers",))
    torch.manual_seed(0)
    net = OANet(ViTConfig(), cue_width=64, embedding=512)
    disc = Discriminator(512, 512, 3)
    for name in args.dtypes.split(","):
        ctx = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if name == "bf16" else contextlib.nullcontext
        net.eval()
        with torch.inference_mode(), ctx():
            for b in (1, 16):
                x = inputs(b)
                emit(f"forward b{b}", name, median_time(lambda: net(x), args.repeat), b)
        net.train()
        disc.train()
        labels = torch.tensor([1, 1, 0, 0] * 3)
        domains = torch.tensor([0] * 4 + [1] * 4 + [2] * 4)
        triplet_labels = torch.where(labels == 1, torch.zeros_like(domains), domains + 1)
        live = labels == 1
        coeff = 2.0 / (1.0 + math.exp(-10 * 200 / 4000)) - 1.0
        opt = torch.optim.SGD(list(net.parameters()) + list(disc.parameters()), lr=1e-3, momentum=0.9,
                              weight_decay=5e-4)
        x = inputs(12)

        def step():
            opt.zero_grad()
            with ctx():
                logits, emb, _, _ = net(x)
                mask = torch.bernoulli(torch.full((int(live.sum()), 512), 0.5))
                cls = F.cross_entropy(logits, labels)
                triplet, _ = triplet_loss(emb, triplet_labels)
                adv = F.cross_entropy(disc(emb[live], coeff, mask), domains[live])
                total = cls + triplet + 0.5 * adv
            total.backward()
            opt.step()

        emit("train step b12", name, median_time(step, args.repeat), 3 * 12)


if __name__ == "__main__":
    main()
