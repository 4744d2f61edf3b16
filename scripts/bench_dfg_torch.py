"""PyTorch side of `agfas bench dfg`: the DFG's parts at full SD-1.5 size, random weights.

    python3 scripts/bench_dfg_torch.py --threads N --repeat R [--dtypes fp32,bf16] [--no-full]

Prints one JSON object per line: the stack line of bench_common.start, then {"op", "dtype",
"seconds", "gflop"} (median of R runs; the whole reconstruction runs once): the peak
convolutions, attention (F.scaled_dot_product_attention, forward and forward+backward, in the
dtype itself), the UNet and VAE and the reconstruction; then
{"op": "peak RSS", "dtype": "", "seconds": 0, "gflop": GiB}.
bf16 runs under torch.autocast("cpu", dtype=torch.bfloat16), as a PyTorch user would.
"""
import argparse
import contextlib
import json
import time

import torch
import torch.nn.functional as F
from diffusers import AutoencoderKL, PNDMScheduler, UNet2DConditionModel
from bench_common import median_time, start

SD15_UNET = dict(sample_size=64, in_channels=4, out_channels=4, layers_per_block=2,
                 block_out_channels=(320, 640, 1280, 1280), cross_attention_dim=768, attention_head_dim=8,
                 down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
                 up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3)
SD15_VAE = dict(in_channels=3, out_channels=3, down_block_types=("DownEncoderBlock2D",) * 4,
                up_block_types=("UpDecoderBlock2D",) * 4, block_out_channels=(128, 256, 512, 512),
                layers_per_block=2, latent_channels=4, norm_num_groups=32, sample_size=512)
SCHEDULER = {"beta_end": 0.012, "beta_schedule": "scaled_linear", "beta_start": 0.00085,
             "num_train_timesteps": 1000, "set_alpha_to_one": False, "skip_prk_steps": True, "steps_offset": 1}
# Approximate work per call (GFLOP) for SD-1.5 at these sizes; both sides divide by the same numbers.
GFLOP = {"unet step b1": 179.0, "unet step b4": 716.0, "vae encode 256": 273.0, "vae decode 256": 622.0,
         "reconstruction (41 steps)": 8200.0}


# Large 3x3 convolutions at the UNet's sizes: the best of them is the host's peak, which the
# UNet's rows are compared with. (label, batch, channels, side)
PEAK_CONVS = (("320->320 1x32x32", 1, 320, 32), ("320->320 4x32x32", 4, 320, 32),
              ("640->640 4x16x16", 4, 640, 16), ("1280->1280 4x8x8", 4, 1280, 8))


def attention_shapes():
    """(label, heads, queries, keys, dims): the UNet's self-attention at 512 and 256 px faces
    (4096/1024 tokens of 40 dims, then 256x80 and 64x160), its cross-attention to the 49
    identity tokens, and the ViT's 197 tokens."""
    return (("8x4096x40", 8, 4096, 4096, 40), ("8x1024x40", 8, 1024, 1024, 40),
            ("8x1024x49x40", 8, 1024, 49, 40), ("8x256x80", 8, 256, 256, 80),
            ("8x64x160", 8, 64, 64, 160), ("12x197x64", 12, 197, 197, 64))


def attention_gflop(heads, queries, keys, dims):
    """Two matmuls forward; the backward's four are counted as twice the forward."""
    return 4 * heads * queries * keys * dims / 1e9


def emit(op, dtype, seconds, gflop=None):
    gflop = GFLOP[op] if gflop is None else gflop
    print(json.dumps({"op": op, "dtype": dtype, "seconds": seconds, "gflop": gflop}), flush=True)


def time_kernels(name, repeat):
    """The peak convolutions and attention, forward and forward+backward, in `name`'s dtype."""
    dtype = torch.float32 if name == "fp32" else torch.bfloat16
    with torch.inference_mode():
        for label, b, ch, side in PEAK_CONVS:
            x = torch.randn(b, ch, side, side).to(dtype).contiguous(memory_format=torch.channels_last)
            w = torch.randn(ch, ch, 3, 3).to(dtype).contiguous(memory_format=torch.channels_last)
            bias = torch.randn(ch).to(dtype)
            seconds = median_time(lambda: F.conv2d(x, w, bias, padding=1), repeat, warmup=2)
            emit(f"conv3x3 {label}", name, seconds, 2 * b * ch * side * side * ch * 9 / 1e9)
    for label, heads, queries, keys, dims in attention_shapes():
        q = torch.randn(1, heads, queries, dims).to(dtype)
        k, v = (torch.randn(1, heads, keys, dims).to(dtype) for _ in range(2))
        gflop = attention_gflop(heads, queries, keys, dims)
        with torch.inference_mode():
            emit(f"attention fwd {label}", name,
                 median_time(lambda: F.scaled_dot_product_attention(q, k, v), repeat, warmup=2), gflop)
        qg, kg, vg = (t.clone().requires_grad_() for t in (q, k, v))
        g = torch.randn(1, heads, queries, dims).to(dtype)

        def both():
            F.scaled_dot_product_attention(qg, kg, vg).backward(g)
            qg.grad = kg.grad = vg.grad = None

        emit(f"attention fwd+bwd {label}", name, median_time(both, repeat, warmup=2), 3 * gflop)


def peak_rss_gib():
    """This process's peak resident set (VmHWM). Not ru_maxrss: Linux carries that over exec from
    the process that started this one, which here is AGFAS holding its own copy of the models."""
    with open("/proc/self/status") as f:
        kib = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    return kib / 2**20


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--dtypes", default="fp32,bf16")
    p.add_argument("--no-full", action="store_true")
    args = p.parse_args()
    start(args.threads, ("diffusers",))
    torch.manual_seed(0)
    unet = UNet2DConditionModel(**SD15_UNET).eval()
    vae = AutoencoderKL(**SD15_VAE).eval()
    x = torch.rand(1, 3, 256, 256) * 2 - 1
    cond = torch.randn(1, 49, 768)
    for name in args.dtypes.split(","):
        time_kernels(name, args.repeat)
        ctx = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if name == "bf16" else contextlib.nullcontext
        with torch.inference_mode(), ctx():
            for b in (1, 4):
                z = torch.randn(b, 4, 32, 32)
                c = cond.expand(b, -1, -1)
                emit(f"unet step b{b}", name, median_time(lambda: unet(z, 801, encoder_hidden_states=c), args.repeat))
            emit("vae encode 256", name, median_time(lambda: vae.encode(x).latent_dist.sample(), args.repeat))
            z = torch.randn(1, 4, 32, 32)
            emit("vae decode 256", name, median_time(lambda: vae.decode(z).sample, args.repeat))
            if not args.no_full:
                t = time.perf_counter()
                z0 = vae.encode(x).latent_dist.sample() * 0.18215
                s = PNDMScheduler.from_config(SCHEDULER)
                s.set_timesteps(50)
                steps = [t for t in s.timesteps if t <= 801]
                z = s.add_noise(z0, torch.randn_like(z0), torch.tensor([int(steps[0])]))
                for step in steps:
                    z = s.step(unet(z, step, encoder_hidden_states=cond).sample.float(), step, z.float()).prev_sample
                vae.decode(z / 0.18215)
                emit("reconstruction (41 steps)", name, time.perf_counter() - t)
    print(json.dumps({"op": "peak RSS GiB", "dtype": "", "seconds": 0, "gflop": peak_rss_gib()}), flush=True)


if __name__ == "__main__":
    main()
