"""Writes the DFG fine-tuning fixtures for Tests/AGFASDFGTrainingTests from real diffusers + peft.

    VENV/bin/python scripts/make_finetune_fixtures.py            # write the fixtures
    VENV/bin/python scripts/make_finetune_fixtures.py --check-lora FILE --base UNET_DIR --check-unet DIR

(diffusers 0.42.1, peft 0.21.2, torch 2.15 were used.) A tiny UNet2DConditionModel (the
shape of unet_tiny in the diffusion tests) takes the steps of diffusers'
`train_text_to_image_lora.py` / `train_text_to_image.py` on a fixed batch: noisy latents from
DDPMScheduler.add_noise at per-sample timesteps, the UNet's prediction against the target of
the scheduler's prediction type, F.mse_loss in fp32, backward, clip_grad_norm_, torch.optim.AdamW,
and for the full fine-tune diffusers' EMAModel. Into finetune_tiny.safetensors:

- `base/sd.<key>`: the UNet's initial weights; `batch<k>/{z0,noise,timesteps,context}` for k = 1, 2.
- `lora/...` (epsilon): peft LoRA r=4 on to_q/to_k/to_v/to_out.0 (lora_B drawn non-zero so
  every adapter has a gradient), one step at lr 1e-2 with max_grad_norm 0.05 (so clipping acts):
  `init.<peft key>`, `loss`, `grad.<peft key>` (before clipping), `norm` (clip_grad_norm_'s
  total), `after.<peft key>`, `file.<key>` (what StableDiffusionPipeline.save_lora_weights
  wrote), and `loaded_out` (a fresh base UNet with that file loaded through
  `load_lora_adapter`, on batch 1).
- `full/...` (v_prediction): every weight trains, two steps (batch 1 then batch 2) at lr 1e-3,
  max_grad_norm 1.0, EMA decay 0.9999: `loss1`, `loss2`, `norm1`, `grad1.<key>`, `after.<key>`,
  `ema.<key>`; the config diffusers writes for the EMA folder is the case metadata.
- `schedule/<name>`: get_scheduler's learning rates for 12 optimizer steps with 4 warm-up steps
  (constant, constant_with_warmup, cosine, linear).

For the run tests (`finetune-dfg` on tiny models): `faces/face<k>.png`, 16 generated 32x32
"faces" (an ellipse of skin colour, eyes, a mouth, lighting that varies), and `vae/`, the
tiny AutoencoderKL of the DFG test models (`VAE`) trained here for 600 Adam steps to
reconstruct such faces, so that pixel PSNR measures the UNet and not a random decoder.

`--check-*` loads files `agfas finetune-dfg` wrote into diffusers: the LoRA file through
`load_lora_adapter` onto the `--base` UNet, compared with the same adapters merged by hand;
the folder through `from_pretrained`, compared with the file's tensors.
"""
import argparse
import json
import math
import pathlib
import random
import struct
import sys
import tempfile
import zlib

import torch
import torch.nn.functional as F
from diffusers import AutoencoderKL, DDPMScheduler, StableDiffusionPipeline, UNet2DConditionModel
from diffusers.optimization import get_scheduler
from diffusers.training_utils import EMAModel
from diffusers.utils import convert_state_dict_to_diffusers
from peft import LoraConfig
from peft.utils import get_peft_model_state_dict
from safetensors.torch import load_file, save_file

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from make_unet_fixtures import TINY, randomize_norms  # noqa: E402  (the tiny UNet of the diffusion tests)

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "AGFASDFGTrainingTests" / "Fixtures"

# Stable Diffusion 1.5's scheduler betas (DDPMScheduler is what the training scripts build).
SCHEDULER = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear")
LORA_TARGETS = ["to_k", "to_q", "to_v", "to_out.0"]
# The DFG test models' tiny VAE (scripts/make_dfg_pipeline_fixtures.py).
VAE = dict(block_out_channels=(8, 16, 16), down_block_types=("DownEncoderBlock2D",) * 3,
           up_block_types=("UpDecoderBlock2D",) * 3, latent_channels=4, layers_per_block=1, norm_num_groups=4,
           sample_size=32)


def base_unet():
    torch.manual_seed(0)
    model = UNet2DConditionModel(**TINY)
    randomize_norms(model)
    return model


def batches():
    g = torch.Generator().manual_seed(1)
    out = []
    for _ in range(2):
        out.append(dict(
            z0=torch.randn(2, 4, 16, 16, generator=g), noise=torch.randn(2, 4, 16, 16, generator=g),
            timesteps=torch.randint(0, 1000, (2,), generator=g), context=torch.randn(2, 7, 24, generator=g)))
    return out


def loss_of(unet, scheduler, b):
    noisy = scheduler.add_noise(b["z0"], b["noise"], b["timesteps"])
    if scheduler.config.prediction_type == "epsilon":
        target = b["noise"]
    else:
        target = scheduler.get_velocity(b["z0"], b["noise"], b["timesteps"])
    pred = unet(noisy, b["timesteps"], b["context"]).sample
    return F.mse_loss(pred.float(), target.float(), reduction="mean")


def lora_case(tensors, meta, data):
    scheduler = DDPMScheduler(**SCHEDULER, prediction_type="epsilon")
    unet = base_unet()
    unet.requires_grad_(False)
    torch.manual_seed(2)
    unet.add_adapter(LoraConfig(r=4, lora_alpha=4, init_lora_weights="gaussian", target_modules=LORA_TARGETS))
    with torch.no_grad():
        for name, p in unet.named_parameters():
            if "lora_B" in name:
                p.copy_(0.1 * torch.randn_like(p))
    params = [p for p in unet.parameters() if p.requires_grad]
    init = get_peft_model_state_dict(unet)
    tensors.update({f"lora/init.{k}": v.clone() for k, v in init.items()})
    optimizer = torch.optim.AdamW(params, lr=1e-2, betas=(0.9, 0.999), weight_decay=1e-2, eps=1e-8, foreach=False)
    loss = loss_of(unet, scheduler, data[0])
    loss.backward()
    names = {id(p): n for n, p in unet.named_parameters()}
    for p in params:
        tensors[f"lora/grad.{peft_key(names[id(p)])}"] = p.grad.clone()
    norm = torch.nn.utils.clip_grad_norm_(params, 0.05)
    optimizer.step()
    tensors["lora/loss"] = loss.detach().reshape(1)
    tensors["lora/norm"] = norm.detach().reshape(1)
    after = get_peft_model_state_dict(unet)
    tensors.update({f"lora/after.{k}": v.clone() for k, v in after.items()})
    with tempfile.TemporaryDirectory() as d:
        StableDiffusionPipeline.save_lora_weights(
            d, unet_lora_layers=convert_state_dict_to_diffusers(after), safe_serialization=True)
        path = pathlib.Path(d) / "pytorch_lora_weights.safetensors"
        tensors.update({f"lora/file.{k}": v for k, v in load_file(path).items()})
        fresh = base_unet()
        fresh.load_lora_adapter(str(path), prefix="unet")
        with torch.no_grad():
            b = data[0]
            tensors["lora/loaded_out"] = fresh(
                scheduler.add_noise(b["z0"], b["noise"], b["timesteps"]), b["timesteps"], b["context"]).sample
    meta["lora"] = json.dumps(dict(rank=4, alpha=4, lr=1e-2, max_grad_norm=0.05, prediction_type="epsilon"))


def peft_key(name):
    """A parameter name of a peft-wrapped module as get_peft_model_state_dict names it."""
    return name.replace(".default", "")


def full_case(tensors, meta, data):
    scheduler = DDPMScheduler(**SCHEDULER, prediction_type="v_prediction")
    unet = base_unet()
    ema = EMAModel(unet.parameters(), decay=0.9999, model_cls=UNet2DConditionModel, model_config=unet.config)
    optimizer = torch.optim.AdamW(unet.parameters(), lr=1e-3, weight_decay=1e-2, foreach=False)
    for step, b in enumerate(data, start=1):
        optimizer.zero_grad()
        loss = loss_of(unet, scheduler, b)
        loss.backward()
        if step == 1:
            tensors.update({f"full/grad1.{n}": p.grad.clone() for n, p in unet.named_parameters()})
        norm = torch.nn.utils.clip_grad_norm_(unet.parameters(), 1.0)
        optimizer.step()
        ema.step(unet.parameters())
        tensors[f"full/loss{step}"] = loss.detach().reshape(1)
        tensors[f"full/norm{step}"] = norm.detach().reshape(1)
    tensors.update({f"full/after.{k}": v.clone() for k, v in unet.state_dict().items()})
    with tempfile.TemporaryDirectory() as d:
        ema.save_pretrained(d)
        config = json.loads((pathlib.Path(d) / "config.json").read_text())
        tensors.update({f"full/ema.{k}": v for k, v in load_file(pathlib.Path(d) / "diffusion_pytorch_model.safetensors").items()})
    meta["full"] = json.dumps(dict(lr=1e-3, max_grad_norm=1.0, ema_decay=0.9999, prediction_type="v_prediction",
                                   ema_config=config))


def schedules(tensors, meta):
    for name in ["constant", "constant_with_warmup", "cosine", "linear"]:
        p = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([p], lr=0.5)
        sched = get_scheduler(name, optimizer=opt, num_warmup_steps=4, num_training_steps=12)
        lrs = []
        for _ in range(12):
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        tensors[f"schedule/{name}"] = torch.tensor(lrs)
    meta["schedule"] = json.dumps(dict(base=0.5, warmup=4, steps=12))


def face(k, n=32):
    """Generated face k as rows of RGB bytes: a lit ellipse of skin, eyes, a mouth."""
    r = random.Random(k)
    skin = [r.randint(150, 230), r.randint(110, 180), r.randint(90, 150)]
    bg = [r.randint(20, 90)] * 3
    cx, cy, light = 16 + r.uniform(-2, 2), 17 + r.uniform(-2, 2), r.uniform(-0.4, 0.4)
    rows = []
    for y in range(n):
        row = []
        for x in range(n):
            dx, dy = (x - cx) / 11, (y - cy) / 14
            inside = dx * dx + dy * dy < 1
            c = [v * (1 + light * dx) for v in skin] if inside else bg
            if inside and (abs(x - cx + 5) < 2 or abs(x - cx - 5) < 2) and abs(y - cy + 4) < 2:
                c = [30, 30, 40]
            if inside and abs(x - cx) < 4 and abs(y - cy - 6) < 1:
                c = [120, 40, 50]
            row += [max(0, min(255, int(v))) for v in c]
        rows.append(row)
    return rows


def write_png(path, rows):
    raw = b"".join(b"\x00" + bytes(r) for r in rows)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", len(rows[0]) // 3, len(rows), 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9))
                     + chunk(b"IEND", b""))


def faces_and_vae():
    (OUT / "faces").mkdir(parents=True, exist_ok=True)
    images = []
    for k in range(16):
        rows = face(k)
        write_png(OUT / "faces" / f"face{k:02d}.png", rows)
        images.append(torch.tensor(rows, dtype=torch.float32).reshape(32, 32, 3).permute(2, 0, 1) / 127.5 - 1)
    x = torch.stack(images)
    torch.manual_seed(3)
    vae = AutoencoderKL(**VAE)
    optimizer = torch.optim.Adam(vae.parameters(), lr=2e-3)
    for step in range(600):
        posterior = vae.encode(x).latent_dist
        loss = F.mse_loss(vae.decode(posterior.sample()).sample, x) + 1e-6 * posterior.kl().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        mse = F.mse_loss(vae.decode(vae.encode(x).latent_dist.mean).sample.clamp(-1, 1), x)
    print(f"tiny VAE round trip: {10 * math.log10(4 / float(mse)):.1f} dB")
    vae.save_pretrained(OUT / "vae")


def write():
    data = batches()
    tensors, meta = {}, {}
    tensors.update({f"base/sd.{k}": v.clone() for k, v in base_unet().state_dict().items()})
    for k, b in enumerate(data, start=1):
        tensors.update({f"batch{k}/{n}": v for n, v in b.items()})
    meta["base"] = json.dumps(dict(config=dict(base_unet().config), scheduler=SCHEDULER))
    lora_case(tensors, meta, data)
    full_case(tensors, meta, data)
    schedules(tensors, meta)
    faces_and_vae()
    # All fp32 (timesteps too: exact below 2^24) so every reader takes them.
    tensors = {k: v.to(torch.float32).contiguous() for k, v in tensors.items()}
    OUT.mkdir(parents=True, exist_ok=True)
    save_file(tensors, OUT / "finetune_tiny.safetensors", metadata=meta)
    print(f"wrote {OUT / 'finetune_tiny.safetensors'} ({len(tensors)} tensors)")


def check(lora, base, folder):
    """Loads what AGFAS wrote into diffusers and says whether it means what AGFAS meant."""
    torch.manual_seed(0)
    if lora:
        unet = UNet2DConditionModel.from_pretrained(base)
        config = unet.config
        x = torch.randn(1, config.in_channels, 8, 8)
        width = config.cross_attention_dim
        context = torch.randn(1, 5, width if isinstance(width, int) else width[0])
        t = torch.tensor([500])
        merged = UNet2DConditionModel.from_pretrained(base)
        weights = load_file(lora)
        from safetensors import safe_open
        with safe_open(lora, "pt") as f:
            meta = json.loads((f.metadata() or {}).get("lora_adapter_metadata", "{}"))
        scale = meta.get("unet.lora_alpha", 1) / meta.get("unet.r", 1)
        with torch.no_grad():
            for key, down in weights.items():
                if key.endswith(".lora.down.weight"):
                    module = key[len("unet."):-len(".lora.down.weight")]
                    up = weights[key.replace(".lora.down.", ".lora.up.")]
                    merged.get_submodule(module).weight += scale * (up @ down)
            expected = merged(x, t, context).sample
        unet.load_lora_adapter(lora, prefix="unet")
        with torch.no_grad():
            out = unet(x, t, context).sample
        print(f"lora {lora} (scale {scale}): load_lora_adapter vs merged by hand: max |diff| {float((out - expected).abs().max()):.2e}")
    if folder:
        unet = UNet2DConditionModel.from_pretrained(folder)
        weights = load_file(pathlib.Path(folder) / "diffusion_pytorch_model.safetensors")
        same = all(torch.equal(unet.state_dict()[k], v) for k, v in weights.items())
        print(f"folder {folder}: from_pretrained loaded {len(weights)} tensors, all equal to the file: {same}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--check-lora")
    parser.add_argument("--base", help="the UNet folder the LoRA was trained on")
    parser.add_argument("--check-unet")
    args = parser.parse_args()
    if args.check_lora or args.check_unet:
        check(args.check_lora, args.base, args.check_unet)
    else:
        write()
