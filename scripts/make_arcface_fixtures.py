"""Writes the ArcFace identity-condition fixtures (docs/method.md §2.1) for the Swift tests.

    /work/venv/bin/python scripts/make_arcface_fixtures.py

insightface's arcface_torch is not an installable package, so its `iresnet` backbone is written
here from its description; module and attribute names reproduce its state-dict keys
(`layer1.0.bn1.running_mean`, `layer1.0.downsample.0.weight`, `fc.*`, `features.*`, ...).

Writes into Tests/AGFASDFGTests/Fixtures/:
- arcface.safetensors: a tiny-width iresnet18 ([2,2,2,2] blocks, base width 4) with random
  weights and random non-trivial BatchNorm statistics, as `state/<key>` tensors; and cases
  `cond256` (a 2x3x256x256 input: the DFG's size, resized 256 -> 112) and `cond64` (2x3x64x64,
  resized 64 -> 112), each with the input, the iresnet features [B,32,7,7] and the condition
  [B,49,48] (tokens padded to 48). The 256 input is a 64x64 random image upsampled 4x nearest,
  so only the 64x64 base is stored (`base`, shared by both cases) and the test rebuilds it exactly.
- tiny_backbone.pth: the same state dict through torch.save (for the .pth reader's tests).
- iresnet18_keys.json: every key and shape of the full-size iresnet18 state dict (no weights).
"""
import json
import pathlib

import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from torch import nn

ROOT = pathlib.Path(__file__).resolve().parent
OUT = ROOT.parent / "Tests" / "AGFASDFGTests" / "Fixtures"


def conv3x3(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, kernel_size=3, stride=stride, padding=1, bias=False)


class IBasicBlock(nn.Module):
    """BN -> conv3x3 -> BN -> PReLU -> conv3x3 (stride) -> BN, plus identity or downsample."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin, eps=1e-5)
        self.conv1 = conv3x3(cin, cout)
        self.bn2 = nn.BatchNorm2d(cout, eps=1e-5)
        self.prelu = nn.PReLU(cout)
        self.conv2 = conv3x3(cout, cout, stride)
        self.bn3 = nn.BatchNorm2d(cout, eps=1e-5)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(
                nn.Conv2d(cin, cout, kernel_size=1, stride=stride, bias=False), nn.BatchNorm2d(cout, eps=1e-5))

    def forward(self, x):
        out = self.bn3(self.conv2(self.prelu(self.bn2(self.conv1(self.bn1(x))))))
        identity = x if self.downsample is None else self.downsample(x)
        return out + identity


class IResNet(nn.Module):
    """arcface_torch's iresnet; `features_map` stops at bn2 as AG-FAS's identity condition does."""

    def __init__(self, layers, width=64, num_features=512):
        super().__init__()
        self.conv1 = conv3x3(3, width)
        self.bn1 = nn.BatchNorm2d(width, eps=1e-5)
        self.prelu = nn.PReLU(width)
        cin = width
        for i, blocks in enumerate(layers):
            cout = width * 2**i
            mods = [IBasicBlock(cin, cout, 2)] + [IBasicBlock(cout, cout, 1) for _ in range(blocks - 1)]
            setattr(self, f"layer{i + 1}", nn.Sequential(*mods))
            cin = cout
        self.bn2 = nn.BatchNorm2d(cin, eps=1e-5)
        self.dropout = nn.Dropout(p=0, inplace=True)
        self.fc = nn.Linear(cin * 7 * 7, num_features)
        self.features = nn.BatchNorm1d(num_features, eps=1e-5)

    def features_map(self, x):
        x = self.prelu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.bn2(x)


def randomize(model):
    """Non-trivial BN/PReLU values so a wrong statistic or slope shows in the outputs."""
    g = torch.Generator().manual_seed(1)
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
            c = m.num_features
            m.weight.data = 0.5 + torch.rand(c, generator=g)
            m.bias.data = 0.2 * torch.randn(c, generator=g)
            m.running_mean.data = 0.3 * torch.randn(c, generator=g)
            m.running_var.data = 0.5 + torch.rand(c, generator=g)
            m.num_batches_tracked.fill_(int(torch.randint(1, 1000, (1,), generator=g)))
        elif isinstance(m, nn.PReLU):
            m.weight.data = 0.1 + 0.4 * torch.rand(m.weight.shape, generator=g)


def identity_condition(model, x, token_dim):
    """docs/method.md §2.1: resize to 112 (bilinear, align_corners False, no antialias), bn2 features,
    [B,C,7,7] -> [B,49,C], zero-padded to token_dim."""
    x = F.interpolate(x, size=(112, 112), mode="bilinear", align_corners=False, antialias=False)
    f = model.features_map(x)
    b, c = f.shape[:2]
    tokens = f.reshape(b, c, -1).transpose(1, 2)
    return f, torch.cat([tokens, torch.zeros(b, tokens.shape[1], token_dim - c)], dim=2)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    tiny = IResNet([2, 2, 2, 2], width=4, num_features=4).eval()
    randomize(tiny)
    state = tiny.state_dict()
    tensors = {f"state/{k}": v.clone().contiguous() for k, v in state.items()}
    token_dim = 48
    meta = {"config": json.dumps({"layers": [2, 2, 2, 2], "base_width": 4, "token_dim": token_dim})}

    base = torch.rand(2, 3, 64, 64) * 2 - 1
    tensors["base"] = base
    with torch.no_grad():
        for name, x in [("cond256", F.interpolate(base, scale_factor=4, mode="nearest")), ("cond64", base)]:
            features, cond = identity_condition(tiny, x, token_dim)
            tensors[f"{name}/features"] = features.contiguous()
            tensors[f"{name}/out"] = cond.contiguous()
            meta[name] = json.dumps({"size": list(x.shape), "upsample": x.shape[-1] // base.shape[-1]})
    save_file(tensors, str(OUT / "arcface.safetensors"), metadata=meta)
    torch.save(tiny.state_dict(), str(OUT / "tiny_backbone.pth"))

    full = IResNet([2, 2, 2, 2])
    keys = {k: list(v.shape) for k, v in full.state_dict().items()}
    lines = [f"{json.dumps(k)}: {json.dumps(shape)}" for k, shape in keys.items()]
    (OUT / "iresnet18_keys.json").write_text("{\n" + ",\n".join(lines) + "\n}\n")
    for f in ["arcface.safetensors", "tiny_backbone.pth", "iresnet18_keys.json"]:
        print(f, (OUT / f).stat().st_size, "bytes")


if __name__ == "__main__":
    main()
