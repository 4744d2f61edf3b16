"""PyTorch side of `agfas bench dfg`: the DFG's parts at full SD-1.5 size, random weights.

    python3 scripts/bench_dfg_torch.py --threads N --repeat R [--dtypes fp32,bf16] [--no-full]

Prints one JSON object per line: the stack line of bench_common.start, then {"op", "dtype",
"seconds", "gflop"} (median of R runs; the whole reconstruction runs once), then
{"op": "peak RSS", "dtype": "", "seconds": 0, "gflop": GiB}.
bf16 runs under torch.autocast("cpu", dtype=torch.bfloat16), as a PyTorch user would.
"""
import argparse
import contextlib
import json
import time

import torch
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


def emit(op, dtype, seconds):
    print(json.dumps({"op": op, "dtype": dtype, "seconds": seconds, "gflop": GFLOP[op]}), flush=True)


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
