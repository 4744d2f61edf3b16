"""Writes the whole-DFG fixtures (Tests/AGFASDFGTests/Fixtures/): tiny random models saved in
the reference's model layout by the real libraries (models/: diffusers save_pretrained folders,
scheduler_config.json, torch.save'd backbone.pth), two face PNGs (faces/), and
pipeline.safetensors with what the reference reconstruction (docs/method.md §2) computes.

The reference loop is the AG-FAS one: torch.manual_seed(seed) per face; identity tokens from
the iresnet; VAE posterior sample (torch's global generator) * 0.18215; noise = torch.randn;
add_noise at the first PNDM timestep <= strength; every remaining timestep through the UNet
and scheduler.step; decode(z / 0.18215); image = round(255 * clamp(x / 2 + 0.5, 0, 1)).
"""
import json
import pathlib
import shutil
import sys

import numpy as np
from PIL import Image

import torch
from diffusers import AutoencoderKL, PNDMScheduler, UNet2DConditionModel
from safetensors.torch import save_file

ROOT = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
from make_arcface_fixtures import IResNet, identity_condition, randomize  # noqa: E402

OUT = ROOT.parent / "Tests" / "AGFASDFGTests" / "Fixtures"
TOKEN_DIM = 48
SCHEDULER = {"_class_name": "PNDMScheduler", "beta_end": 0.012, "beta_schedule": "scaled_linear",
             "beta_start": 0.00085, "clip_sample": False, "num_train_timesteps": 1000,
             "set_alpha_to_one": False, "skip_prk_steps": True, "steps_offset": 1, "trained_betas": None}
UNET = dict(sample_size=8, in_channels=4, out_channels=4, layers_per_block=1, block_out_channels=(16, 32),
            down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
            up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"), cross_attention_dim=TOKEN_DIM,
            attention_head_dim=4, norm_num_groups=4)
VAE = dict(in_channels=3, out_channels=3, down_block_types=("DownEncoderBlock2D",) * 3,
           up_block_types=("UpDecoderBlock2D",) * 3, block_out_channels=(8, 16, 16), layers_per_block=1,
           latent_channels=4, norm_num_groups=4, sample_size=32)
ARCFACE = {"layers": [1, 1, 1, 1], "base_width": 4}


def reconstruct(face, seed, unet, vae, arcface, strength=801, steps=50):
    torch.manual_seed(seed)
    cond = identity_condition(arcface, face, TOKEN_DIM)[1]
    z0 = vae.encode(face).latent_dist.sample() * 0.18215
    noise = torch.randn(z0.shape)
    scheduler = PNDMScheduler.from_config(SCHEDULER)
    scheduler.set_timesteps(steps)
    timesteps = [t for t in scheduler.timesteps if t <= strength]
    z = scheduler.add_noise(z0, noise, torch.tensor([int(timesteps[0])]))
    for t in timesteps:
        eps = unet(z, t, encoder_hidden_states=cond).sample
        z = scheduler.step(eps, t, z).prev_sample
    x = vae.decode(z / 0.18215).sample
    image = (x / 2 + 0.5).clamp(0, 1).mul(255).round()
    return z0, z, x, image, len(timesteps)


def main():
    torch.manual_seed(0)
    unet = UNet2DConditionModel(**UNET).eval()
    vae = AutoencoderKL(**VAE).eval()
    # A small embedding head keeps backbone.pth small; the DFG ignores fc/features anyway.
    arcface = IResNet(ARCFACE["layers"], width=ARCFACE["base_width"], num_features=8).eval()
    randomize(arcface)
    faces = torch.rand(2, 3, 32, 32) * 2 - 1
    seeds = [7, 2024]
    tensors = {"faces": faces}
    with torch.no_grad():
        for i, seed in enumerate(seeds):
            z0, z, x, image, calls = reconstruct(faces[i:i + 1], seed, unet, vae, arcface)
            tensors.update({f"face{i}/z0": z0, f"face{i}/latent": z, f"face{i}/decoded": x, f"face{i}/image": image})
    models = OUT / "models"
    if models.exists():
        shutil.rmtree(models)
    unet.save_pretrained(models / "sd-models-for-AG-FAS" / "checkpoint-150000" / "unet_ema")
    vae.save_pretrained(models / "stable-diffusion-v1-5" / "vae")
    (models / "stable-diffusion-v1-5" / "scheduler").mkdir(parents=True)
    (models / "stable-diffusion-v1-5" / "scheduler" / "scheduler_config.json").write_text(json.dumps(SCHEDULER))
    torch.save(arcface.state_dict(), models / "backbone.pth")

    # The CLI's input: the faces as 8-bit PNGs in a tree; every face uses --seed 7.
    shutil.rmtree(OUT / "faces", ignore_errors=True)
    with torch.no_grad():
        for i, rel in enumerate(["live/v1/0.png", "spoof/v2/0.png"]):
            pixels = ((faces[i] / 2 + 0.5).clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()
            (OUT / "faces" / rel).parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(np.ascontiguousarray(pixels)).save(OUT / "faces" / rel)
            face = torch.from_numpy(pixels).permute(2, 0, 1)[None].float() / 255 * 2 - 1
            tensors[f"cli{i}/image"] = reconstruct(face, 7, unet, vae, arcface)[3]
    meta = {"seeds": json.dumps(seeds), "token_dim": str(TOKEN_DIM), "unet_calls": str(calls)}
    OUT.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, OUT / "pipeline.safetensors", metadata=meta)
    print(OUT / "pipeline.safetensors", (OUT / "pipeline.safetensors").stat().st_size // 1024, "KiB; calls", calls)


if __name__ == "__main__":
    main()
