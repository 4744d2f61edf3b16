"""Writes the DFG (diffusion) fixtures for the Swift tests from real diffusers 0.16.1.

    python3 scripts/make_dfg_fixtures.py

Writes Tests/AGFASDiffusionTests/Fixtures/schedulers.safetensors: diffusers' noise schedule,
its timesteps, and every step of PNDM and DDIM driven the way the AG-FAS reference drives them
(start at t <= 801 of a 50-step schedule), on random "model outputs" that are stored too.
"""
import json
import pathlib
import sys

import torch

ROOT = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "fixtures"))
from common import FixtureFile  # noqa: E402
from diffusers import DDIMScheduler, PNDMScheduler  # noqa: E402

OUT = ROOT.parent / "Tests" / "AGFASDiffusionTests" / "Fixtures"

SD15 = {
    "_class_name": "PNDMScheduler",
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "beta_start": 0.00085,
    "clip_sample": False,
    "num_train_timesteps": 1000,
    "set_alpha_to_one": False,
    "skip_prk_steps": True,
    "steps_offset": 1,
    "trained_betas": None,
}


def drive(fx, name, scheduler, steps, strength, shape=(1, 4, 5, 6)):
    scheduler.set_timesteps(steps)
    timesteps = [int(t) for t in scheduler.timesteps if t <= strength]
    sample = torch.randn(shape)
    record = {"sample0": sample}
    for i, t in enumerate(timesteps):
        eps = torch.randn(shape)
        sample = scheduler.step(eps, t, sample).prev_sample
        record[f"eps{i}"] = eps
        record[f"sample{i + 1}"] = sample
    fx.add(name, {"steps": steps, "strength": strength, "timesteps": timesteps,
                  "all_timesteps": [int(t) for t in scheduler.timesteps]}, **record)


def main():
    torch.manual_seed(0)
    OUT.mkdir(parents=True, exist_ok=True)
    fx = FixtureFile("schedulers")
    pndm = PNDMScheduler.from_config(SD15)
    fx.add("schedule_sd15", {"config": SD15}, alphas_cumprod=pndm.alphas_cumprod,
           final=pndm.final_alpha_cumprod.reshape(1))
    drive(fx, "pndm_50_801", pndm, 50, 801)
    drive(fx, "pndm_50_full", PNDMScheduler.from_config(SD15), 50, 1000)
    drive(fx, "pndm_20_601", PNDMScheduler.from_config(SD15), 20, 601)
    drive(fx, "ddim_50_801", DDIMScheduler.from_config(SD15), 50, 801)
    linear = dict(SD15, beta_schedule="linear", beta_start=0.0001, beta_end=0.02, clip_sample=True)
    drive(fx, "ddim_linear_clip_25_1000", DDIMScheduler.from_config(linear), 25, 1000)
    x0, noise = torch.randn(1, 4, 5, 6), torch.randn(1, 4, 5, 6)
    fx.add("add_noise_801", {"timestep": 801}, x0=x0, noise=noise,
           noisy=pndm.add_noise(x0, noise, torch.tensor([801])))
    print(fx.save(OUT), len(fx.meta), "cases")


if __name__ == "__main__":
    main()
