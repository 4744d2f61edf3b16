"""PyTorch side of `agfas bench faces`: facenet-pytorch's MTCNN and a scikit-image alignment.

    python3 scripts/bench_faces_torch.py --threads N --repeat R --photo astronaut.png --size 256

Builds the same 640x480 image as the Swift side (the photo area-resized to 480x480 with torch,
rounded, at x=80 on black), then times, median of R runs after two warm-ups:
  detect 640x480:          MTCNN(keep_all=True).detect(pil_image, landmarks=True)
  align SxS:               per face, skimage SimilarityTransform (Umeyama) to the template of docs/method.md §1
                           and skimage.transform.warp (bilinear, constant 0) to SxS uint8
  detect + align 640x480:  both.
Prints one JSON object per line: the stack line of bench_common.start, then {"op", "dtype",
"seconds", "gflop"} (gflop 0: not counted).
"""
import argparse
import json

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from skimage import transform as sktf

from facenet_pytorch import MTCNN
from bench_common import median_time, start

TEMPLATE = np.array([(0.3489, 0.2848), (0.6614, 0.2848), (0.4996, 0.4963), (0.3784, 0.7222), (0.6215, 0.7217)])


def bench_image(photo):
    img = np.array(Image.open(photo).convert("RGB"))
    t = torch.from_numpy(img).permute(2, 0, 1)[None].float()
    face = F.interpolate(t, size=(480, 480), mode="area")[0].round().to(torch.uint8).permute(1, 2, 0).numpy()
    canvas = np.zeros((480, 640, 3), np.uint8)
    canvas[:, 80:560] = face
    return canvas


def align(img, landmarks, size):
    tform = sktf.SimilarityTransform()
    tform.estimate(np.asarray(landmarks, np.float64), TEMPLATE * size)
    out = sktf.warp(img, tform.inverse, output_shape=(size, size), order=1, mode="constant", cval=0,
                    preserve_range=True)
    return np.rint(out).astype(np.uint8)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--repeat", type=int, default=20)
    p.add_argument("--photo", required=True)
    p.add_argument("--size", type=int, default=256)
    args = p.parse_args()
    start(args.threads, ("facenet-pytorch",))
    img = bench_image(args.photo)
    pil = Image.fromarray(img)
    mtcnn = MTCNN(keep_all=True)

    def detect():
        return mtcnn.detect(pil, landmarks=True)

    def align_all(points):
        for landmarks in points if points is not None else []:
            align(img, landmarks, args.size)

    _, _, points = detect()
    rows = [
        ("detect 640x480", detect),
        (f"align {args.size}x{args.size}", lambda: align_all(points)),
        ("detect + align 640x480", lambda: align_all(detect()[2])),
    ]
    for op, fn in rows:
        print(json.dumps({"op": op, "dtype": "fp32", "seconds": median_time(fn, args.repeat, warmup=2), "gflop": 0.0}),
              flush=True)


if __name__ == "__main__":
    main()
