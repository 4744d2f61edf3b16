"""Writes the face detection and alignment fixtures for Tests/AGFASFacesTests.

    scripts/fetch_test_material.sh
    .venv/bin/python scripts/make_faces_fixtures.py

The Python needs torch, facenet-pytorch 2.6.0 (installed with --no-deps: its pins predate the
torch here), a torchvision matching torch (for `batched_nms`), Pillow, numpy and scikit-image.
Generated here with a venv layered on the shared torch venv, which stays untouched:
    /work/venv/bin/python -m venv .venv
    echo /work/venv/lib/python3.11/site-packages > .venv/lib/python3.11/site-packages/base.pth
    .venv/bin/pip install --no-deps facenet-pytorch==2.6.0 torchvision==0.29.2
    .venv/bin/pip install scikit-image   # 0.26.0

Reference: facenet_pytorch.MTCNN(keep_all=True, ...).detect(img, landmarks=True) on real
photos fetched by scripts/fetch_test_material.sh (never committed) and on images derived from
them by steps the Swift tests repeat exactly (torch `area` resizes rounded half to even,
zero padding, crops, Pillow's integer luma for grey). Only numbers and small warped crops are
stored.

Writes into Tests/AGFASFacesTests/Fixtures/:
- faces.json: per case, how its image is made, its size and pixel checksums (so a test knows
  it rebuilt the same pixels), the detector options, and facenet-pytorch's faces in
  MTCNN.detect's order (largest box first): box [x1,y1,x2,y2], probability, 5 landmarks [x,y].
  Also `alignment`: scikit-image's SimilarityTransform (Umeyama) from the astronaut's and the
  small second face's landmarks to the template of docs/method.md §1, and an explicit transform that maps
  part of the crop outside the photo (border handling).
- faces.safetensors: `nets/*`: PNet, RNet and ONet outputs for astronaut-derived inputs with
  the real weights; `align/*`: scikit-image warps (order=1 bilinear, mode="constant", cval=0,
  float64, unrounded, stored fp32) of the alignment cases.
"""
import json
import pathlib

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from safetensors.torch import save_file
from skimage import transform as sktf

from facenet_pytorch import MTCNN

ROOT = pathlib.Path(__file__).resolve().parent.parent
MATERIAL = ROOT / ".cache" / "test-material" / "skimage" / "data"
OUT = ROOT / "Tests" / "AGFASFacesTests" / "Fixtures"
TEMPLATE = [(0.3489, 0.2848), (0.6614, 0.2848), (0.4996, 0.4963), (0.3784, 0.7222), (0.6215, 0.7217)]


def load(name):
    return np.array(Image.open(MATERIAL / name).convert("RGB"))


def area(img, h, w):
    """torch `area` resize of a uint8 HxWx3 image in fp32, rounded half to even."""
    t = torch.from_numpy(img).permute(2, 0, 1)[None].float().contiguous()
    return F.interpolate(t, size=(h, w), mode="area")[0].round().to(torch.uint8).permute(1, 2, 0).numpy()


def grey(img):
    """Pillow's convert("L") (ITU-R 601-2 luma in 16-bit fixed point), back to 3 channels."""
    r, g, b = (img[..., c].astype(np.int64) for c in range(3))
    luma = ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16).astype(np.uint8)
    assert np.array_equal(luma, np.array(Image.fromarray(img).convert("L")))
    return np.repeat(luma[..., None], 3, axis=2)


def checksums(img):
    flat = img.reshape(-1).astype(np.int64)
    return {"sum": int(flat.sum()), "weighted": int((flat * (np.arange(flat.size) % 251 + 1)).sum())}


def cases():
    astronaut, camera = load("astronaut.png"), load("camera.png")
    padded = np.zeros((480, 640, 3), np.uint8)
    padded[:, 80:560] = area(astronaut, 480, 480)
    two = np.zeros((320, 512, 3), np.uint8)
    two[:, :320] = area(astronaut, 320, 320)
    two[64:256, 320:512] = area(astronaut, 192, 192)
    default = {"min_face_size": 20, "thresholds": [0.6, 0.7, 0.7], "scale_factor": 0.709}
    tuned = {"min_face_size": 60, "thresholds": [0.7, 0.8, 0.9], "scale_factor": 0.6}
    return [
        ("astronaut", "astronaut.png", astronaut, default),
        ("camera", "camera.png (grey, read as RGB)", camera, default),
        ("padded640x480", "astronaut area-resized to 480x480 at x=80 on a black 640x480", padded, default),
        ("two_faces", "astronaut area-resized to 320x320 at (0,0) and 192x192 at (320,64) on black 512x320", two,
         default),
        ("grey", "astronaut through Pillow's integer luma, replicated to RGB", grey(astronaut), default),
        ("background", "astronaut rows 0..<160, columns 352..<512 (no face)",
         np.ascontiguousarray(astronaut[0:160, 352:512]), default),
        ("flat", "64x48 of value 128 (no PNet candidate)", np.full((48, 64, 3), 128, np.uint8), default),
        ("astronaut_tuned", "astronaut.png with other options", astronaut, tuned),
    ], {"astronaut": astronaut, "two_faces": two}


def detect(img, options):
    mtcnn = MTCNN(keep_all=True, min_face_size=options["min_face_size"], thresholds=options["thresholds"],
                  factor=options["scale_factor"])
    boxes, probs, points = mtcnn.detect(Image.fromarray(img), landmarks=True)
    if boxes is None:
        return []
    return [{"box": [float(v) for v in b], "score": float(p), "landmarks": [[float(v) for v in q] for q in pts]}
            for b, p, pts in zip(np.asarray(boxes, np.float32), np.asarray(probs, np.float32),
                                 np.asarray(points, np.float32))]


def similarity_to_template(landmarks, size):
    src = np.array(landmarks, np.float64)
    dst = np.array(TEMPLATE, np.float64) * size
    if hasattr(sktf.SimilarityTransform, "from_estimate"):
        return sktf.SimilarityTransform.from_estimate(src, dst)
    t = sktf.SimilarityTransform()
    assert t.estimate(src, dst)
    return t


def warp(img, tform, size):
    out = sktf.warp(img.astype(np.float64), tform.inverse, output_shape=(size, size), order=1, mode="constant",
                    cval=0, preserve_range=True, clip=False)
    return torch.from_numpy(out.astype(np.float32))


def network_cases(astronaut, tensors):
    """PNet/RNet/ONet on normalised area-resized astronaut regions (odd PNet size: ceil_mode edges)."""
    mtcnn = MTCNN()
    src = torch.from_numpy(astronaut).permute(2, 0, 1)[None].float()

    def region(y, x, h, w, size):
        return (F.interpolate(src[:, :, y:y + h, x:x + w], size=size, mode="area") - 127.5) * 0.0078125

    with torch.no_grad():
        x = region(40, 150, 160, 140, (31, 27))
        reg, prob = mtcnn.pnet(x)
        tensors.update({"nets/pnet/in": x, "nets/pnet/regression": reg, "nets/pnet/probabilities": prob})
        x = torch.cat([region(60, 180, 112, 90, (24, 24)), region(0, 0, 50, 50, (24, 24)),
                       region(300, 200, 30, 45, (24, 24))])
        reg, prob = mtcnn.rnet(x)
        tensors.update({"nets/rnet/in": x, "nets/rnet/regression": reg, "nets/rnet/probabilities": prob})
        x = torch.cat([region(62, 181, 110, 87, (48, 48)), region(200, 300, 40, 40, (48, 48))])
        reg, points, prob = mtcnn.onet(x)
        tensors.update({"nets/onet/in": x, "nets/onet/regression": reg, "nets/onet/landmarks": points,
                        "nets/onet/probabilities": prob})


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    listed, images = cases()
    doc = {"cases": {}, "alignment": {}}
    for name, how, img, options in listed:
        faces = detect(img, options)
        doc["cases"][name] = {"made": how, "width": img.shape[1], "height": img.shape[0], **checksums(img),
                              "options": options, "faces": faces}
        print(f"{name}: {len(faces)} face(s)", [round(f["score"], 6) for f in faces])
    tensors = {}
    for name, case, face, size in [("astronaut", "astronaut", 0, 128), ("small_face", "two_faces", 1, 64)]:
        landmarks = doc["cases"][case]["faces"][face]["landmarks"]
        tform = similarity_to_template(landmarks, size)
        doc["alignment"][name] = {"image": case, "face": face, "size": size, "landmarks": landmarks,
                                  "matrix": tform.params[:2].tolist()}
        tensors[f"align/{name}"] = warp(images[case], tform, size)
    # Rotated 25 degrees, scale 0.35, shifted so the crop's left and top run off the photo.
    angle, scale = np.deg2rad(25.0), 0.35
    m = np.array([[scale * np.cos(angle), -scale * np.sin(angle), 20.0],
                  [scale * np.sin(angle), scale * np.cos(angle), -30.0], [0, 0, 1]])
    border = sktf.SimilarityTransform(matrix=m) if "matrix" in sktf.SimilarityTransform.__init__.__code__.co_varnames \
        else sktf.SimilarityTransform(m)
    doc["alignment"]["border"] = {"image": "astronaut", "size": 64, "matrix": m[:2].tolist()}
    tensors["align/border"] = warp(images["astronaut"], border, 64)
    network_cases(images["astronaut"], tensors)
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(OUT / "faces.safetensors"))
    (OUT / "faces.json").write_text(json.dumps(doc, indent=1) + "\n")
    print("wrote", OUT / "faces.json", OUT / "faces.safetensors")


if __name__ == "__main__":
    main()
