"""PyTorch side of `agfas bench finetune`: one DFG fine-tuning step at SD-1.5 size, random weights.

    python3 scripts/bench_finetune_torch.py --threads N --repeat R [--dtypes fp32,bf16] [--no-full]

The step of diffusers' train_text_to_image_lora.py (also with --gradient_checkpointing) (LoRA r=4 on to_q/to_k/to_v/to_out.0 through
peft, the UNet frozen) and train_text_to_image.py --use_ema (full), on 256-pixel faces: latents
[1, 4, 32, 32], the DFG's identity tokens [1, 49, 768], DDPMScheduler.add_noise at a timestep,
F.mse_loss, backward, clip_grad_norm_(1.0), torch.optim.AdamW (lr 1e-4, weight decay 1e-2) and,
in the full step, EMAModel.step. bf16 as the scripts run it with --mixed_precision bf16: the
frozen UNet cast to bf16, trained weights fp32, the forward under torch.autocast. Prints the
stack line of bench_common.start, {"op", "dtype", "seconds", "gflop"} per step (median of R
after one warm-up) and {"note"} lines with the peak resident memory of each. Each step kind
runs in a process of its own, so every peak is its own and memory is returned in between.
"""
import argparse
import contextlib
import ctypes
import gc
import json
import pathlib
import subprocess
import sys

import torch
import torch.nn.functional as F
from diffusers import DDPMScheduler, UNet2DConditionModel
from diffusers.training_utils import EMAModel
from peft import LoraConfig

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from bench_common import median_time, start  # noqa: E402
from make_unet_fixtures import SD15  # noqa: E402

# Same numbers as Sources/AGFASBench/FinetuneBenchmark.swift.
GFLOP = {"lora": 358.0, "full": 537.0}  # the checkpointed LoRA step counts as the plain one
SCHEDULER = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear")


def peak_gib():
    """VmHWM: the peak resident memory since the last reset_peak()."""
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


def reset_peak():
    gc.collect()
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    with contextlib.suppress(OSError):
        pathlib.Path("/proc/self/clear_refs").write_text("5")


def step_fn(mode, dtype, checkpointed=False):
    torch.manual_seed(0)
    unet = UNet2DConditionModel(**SD15)
    if checkpointed:
        unet.enable_gradient_checkpointing()
    ema = None
    if mode == "lora":
        unet.requires_grad_(False)
        if dtype == "bf16":
            unet.to(torch.bfloat16)
        unet.add_adapter(LoraConfig(r=4, lora_alpha=4, init_lora_weights="gaussian",
                                    target_modules=["to_k", "to_q", "to_v", "to_out.0"]))
        for p in unet.parameters():
            if p.requires_grad:
                p.data = p.data.float()
    else:
        ema = EMAModel(unet.parameters(), decay=0.9999)
    unet.train()
    params = [p for p in unet.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=1e-4, weight_decay=1e-2)
    scheduler = DDPMScheduler(**SCHEDULER)
    context = torch.randn(1, 49, 768)
    autocast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if dtype == "bf16" else contextlib.nullcontext
    t = [0]

    def step():
        t[0] = (t[0] + 397) % 1000
        z0, noise = torch.randn(1, 4, 32, 32), torch.randn(1, 4, 32, 32)
        timesteps = torch.tensor([t[0]])
        noisy = scheduler.add_noise(z0, noise, timesteps)
        with autocast():
            pred = unet(noisy, timesteps, context).sample
        loss = F.mse_loss(pred.float(), noise.float())
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        if ema is not None:
            ema.step(unet.parameters())
        optimizer.zero_grad(set_to_none=True)

    return step


def measure(mode, dtype, checkpointed, repeat):
    """Times one step kind in this process (a child of main's: a fresh process per kind, so
    each peak is its own and a full step's 17 GB are gone before the next)."""
    step = step_fn(mode, dtype, checkpointed)
    reset_peak()
    seconds = median_time(step, repeat)
    op = f"{mode} step b1" + (" checkpointed" if checkpointed else "")
    print(json.dumps({"op": op, "dtype": dtype, "seconds": seconds, "gflop": GFLOP[mode]}), flush=True)
    print(json.dumps({"note": f"{op} {dtype}: peak resident memory {peak_gib():.2f} GiB"}), flush=True)


def available_gib():
    for line in pathlib.Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024 / 1024
    return float("inf")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--dtypes", default="fp32,bf16")
    p.add_argument("--no-full", action="store_true")
    p.add_argument("--full-only", action="store_true", help="time the full step alone (by hand)")
    p.add_argument("--one", help="mode,dtype,checkpointed: time one kind in this process (used by main)")
    args = p.parse_args()
    if args.one:
        torch.set_num_threads(args.threads)
        mode, dtype, checkpointed = args.one.split(",")
        measure(mode, dtype, checkpointed == "1", args.repeat)
        return
    start(args.threads, ("diffusers", "peft"))
    steps = [("lora", False), ("lora", True)] + ([] if args.no_full else [("full", False)])
    if args.full_only:
        steps = [("full", False)]
    for mode, checkpointed in steps:
        for dtype in args.dtypes.split(","):
            # A full step holds 20 bytes a weight (17 GB) plus activations: skip rather than be killed.
            if mode == "full" and available_gib() < 19:
                print(json.dumps({"note": f"full step {dtype}: skipped, {available_gib():.1f} GiB available"}), flush=True)
                continue
            child = subprocess.run(
                [sys.executable, __file__, "--threads", str(args.threads), "--repeat", str(args.repeat),
                 "--one", f"{mode},{dtype},{int(checkpointed)}"], capture_output=True, text=True)
            if child.returncode != 0:
                reason = (child.stderr.strip().splitlines() or ["?"])[-1]
                print(json.dumps({"note": f"{mode} {dtype}: failed (exit {child.returncode}): {reason}"}), flush=True)
                continue
            sys.stdout.write(child.stdout)
            sys.stdout.flush()


if __name__ == "__main__":
    main()
