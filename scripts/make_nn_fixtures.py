"""Writes Tests/AGFASNNTests/Fixtures/layers.safetensors: PyTorch's default initial values for
nn.Linear / nn.Conv2d / nn.GroupNorm / nn.LayerNorm created in order after torch.manual_seed(5),
and their outputs, so the Swift layers can prove they start where PyTorch starts.
"""
import pathlib
import sys

import torch
from torch import nn

ROOT = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "fixtures"))
from common import FixtureFile  # noqa: E402

OUT = ROOT.parent / "Tests" / "AGFASNNTests" / "Fixtures"


def main():
    torch.manual_seed(5)
    linear = nn.Linear(7, 3)
    conv = nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), groups=2)
    nobias = nn.Linear(20, 9, bias=False)
    x_lin = torch.randn(2, 7)
    x_conv = torch.randn(1, 4, 5, 6)
    fx = FixtureFile("layers")
    state = {f"linear.{k}": v for k, v in linear.state_dict().items()}
    state.update({f"conv.{k}": v for k, v in conv.state_dict().items()})
    state.update({f"nobias.{k}": v for k, v in nobias.state_dict().items()})
    fx.add("init_seed5", {"seed": 5}, **state)
    with torch.no_grad():
        fx.add("forward", {}, x_lin=x_lin, y_lin=linear(x_lin), x_conv=x_conv, y_conv=conv(x_conv))
    OUT.mkdir(parents=True, exist_ok=True)
    print(fx.save(OUT))


if __name__ == "__main__":
    main()
