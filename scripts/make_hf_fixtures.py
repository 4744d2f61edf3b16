"""Writes Hugging Face model folders for the checkpoint tests (Tests/AGFASCheckpointTests/Fixtures/hf/).

A tiny transformers ViTModel saved by transformers 4.28.1's save_pretrained four ways:
safetensors, pytorch_model.bin, and both sharded with an index. hf_listing.json records, per
folder, what torch.load / safetensors list shard by shard, and hf_expected.safetensors the values.
"""
import json
import pathlib
import shutil

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from transformers import ViTConfig, ViTModel

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "AGFASCheckpointTests" / "Fixtures" / "hf"


def listing(folder):
    files = sorted(p for p in folder.iterdir() if p.suffix in (".bin", ".safetensors"))
    rows = []
    for f in files:
        if f.suffix == ".bin":
            sd = torch.load(f, weights_only=True)
            rows += [[k, str(v.dtype).replace("torch.", ""), list(v.shape)] for k, v in sd.items()]
        else:
            with safe_open(f, "pt") as s:
                for k in s.keys():
                    t = s.get_tensor(k)
                    rows.append([k, str(t.dtype).replace("torch.", ""), list(t.shape)])
    return rows


def main():
    torch.manual_seed(0)
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    config = ViTConfig(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=24,
                       image_size=16, patch_size=8)
    model = ViTModel(config)
    variants = {
        "vit_safetensors": dict(safe_serialization=True),
        "vit_bin": dict(safe_serialization=False),
        "vit_sharded_bin": dict(safe_serialization=False, max_shard_size="8KB"),
        "vit_sharded_safetensors": dict(safe_serialization=True, max_shard_size="8KB"),
    }
    result = {}
    for name, kwargs in variants.items():
        model.save_pretrained(OUT / name, **kwargs)
        result[name] = listing(OUT / name)
    (OUT / "hf_listing.json").write_text(json.dumps(result))
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, OUT / "hf_expected.safetensors")
    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"{OUT}: {total / 1024:.0f} KiB", {k: len(v) for k, v in result.items()})


if __name__ == "__main__":
    main()
