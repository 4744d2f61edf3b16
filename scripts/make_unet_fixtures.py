"""Writes the UNet fixtures for the Swift tests from real diffusers 0.16.1.

    /work/venv/bin/python scripts/make_unet_fixtures.py

Into Tests/AGFASDiffusionTests/Fixtures/:
- unet_tiny.safetensors, unet_linear.safetensors: a tiny random UNet2DConditionModel each
  (state dict under `fp32/sd.<key>`, inputs, outputs; the config as each case's JSON).
  `tiny`: conv projections, int attention_head_dim, CrossAttnDown+Down / Up+CrossAttnUp,
  batch 2 with per-sample timesteps 801 and 1, fp32 and bf16 (the model cast to bf16), plus
  the input gradients of sum(out * gout). `linear`: use_linear_projection, a per-block
  attention_head_dim list, only_cross_attention in block 0, two layers per block, downsample_padding 0, flip_sin_to_cos off
  and freq_shift 1, a non-square sample and a fractional scalar timestep.
- unet_timesteps.safetensors: get_timestep_embedding for several settings.
- unet_tiny.config.json: the `tiny` model's config.json as diffusers saves it.
- unet_sd15.config.json: Stable Diffusion 1.5's unet/config.json values, saved by diffusers
  with every 0.16.1 key, plus the EMA keys an `unet_ema` folder carries.
- unet_sd15.keys.json: every state-dict key of that model with its shape (built on the meta
  device; no weights).
"""
import json
import pathlib
import sys
import tempfile

import torch

ROOT = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "fixtures"))
from common import FixtureFile  # noqa: E402
from diffusers import UNet2DConditionModel  # noqa: E402
from diffusers.models.embeddings import get_timestep_embedding  # noqa: E402

OUT = ROOT.parent / "Tests" / "AGFASDiffusionTests" / "Fixtures"

TINY = dict(
    sample_size=16,
    block_out_channels=(16, 32),
    layers_per_block=1,
    norm_num_groups=8,
    cross_attention_dim=24,
    attention_head_dim=2,
    down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
)

LINEAR = dict(
    sample_size=12,
    block_out_channels=(8, 16),
    layers_per_block=2,
    norm_num_groups=4,
    cross_attention_dim=24,
    attention_head_dim=[2, 4],
    use_linear_projection=True,
    only_cross_attention=[True, False],
    downsample_padding=0,
    flip_sin_to_cos=False,
    freq_shift=1,
    down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
    up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
)

# Stable Diffusion 1.5's unet/config.json (runwayml/stable-diffusion-v1-5).
SD15 = dict(
    act_fn="silu",
    attention_head_dim=8,
    block_out_channels=[320, 640, 1280, 1280],
    center_input_sample=False,
    cross_attention_dim=768,
    down_block_types=["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
    downsample_padding=1,
    flip_sin_to_cos=True,
    freq_shift=0,
    in_channels=4,
    layers_per_block=2,
    mid_block_scale_factor=1,
    norm_eps=1e-05,
    norm_num_groups=32,
    out_channels=4,
    sample_size=64,
    up_block_types=["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
)

# diffusers' EMAModel.save_pretrained adds these to unet_ema/config.json; UNet ignores them.
EMA_KEYS = dict(decay=0.9999, inv_gamma=1.0, min_decay=0.0, optimization_step=150000, power=0.6666666666666666,
                update_after_step=0, use_ema_warmup=False)


def saved_config(model):
    """The config.json diffusers writes for `model` (every key of this version)."""
    with tempfile.TemporaryDirectory() as d:
        model.save_config(d)
        return json.loads((pathlib.Path(d) / "config.json").read_text())


def randomize_norms(model):
    """Fresh norms are ones/zeros; random affine values prove each is read and applied."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ".norm" in name or name.startswith("conv_norm_out"):
                if name.endswith("weight"):
                    p.copy_(1 + 0.2 * torch.randn_like(p))
                else:
                    p.copy_(0.1 * torch.randn_like(p))


def unet_case(fx, case, model, sample, timestep, context, dtype=torch.float32, grads=False):
    m = model.to(dtype)
    sample = sample.detach().to(dtype).requires_grad_(grads)
    context = context.detach().to(dtype).requires_grad_(grads)
    out = m(sample, timestep, context).sample
    record = {"in.sample": sample, "in.context": context, "out": out}
    if isinstance(timestep, torch.Tensor):
        record["in.timestep"] = timestep
    if grads:
        gout = torch.randn_like(out)
        out.backward(gout)
        record.update({"gout": gout, "grad.sample": sample.grad, "grad.context": context.grad})
    if dtype == torch.float32:
        record.update({f"sd.{k}": v for k, v in m.state_dict().items()})
    params = {"config": saved_config(m), "dtype": str(dtype).removeprefix("torch.")}
    if not isinstance(timestep, torch.Tensor):
        params["timestep"] = timestep
    fx.add(case, params, **record)


def tiny():
    torch.manual_seed(0)
    model = UNet2DConditionModel(**TINY).eval()
    randomize_norms(model)
    sample, context = torch.randn(2, 4, 16, 16), torch.randn(2, 7, 24)
    timestep = torch.tensor([801.0, 1.0])
    fx = FixtureFile("unet_tiny")
    unet_case(fx, "fp32", model, sample, timestep, context, grads=True)
    with torch.no_grad():
        unet_case(fx, "bf16", model, sample, timestep, context, dtype=torch.bfloat16)
    (OUT / "unet_tiny.config.json").write_text(json.dumps(saved_config(model), indent=2, sort_keys=True) + "\n")
    return fx


def linear():
    torch.manual_seed(1)
    model = UNet2DConditionModel(**LINEAR).eval()
    randomize_norms(model)
    fx = FixtureFile("unet_linear")
    with torch.no_grad():
        unet_case(fx, "fp32", model, torch.randn(1, 4, 12, 10), 500.5, torch.randn(1, 7, 24))
    return fx


def timesteps():
    fx = FixtureFile("unet_timesteps")
    t = torch.tensor([0.0, 1.0, 801.0, 999.0, 0.5])
    for dim, flip, shift in [(32, True, 0), (32, False, 1), (7, True, 1), (320, True, 0)]:
        emb = get_timestep_embedding(t, dim, flip_sin_to_cos=flip, downscale_freq_shift=shift)
        fx.add(f"dim{dim}_flip{int(flip)}_shift{shift}", {"dim": dim, "flip": flip, "shift": shift},
               **{"in.timesteps": t, "out": emb})
    return fx


def sd15():
    with torch.device("meta"):
        model = UNet2DConditionModel(**SD15)
    config = saved_config(model)
    config.update(EMA_KEYS)
    (OUT / "unet_sd15.config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    keys = {k: list(v.shape) for k, v in model.state_dict().items()}
    lines = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in keys.items())
    (OUT / "unet_sd15.keys.json").write_text("{\n" + lines + "\n}\n")
    print(f"SD-1.5 UNet: {len(keys)} keys, {sum(p.numel() for p in model.parameters())} parameters")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for fx in (tiny(), linear(), timesteps()):
        path = fx.save(OUT)
        print(f"wrote {path} ({pathlib.Path(path).stat().st_size // 1024} KiB)")
    sd15()


if __name__ == "__main__":
    main()
