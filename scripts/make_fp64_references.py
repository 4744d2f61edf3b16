"""Writes fp64 results of two fixture computations whose fp32 parity needs a derived tolerance.

    /work/venvs/authors/bin/python scripts/make_fp64_references.py

An fp32 result that sums long, mixed-sign series (a weight gradient sums over every
position; logits come through a training-mode network) differs between two correct
implementations by the rounding of their summation orders, which depends on the kernels the
CPU runs (AVX2 blocks differently from AVX-512). The tests therefore hold AGFAS to the fp64
result with a bound derived from PyTorch's own fp32 distance to it (docs/engine.md,
"Tolerances"). This script reruns the stored fixtures' inputs and weights in float64 with the
same reference code; it checks its fp32 rerun against the stored fp32 outputs first, so the
fp64 numbers are of the very computation the fixtures hold.

Writes:
- Tests/AGFASOANetTests/Fixtures/oanet_fp64.safetensors: the SSDG step of oanet.safetensors
  (`step/logits`, `step/embeddings`, `step/loss.*`, `grad/<key>`, `disc_grad/<key>`).
- Tests/AGFASDiffusionTests/Fixtures/vae_tiny_fp64.safetensors: the `grad_b1` case of
  vae_tiny.safetensors (`grad_b1/out`, `grad_b1/grad.<name>`).
Values are stored as fp32 (their rounding, 6e-8 relative, is far below every bound).
"""
import json
import pathlib
import sys

import torch
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file, save_file

ROOT = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
import make_oanet_fixtures as oa  # noqa: E402
import make_vae_fixtures as va  # noqa: E402

OANET = ROOT.parent / "Tests" / "AGFASOANetTests" / "Fixtures"
VAE = ROOT.parent / "Tests" / "AGFASDiffusionTests" / "Fixtures"


def prefixed(tensors, prefix):
    return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}


def oanet_step(fx, meta, dtype):
    net = oa.OANet(oa.tiny_vit_config(), oa.TINY["cue_width"], oa.TINY["embedding"])
    net.load_state_dict(prefixed(fx, "state/"), strict=False)
    disc = oa.Discriminator(oa.TINY["embedding"], oa.TINY["disc_hidden"], 3)
    disc.load_state_dict(prefixed(fx, "disc/"))
    net.to(dtype).train()
    disc.to(dtype).train()
    step = json.loads(meta["step"])
    labels, domains = torch.tensor(step["labels"]), torch.tensor(step["domains"])
    up = lambda t: F.interpolate(t.to(dtype), scale_factor=4, mode="nearest")
    cue = oa.anomalous_cue(up(fx["step/img_base"]), up(fx["step/rec_base"]))
    triplet_labels = torch.where(labels == 1, torch.zeros_like(domains), domains + 1)
    live = labels == 1
    logits, emb, _, _ = net(cue)
    cls = F.cross_entropy(logits, labels)
    triplet, _ = oa.triplet_loss(emb, triplet_labels)
    mask = fx["step/dropout_mask"].to(dtype)
    adv = F.cross_entropy(disc(emb[live], step["grl_coefficient"], mask), domains[live])
    total = cls + step["triplet_weight"] * triplet + step["adversarial_weight"] * adv
    total.backward()
    out = {"step/logits": logits, "step/embeddings": emb, "step/loss.cls": cls, "step/loss.triplet": triplet,
           "step/loss.adv": adv, "step/loss.total": total}
    for prefix, module in [("grad", net), ("disc_grad", disc)]:
        for k, p in module.named_parameters():
            if p.grad is not None:
                out[f"{prefix}/{k}"] = p.grad
    return {k: v.detach() for k, v in out.items()}


def vae_gradients(fx, dtype):
    vae = va.AutoencoderKL(**va.TINY).eval()
    vae.load_state_dict(prefixed(fx, "weights_legacy/"))
    vae.to(dtype)
    x = fx["grad_b1/x"].detach().to(dtype).clone().requires_grad_(True)
    posterior = vae.encode(x).latent_dist
    out = vae.decode(posterior.mean + posterior.std * fx["grad_b1/noise"].to(dtype)).sample
    out.backward(fx["grad_b1/gout"].to(dtype))
    params = dict(vae.named_parameters())
    grads = {f"grad_b1/grad.{k}": params[k].grad for k in va.GRAD_PARAMS}
    return {"grad_b1/out": out.detach(), "grad_b1/grad.x": x.grad, **grads}


def checked(name, fx, rerun32):
    """Stops if the fp32 rerun is not the stored computation (a wiring slip, not rounding)."""
    for k, v in rerun32.items():
        if k.endswith(".key.bias"):
            continue  # softmax ignores a key bias: its gradient is rounding noise on both sides
        ref = fx[k]
        err = (v.double() - ref.double()).abs().max().item() / max(ref.abs().max().item(), 1e-30)
        assert err < 1e-4, f"{name} {k}: the fp32 rerun is {err:.2e} from the stored fixture"


def save(path, results):
    save_file({k: v.float().contiguous() for k, v in results.items()}, str(path))
    print(path.name, len(results), "tensors")


def main():
    torch.manual_seed(0)
    path = OANET / "oanet.safetensors"
    fx = load_file(str(path))
    with safe_open(str(path), "pt") as f:
        meta = f.metadata()
    checked("oanet", fx, oanet_step(fx, meta, torch.float32))
    save(OANET / "oanet_fp64.safetensors", oanet_step(fx, meta, torch.float64))

    fx = load_file(str(VAE / "vae_tiny.safetensors"))
    checked("vae", fx, vae_gradients(fx, torch.float32))
    save(VAE / "vae_tiny_fp64.safetensors", vae_gradients(fx, torch.float64))


if __name__ == "__main__":
    main()
