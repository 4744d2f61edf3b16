"""Writes the AutoencoderKL (SD VAE) fixtures for the Swift tests from real diffusers 0.16.1.

    /work/venv/bin/python scripts/make_vae_fixtures.py

Into Tests/AGFASDiffusionTests/Fixtures/:
- vae_tiny.safetensors: a tiny random AutoencoderKL's state dict under both attention
  spellings (`weights_legacy/`: diffusers 0.16.1's query/key/value/proj_attn;
  `weights_new/`: later diffusers' to_q/to_k/to_v/to_out.0) and, per case, the input image,
  posterior mean/logvar/std, the noise `sample()` drew (torch.manual_seed(seed) then randn
  of the mean's shape), the sample, and the decoder output of that sample. The bf16 case
  runs the same model after `.to(torch.bfloat16)`; `grad_b1` holds the gradients of a
  random projection of decode(sample(encode(x))) for x and a few parameters.
- vae_tiny_config.json: the tiny model's config.json as diffusers saves it.
- vae_sd15_config.json: Stable Diffusion 1.5's vae/config.json (as published on the hub).
- vae_sd15_keys.json: every state-dict key of diffusers' AutoencoderKL built from that
  config, with its shape (no weights).
"""
import json
import pathlib
import sys

import torch

ROOT = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "fixtures"))
from common import FixtureFile  # noqa: E402
from diffusers import AutoencoderKL  # noqa: E402

OUT = ROOT.parent / "Tests" / "AGFASDiffusionTests" / "Fixtures"

# runwayml/stable-diffusion-v1-5 vae/config.json; it has no scaling_factor (the default 0.18215).
SD15 = {
    "_class_name": "AutoencoderKL",
    "_diffusers_version": "0.6.0",
    "act_fn": "silu",
    "block_out_channels": [128, 256, 512, 512],
    "down_block_types": ["DownEncoderBlock2D"] * 4,
    "in_channels": 3,
    "latent_channels": 4,
    "layers_per_block": 2,
    "norm_num_groups": 32,
    "out_channels": 3,
    "sample_size": 512,
    "up_block_types": ["UpDecoderBlock2D"] * 4,
}

# Three levels so both a down/up sampled level and a final level exist on each side; fewer
# channels than SD keep the two stored state dicts under 1 MB together.
TINY = {
    "block_out_channels": [8, 16, 16],
    "down_block_types": ["DownEncoderBlock2D"] * 3,
    "up_block_types": ["UpDecoderBlock2D"] * 3,
    "layers_per_block": 1,
    "norm_num_groups": 4,
    "latent_channels": 4,
}

# diffusers >= 0.18 saves the VAE mid-block attention under the Attention class's names.
NEW_NAMES = {"query": "to_q", "key": "to_k", "value": "to_v", "proj_attn": "to_out.0"}


def new_spelling(key):
    parts = key.split(".")
    if "attentions" in parts and len(parts) >= 2 and parts[-2] in NEW_NAMES:
        parts[-2] = NEW_NAMES[parts[-2]]
    return ".".join(parts)


def run_case(fx, name, vae, x, seed):
    with torch.no_grad():
        posterior = vae.encode(x).latent_dist
        torch.manual_seed(seed)
        sample = posterior.sample()
        torch.manual_seed(seed)
        noise = torch.randn(posterior.mean.shape, dtype=posterior.mean.dtype)
        decoded = vae.decode(sample).sample
    assert torch.equal(sample, posterior.mean + posterior.std * noise)
    fx.add(name, {"seed": seed, "dtype": str(x.dtype)}, x=x, mean=posterior.mean, logvar=posterior.logvar,
           std=posterior.std, noise=noise, sample=sample, decoded=decoded)


GRAD_PARAMS = ["encoder.conv_in.weight", "encoder.mid_block.attentions.0.query.weight", "decoder.conv_out.bias"]


def gradient_case(fx, name, vae, x, noise):
    """Gradients of <decode(sample(encode(x))), gout> for x and a few parameters."""
    x = x.clone().requires_grad_(True)
    vae.zero_grad()
    posterior = vae.encode(x).latent_dist
    out = vae.decode(posterior.mean + posterior.std * noise).sample
    gout = torch.randn_like(out)
    out.backward(gout)
    params = dict(vae.named_parameters())
    grads = {f"grad.{k}": params[k].grad for k in GRAD_PARAMS}
    fx.add(name, {"params": GRAD_PARAMS}, x=x, noise=noise, out=out, gout=gout, **{"grad.x": x.grad}, **grads)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    vae = AutoencoderKL(**TINY).eval()
    # Non-default norms/biases so a mis-wired affine shows up.
    with torch.no_grad():
        for n, p in vae.named_parameters():
            if "norm" in n:
                p.add_(0.1 * torch.randn_like(p))
    fx = FixtureFile("vae_tiny")
    state = vae.state_dict()
    fx.add("weights_legacy", {}, **state)
    fx.add("weights_new", {}, **{new_spelling(k): v for k, v in state.items()})
    run_case(fx, "fp32_b1", vae, torch.randn(1, 3, 32, 32), seed=7)
    # Batch 2, non-square: the padded stride-2 downsampling rounds each side on its own.
    run_case(fx, "fp32_b2", vae, torch.randn(2, 3, 24, 40), seed=8)
    gradient_case(fx, "grad_b1", vae, torch.randn(1, 3, 16, 24), torch.randn(1, 4, 4, 6))
    vae_bf16 = AutoencoderKL(**TINY).eval()
    vae_bf16.load_state_dict(state)
    vae_bf16.to(torch.bfloat16)
    run_case(fx, "bf16_b1", vae_bf16, torch.randn(1, 3, 32, 32).to(torch.bfloat16), seed=9)
    print(fx.save(OUT), len(fx.meta), "cases")

    tiny_config = dict(vae.config)
    tiny_config["_class_name"] = "AutoencoderKL"
    tiny_config["_diffusers_version"] = "0.16.1"
    (OUT / "vae_tiny_config.json").write_text(json.dumps(tiny_config, indent=2, sort_keys=True) + "\n")

    (OUT / "vae_sd15_config.json").write_text(json.dumps(SD15, indent=2, sort_keys=True) + "\n")
    config = {k: v for k, v in SD15.items() if not k.startswith("_")}
    full = AutoencoderKL(**config)
    shapes = {k: list(v.shape) for k, v in full.state_dict().items()}
    (OUT / "vae_sd15_keys.json").write_text(json.dumps(shapes, indent=1, sort_keys=True) + "\n")
    print("sd15:", len(shapes), "keys,", sum(p.numel() for p in full.parameters()), "parameters")


if __name__ == "__main__":
    main()
