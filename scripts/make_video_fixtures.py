"""Writes small videos for the AGFASVideo tests (Tests/AGFASVideoTests/Fixtures/) with PyAV
(FFmpeg bindings): a lossless FFV1/RGB .mkv whose frames must decode to exactly the pixels
written, and a lossy MPEG-4 .mp4 (yuv420p) checked for frame count, size and mean colour.
frames.json records what was written.
"""
import json
import pathlib

import av
import numpy as np

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "AGFASVideoTests" / "Fixtures"


def frame(i, w, h):
    y, x = np.mgrid[0:h, 0:w]
    rgb = np.stack([(x * 6 + i * 20) % 256, (y * 9 + i * 7) % 256, ((x + y) * 3 + i * 31) % 256], axis=-1)
    return rgb.astype(np.uint8)


def write(path, codec, pix_fmt, count, w, h, rate=10):
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=rate)
        stream.width, stream.height, stream.pix_fmt = w, h, pix_fmt
        if codec == "mpeg4":
            stream.bit_rate = 2_000_000
        for i in range(count):
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame(i, w, h), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    write(OUT / "lossless.mkv", "ffv1", "bgr0", 7, 40, 24)
    write(OUT / "lossy.mp4", "mpeg4", "yuv420p", 10, 64, 48)
    info = {
        "lossless": {"frames": 7, "width": 40, "height": 24,
                     "sums": [int(frame(i, 40, 24).astype(np.int64).sum()) for i in range(7)]},
        "lossy": {"frames": 10, "width": 64, "height": 48,
                  "means": [float(frame(i, 64, 48).mean()) for i in range(10)]},
    }
    (OUT / "frames.json").write_text(json.dumps(info, indent=1))
    for p in sorted(OUT.iterdir()):
        print(p.name, p.stat().st_size)


if __name__ == "__main__":
    main()
