"""PyTorch side of `agfas bench ops`: times the same ops on the same machine.

    python3 scripts/bench_ops_torch.py --threads N --repeat R [--dtypes fp32,bf16]

Prints one JSON object per line: the stack line of bench_common.start, then {"op", "dtype",
"seconds", "gflop"} with the median time.
"""
import argparse
import json
import time

import torch
import torch.nn.functional as F
from bench_common import median_time, start


def cases(dtype):
    x = torch.randn(1, 320, 32, 32).to(dtype).contiguous(memory_format=torch.channels_last)
    w = torch.randn(320, 320, 3, 3).to(dtype).contiguous(memory_format=torch.channels_last)
    b = torch.randn(320).to(dtype)
    yield "conv3x3 320->320 1x320x32x32", 2 * 320 * 32 * 32 * 320 * 9, lambda: F.conv2d(x, w, b, padding=1)
    a = torch.randn(2048, 2048).to(dtype)
    m = torch.randn(2048, 2048).to(dtype)
    yield "matmul 2048^3", 2 * 2048**3, lambda: a @ m
    q, k, v = (torch.randn(1, 8, 1024, 40).to(dtype) for _ in range(3))
    yield "attention 8x1024x40", 2 * 2 * 8 * 1024 * 1024 * 40, lambda: F.scaled_dot_product_attention(q, k, v)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--repeat", type=int, default=10)
    p.add_argument("--dtypes", default="fp32,bf16")
    args = p.parse_args()
    start(args.threads)
    types = {"fp32": torch.float32, "bf16": torch.bfloat16}
    with torch.inference_mode():
        for name in args.dtypes.split(","):
            for op, flop, fn in cases(types[name]):
                seconds = median_time(fn, args.repeat, warmup=2)
                print(json.dumps({"op": op, "dtype": name, "seconds": seconds, "gflop": flop / 1e9}), flush=True)


if __name__ == "__main__":
    main()
