"""Writes the `agfas predict` fixtures for Tests/AGFASOANetTests/PredictCLITests.swift.

    /work/venv/bin/python scripts/make_predict_fixtures.py

Reuses the tiny OA-Net reference of make_oanet_fixtures.py (same TINY config, randomised like
its forward fixture) and writes into Tests/AGFASOANetTests/Fixtures/predict/:
- model.pth: a checkpoint as the reference's save_checkpoint writes it (`{"steps", "state_dict",
  "optimizer", "info"}`, metrics as numpy scalars), with DataParallel `module.` prefixes.
- oanet_config.json: the tiny config (heads cannot be read off the weights at hidden 32).
- face{0,1}.png, rec{0,1}.png: two 64x64 faces and their "reconstructions" (8-bit RGB).
- expected.json: P(live) of each pair from the reference in eval mode, the PNGs read as
  torchvision's ToTensor + Normalize(0.5, 0.5) would.
"""
import json
import pathlib
import zlib
import struct

import numpy as np
import torch

from make_oanet_fixtures import OANet, TINY, anomalous_cue, randomize, tiny_vit_config

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "AGFASOANetTests" / "Fixtures" / "predict"


def write_png(path, pixels):
    """pixels: uint8 [H, W, 3]; a plain 8-bit RGB PNG (no numpy/PIL needed)."""
    h, w, _ = pixels.shape
    raw = b"".join(b"\x00" + bytes(pixels[y].flatten().tolist()) for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def to_input(pixels):
    """uint8 [H, W, 3] -> [1, 3, H, W] in [-1, 1] with ToTensor + Normalize(0.5, 0.5)'s fp32 ops."""
    return ((pixels.permute(2, 0, 1).float() / 255 - 0.5) / 0.5).unsqueeze(0)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(5)
    vit_config = tiny_vit_config()
    net = OANet(vit_config, TINY["cue_width"], TINY["embedding"])
    randomize(net)
    state = {k: v.detach().clone().contiguous() for k, v in net.state_dict().items()}
    # The reference's save_checkpoint: steps, the state dict (its own keys, the embedder's
    # second name included; here with DataParallel's module. as a multi-GPU run leaves them
    # before its renaming), the SGD state and the validation metrics as numpy scalars.
    opt = torch.optim.SGD(net.parameters(), lr=1e-3, momentum=0.9, weight_decay=5e-4)
    info = {"valid_args": [np.float64(0.61), np.float64(87.5), np.float64(0.1), np.float64(0.125),
                           np.float64(0.93), 0.4862, np.float64(88.0)],
            "log_best": [0.6, 87.5, 12.5, 93.0], "threshold": 0.4862}
    torch.save({"steps": 3990, "state_dict": {"module." + k: v for k, v in state.items()},
                "optimizer": opt.state_dict(), "info": info}, str(OUT / "model.pth"))
    config = {"vit": vit_config.to_diff_dict(), "cue_width": TINY["cue_width"], "embedding_dim": TINY["embedding"]}
    (OUT / "oanet_config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")

    net.eval()
    g = torch.Generator().manual_seed(6)
    scores = []
    for i in range(2):
        face = torch.randint(0, 256, (64, 64, 3), generator=g, dtype=torch.uint8)
        noise = torch.randint(-40, 41, (64, 64, 3), generator=g)
        rec = (face.int() + noise).clamp(0, 255).to(torch.uint8)
        write_png(OUT / f"face{i}.png", face)
        write_png(OUT / f"rec{i}.png", rec)
        with torch.no_grad():
            logits = net(anomalous_cue(to_input(face), to_input(rec)))[0]
        scores.append(torch.softmax(logits, dim=1)[0, 1].item())
        net.load_state_dict(state)  # the forward normalised the classifier weight in place
    (OUT / "expected.json").write_text(json.dumps({"p_live": scores}, indent=2) + "\n")
    print("p_live", scores)
    for f in sorted(OUT.iterdir()):
        print(f.name, f.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
