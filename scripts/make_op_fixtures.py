"""Writes the op fixtures for the Swift engine tests from real PyTorch.

    python3 scripts/make_op_fixtures.py [family ...]

Writes Tests/AGFASEngineTests/Fixtures/<family>.safetensors for every generator
scripts/fixtures/ops_<family>.py (or only the named ones). Deterministic: each family is
seeded with torch.manual_seed(0) before it runs.
"""
import importlib
import os
import pathlib
import sys

import torch

ROOT = pathlib.Path(__file__).resolve().parent
OUT = ROOT.parent / "Tests" / "AGFASEngineTests" / "Fixtures"
sys.path.insert(0, str(ROOT / "fixtures"))


def main(names):
    torch.set_num_threads(1)
    families = names or sorted(p.stem[4:] for p in (ROOT / "fixtures").glob("ops_*.py"))
    OUT.mkdir(parents=True, exist_ok=True)
    for family in families:
        torch.manual_seed(0)
        module = importlib.import_module(f"ops_{family}")
        fx = module.build()
        path = fx.save(OUT)
        print(f"{path}: {len(fx.meta)} cases, {os.path.getsize(path) / 1024:.0f} KiB")


if __name__ == "__main__":
    main(sys.argv[1:])
