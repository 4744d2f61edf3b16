"""Writes the image-codec fixtures for Tests/AGFASImageTests, decoded by Pillow.

    /work/venv/bin/python scripts/make_image_fixtures.py

Writes into Tests/AGFASImageTests/Fixtures/:
  png/*.png        every PNG layout: Pillow writes grey, grey+alpha, RGB, RGBA, palette (8- and
                   4-bit, with and without transparency), 1-bit and 16-bit grey; a small writer
                   below adds what Pillow cannot write: 16-bit RGB/RGBA/grey+alpha, 2/4-bit
                   grey, a gAMA chunk, Adam7 interlacing
  jpeg/*.jpg       grey, 4:4:4 and 4:2:0 YCbCr, progressive, CMYK, EXIF orientations 1..8
                   (big-endian EXIF from Pillow, one little-endian written by hand)
  huge.png/.jpg    tiny files whose headers declare 100000x100000 / 65000x65000 pixels
  expected.json    what Pillow decodes from each file (base64 of the 8-bit samples, row-major
                   interleaved) in AGFAS's layout, its convert("RGB"), and checksums of the
                   decoded astronaut.png (needs scripts/fetch_test_material.sh first)

AGFAS's layout from Pillow's modes: L -> 1 channel; 1 -> convert("L"); LA -> convert("RGBA");
P -> convert("RGBA") with transparency, else convert("RGB"); I;16 -> numpy `v >> 8` (Pillow
keeps 16-bit grey as I;16; AGFAS keeps the high byte, as Pillow does for 16-bit RGB/RGBA/LA);
JPEGs -> ImageOps.exif_transpose(image), CMYK -> convert("RGB").
"""
import base64
import hashlib
import io
import json
import pathlib
import struct
import zlib

import numpy as np
import PIL
from PIL import Image, ImageOps, features

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "AGFASImageTests" / "Fixtures"
ASTRONAUT = ROOT / ".cache" / "test-material" / "skimage" / "data" / "astronaut.png"
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
rng = np.random.default_rng(2024)


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def pack_rows(a, depth):
    """Rows of samples a[h, w, c] as PNG scanline bytes (filter byte 0 first)."""
    out = b""
    for row in a.reshape(a.shape[0], -1):
        if depth == 16:
            data = row.astype(">u2").tobytes()
        elif depth == 8:
            data = row.astype(np.uint8).tobytes()
        else:
            bits = np.unpackbits(row.astype(np.uint8)[:, None], axis=1)[:, 8 - depth :].reshape(-1)
            data = np.packbits(bits).tobytes()
        out += b"\0" + data
    return out


def raw_png(a, depth, color_type, interlace=False, extra=b""):
    """A PNG of samples a[h, w, c] written by hand, for layouts Pillow cannot write."""
    h, w = a.shape[:2]
    ihdr = struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 1 if interlace else 0)
    if interlace:
        passes = (a[y0::dy, x0::dx] for x0, y0, dx, dy in ADAM7)
        raw = b"".join(pack_rows(p, depth) for p in passes if p.shape[0] and p.shape[1])
    else:
        raw = pack_rows(a, depth)
    body = chunk(b"IHDR", ihdr) + extra + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def pillow_png(image, **options):
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **options)
    return buffer.getvalue()


def pillow_jpeg(image, **options):
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", **options)
    return buffer.getvalue()


def noise(h, w, c, high=256, dtype=np.uint8):
    """Smooth gradients plus noise: realistic for JPEG, every value range covered for PNG."""
    y, x = np.mgrid[0:h, 0:w]
    base = (x[..., None] * 7 + y[..., None] * 11 + np.arange(c) * 50) % high
    return ((base + rng.integers(0, high // 8 + 1, (h, w, c))) % high).astype(dtype)


def png_cases():
    """name -> PNG bytes covering each colour type, bit depth and interlacing."""
    palette = Image.fromarray(noise(17, 23, 1, 200)[..., 0], "L").convert("P")
    palette.putpalette(list(rng.integers(0, 256, 768, dtype=np.uint8)))
    palette4 = Image.fromarray((noise(9, 13, 1, 16)[..., 0]), "L").convert("P")
    palette4.putpalette(list(rng.integers(0, 256, 48, dtype=np.uint8)))
    trns = bytes(rng.integers(0, 256, 200, dtype=np.uint8))
    grey16 = noise(11, 7, 1, 65536, np.uint16)[..., 0]
    return {
        "grey": pillow_png(Image.fromarray(noise(17, 23, 1)[..., 0], "L")),
        "grey_trns": pillow_png(Image.fromarray(noise(5, 6, 1)[..., 0], "L"), transparency=17),
        "grey_alpha": pillow_png(Image.fromarray(noise(17, 23, 2), "LA")),
        "rgb": pillow_png(Image.fromarray(noise(17, 23, 3), "RGB")),
        "rgba": pillow_png(Image.fromarray(noise(17, 23, 4), "RGBA")),
        "palette": pillow_png(palette),
        "palette_trns": pillow_png(palette, transparency=trns),
        "palette4": pillow_png(palette4, bits=4),
        "bilevel": pillow_png(Image.fromarray(noise(9, 21, 1)[..., 0] > 127)),
        "grey16": pillow_png(Image.fromarray(grey16)),
        "rgb16": raw_png(noise(9, 10, 3, 65536, np.uint16), 16, 2),
        "rgba16": raw_png(noise(9, 10, 4, 65536, np.uint16), 16, 6),
        "grey_alpha16": raw_png(noise(9, 10, 2, 65536, np.uint16), 16, 4),
        "grey4": raw_png(noise(7, 9, 1, 16), 4, 0),
        "grey2": raw_png(noise(7, 11, 1, 4), 2, 0),
        # gAMA 1.0: Pillow ignores it, so must AGFAS (libpng's simplified API would not).
        "rgb_gamma": raw_png(noise(6, 8, 3), 8, 2, extra=chunk(b"gAMA", struct.pack(">I", 100000))),
        "interlaced_rgba": raw_png(noise(13, 11, 4), 8, 6, interlace=True),
        "interlaced_rgb16_tiny": raw_png(noise(2, 3, 3, 65536, np.uint16), 16, 2, interlace=True),
    }


def orientation_pattern():
    """24x16, no symmetry: red grows along x, green along y, a blue block at the top left."""
    y, x = np.mgrid[0:16, 0:24]
    blue = np.where((x < 8) & (y < 6), 255, 30)
    return Image.fromarray(np.stack([x * 10, y * 15, blue], axis=-1).astype(np.uint8), "RGB")


def little_endian_exif(orientation):
    """Exif payload in Intel byte order (Pillow writes Motorola) with IFD0 = [Orientation]."""
    ifd = struct.pack("<H", 1) + struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack("<I", 0)
    return b"Exif\0\0" + b"II\x2a\0" + struct.pack("<I", 8) + ifd


def jpeg_cases():
    """name -> JPEG bytes."""
    rgb = Image.fromarray(noise(23, 37, 3), "RGB")
    cases = {
        "grey": pillow_jpeg(Image.fromarray(noise(19, 21, 1)[..., 0], "L"), quality=90),
        "rgb444": pillow_jpeg(rgb, quality=95, subsampling=0),
        "rgb420": pillow_jpeg(rgb, quality=90),
        "progressive": pillow_jpeg(rgb, quality=90, progressive=True),
        "cmyk": pillow_jpeg(Image.fromarray(noise(15, 17, 4), "CMYK"), quality=95),
    }
    pattern = orientation_pattern()
    for o in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = o
        cases[f"orientation{o}"] = pillow_jpeg(pattern, quality=95, subsampling=0, exif=exif.tobytes())
    cases["orientation6_littleendian"] = pillow_jpeg(pattern, quality=95, subsampling=0, exif=little_endian_exif(6))
    return cases


def agfas_layout(image):
    """Pillow's decoded image in AGFAS's layout (see the module doc)."""
    if image.mode == "I;16":
        return (np.asarray(image).astype(np.uint16) >> 8).astype(np.uint8)[..., None]
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif image.mode == "LA":
        image = image.convert("RGBA")
    elif image.mode == "1":
        image = image.convert("L")
    elif image.mode == "CMYK":
        image = image.convert("RGB")
    a = np.asarray(image)
    return a[..., None] if a.ndim == 2 else a


def b64(a):
    return base64.b64encode(np.ascontiguousarray(a, dtype=np.uint8).tobytes()).decode()


def record(path, data, jpeg):
    path.write_bytes(data)
    image = Image.open(path)
    mode = image.mode
    if jpeg:
        image = ImageOps.exif_transpose(image)
    a = agfas_layout(image)
    entry = {"file": str(path.relative_to(OUT)), "pillow_mode": mode, "height": a.shape[0], "width": a.shape[1]}
    entry.update(channels=a.shape[2], pixels=b64(a))
    if mode != "I;16":
        entry["rgb"] = b64(np.asarray(image.convert("RGB")))
    return entry


def huge_png():
    ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))


def huge_jpeg(small):
    """`small` with its SOF0 height and width patched to 65000."""
    at = small.index(b"\xff\xc0")
    return small[: at + 5] + struct.pack(">HH", 65000, 65000) + small[at + 9 :]


def astronaut():
    if not ASTRONAUT.exists():
        raise SystemExit(f"{ASTRONAUT} missing: run scripts/fetch_test_material.sh first")
    a = np.asarray(Image.open(ASTRONAUT).convert("RGB")).astype(np.int64)
    flat = a.reshape(-1)
    return {
        "sha256": hashlib.sha256(ASTRONAUT.read_bytes()).hexdigest(),
        "height": a.shape[0], "width": a.shape[1], "channels": a.shape[2],
        "sum": int(flat.sum()),
        "channel_sums": [int(s) for s in a.reshape(-1, 3).sum(axis=0)],
        # Position-weighted: catches swapped rows, channels or a wrong orientation.
        "weighted_sum": int((flat * (np.arange(flat.size) % 251 + 1)).sum()),
    }


def main():
    for sub in ("png", "jpeg"):
        (OUT / sub).mkdir(parents=True, exist_ok=True)
    expected = {
        "pillow": PIL.__version__,
        "pillow_libjpeg_turbo": features.version("libjpeg_turbo"),
        "png": {n: record(OUT / "png" / f"{n}.png", d, False) for n, d in png_cases().items()},
        "jpeg": {n: record(OUT / "jpeg" / f"{n}.jpg", d, True) for n, d in jpeg_cases().items()},
        "astronaut": astronaut(),
    }
    (OUT / "huge.png").write_bytes(huge_png())
    (OUT / "huge.jpg").write_bytes(huge_jpeg((OUT / "jpeg" / "grey.jpg").read_bytes()))
    (OUT / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    size = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"wrote {OUT} ({size} bytes)")


if __name__ == "__main__":
    main()
