"""Writes the label-file fixture for Tests/AGFASDataTests from a Python label generator.

    /work/venv/bin/python scripts/make_label_fixtures.py   # any Python 3.10+, standard library only

For each case (a dataset layout and a small tree of empty `<index>.png` frames mimicking that
dataset's folders), builds the tree in a temporary folder, runs `reference_labels` on it and
stores the tree description and the label files' exact text in
Tests/AGFASDataTests/Fixtures/labels.json. The Swift test rebuilds the tree and requires
byte-identical files.

`reference_labels` is written from docs/method.md §7 in the reference's style (glob every PNG,
decide by substrings of the path, `json.dump(..., indent=4)`), not from the Swift code:
  - MSU real iff the path has /real/; CASIA real iff the video folder is 1, 2 or HR_1, train iff
    /train_release/; Replay real iff /real/, /devel/ left out; OULU real iff the video folder
    ends in _1, /Dev_files/ left out; generic `<domain>/{live,spoof}/<video>`: live iff live/.
  - all/real/fake lists: every frame; choose_all (k = 2), choose_real / choose_fake (k = 1):
    frame (6 + j*floor(n/k)) mod n of each video's frames in numeric order.
  - photo_belong_to_video_ID: the video's 0-based number within the file (the reference's
    `video_number`); videos in path order, frames in numeric order of their index.
The path tests use '/' + the path below the root, so the root's own location never matters;
photo_path is the case's prefix + '/' + the path below the root.
"""
import glob
import json
import os
import pathlib
import random
import tempfile

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "AGFASDataTests" / "Fixtures"


def reference_labels(layout, root, prefix):
    """{"<group>/<file>.json": text} for the tree under `root`."""
    groups = {}  # group -> {video folder: (label, split, [frame names])}
    for rel in sorted(glob.glob("**/*.png", root_dir=root, recursive=True)):
        path = "/" + rel
        video, frame = os.path.split(rel)
        name = os.path.basename(video)
        split = None
        if layout == "msu":
            group, label = "msu", 1 if "/real/" in path else 0
        elif layout == "casia":
            group, label = "casia", 1 if name in ("1", "2", "HR_1") else 0
            split = "train" if "/train_release/" in path else "test"
        elif layout == "replay":
            if "/devel/" in path:
                continue
            group, label = "replay", 1 if "/real/" in path else 0
        elif layout == "oulu":
            if "/Dev_files/" in path:
                continue
            group, label = "oulu", 1 if name.endswith("_1") else 0
        else:
            parts = rel.split("/")
            group, label = parts[0], 1 if parts[1] == "live" else 0
        groups.setdefault(group, {}).setdefault(video, (label, split, []))[2].append(frame)

    def entries(videos, k=None):
        out = []
        for number, (video, (label, _, frames)) in enumerate(videos):
            frames = sorted(frames, key=lambda f: int(f[:-4]))
            if k is not None:
                n = len(frames)
                frames = [frames[(6 + j * (n // k)) % n] for j in range(k)]
            for frame in frames:
                out.append({
                    "photo_path": prefix + "/" + video + "/" + frame,
                    "photo_label": label,
                    "photo_belong_to_video_ID": number,
                })
        return out

    files = {}
    for group in sorted(groups):
        videos = sorted(groups[group].items())
        real = [v for v in videos if v[1][0] == 1]
        fake = [v for v in videos if v[1][0] == 0]
        lists = {
            "all_label.json": entries(videos), "real_label.json": entries(real),
            "fake_label.json": entries(fake), "choose_all_label.json": entries(videos, 2),
            "choose_real_label.json": entries(real, 1), "choose_fake_label.json": entries(fake, 1),
        }
        if layout == "casia":
            for split in ("train", "test"):
                lists[split + "_label.json"] = entries([v for v in videos if v[1][1] == split])
        for name, items in lists.items():
            files[group + "/" + name] = json.dumps(items, indent=4)
    return files


def tree(rng, videos):
    """Frame paths for `videos` ({folder: frame count}): numbers with gaps, some from 0, some
    past 9 so numeric and text order differ."""
    files = []
    for video, count in videos.items():
        start = rng.choice([0, 1, 5])
        numbers = sorted(rng.sample(range(start, start + count + 4), count))
        files += [f"{video}/{n}.png" for n in numbers]
    return files


def cases():
    rng = random.Random(7)
    msu = tree(rng, {
        "scene01/real/real_client001_android_SD_scene01": 12,
        "scene01/real/real_client002_laptop_SD_scene01": 3,
        "scene01/attack/attack_client001_android_SD_ipad_video_scene01": 8,
        "scene01/attack/attack_client001_laptop_SD_printed_photo_scene01": 1,
        "scene01/attack/attack_client002_android_SD_iphone_video_scene01": 15,
    })
    casia = tree(rng, {
        "train_release/1/1": 9, "train_release/1/2": 7, "train_release/1/3": 11, "train_release/1/HR_1": 6,
        "train_release/1/HR_4": 2, "test_release/2/1": 13, "test_release/2/8": 5, "test_release/2/HR_2": 10,
    })
    replay = tree(rng, {
        "train/real/client001_session01_webcam_authenticate_adverse_1": 14,
        "train/attack/fixed/attack_highdef_client001_session01_highdef_photo_adverse": 9,
        "train/attack/hand/attack_mobile_client001_session01_mobile_video_controlled": 4,
        "devel/real/client003_session01_webcam_authenticate_controlled_1": 8,
        "devel/attack/hand/attack_print_client003_session01_highdef_photo_adverse": 8,
        "test/real/client009_session01_webcam_authenticate_controlled_2": 7,
        "test/attack/fixed/attack_print_client009_session01_highdef_photo_controlled": 16,
    })
    oulu = tree(rng, {
        "Train_files/1_1_01_1": 10, "Train_files/1_1_01_2": 6, "Train_files/2_3_05_4": 12,
        "Dev_files/1_1_21_1": 9, "Dev_files/1_1_21_3": 9, "Test_files/6_3_36_1": 5, "Test_files/6_3_36_5": 17,
    })
    folders = tree(rng, {
        "siteA/live/v01": 8, "siteA/live/v02": 2, "siteA/spoof/print 1": 11,
        "sité-B/live/clip\u00e9": 7, "sité-B/live/clip_🙂": 9,
    })
    # Ignored by both sides: hidden files, other extensions.
    msu += ["scene01/real/real_client001_android_SD_scene01/.9.png",
            "scene01/real/real_client001_android_SD_scene01/notes.txt"]
    return [
        {"name": "msu", "layout": "msu", "prefix": "data/MSU-MFSD", "files": msu},
        {"name": "casia", "layout": "casia", "prefix": "/datasets/casia_256", "files": casia},
        {"name": "replay", "layout": "replay", "prefix": "replay", "files": replay},
        {"name": "oulu", "layout": "oulu", "prefix": "../frames/oulu", "files": oulu},
        {"name": "folders", "layout": "folders", "prefix": "mine", "files": folders},
    ]


def main():
    out = []
    for case in cases():
        with tempfile.TemporaryDirectory() as root:
            for rel in case["files"]:
                path = pathlib.Path(root, rel)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(b"")
            case["expected"] = reference_labels(case["layout"], root, case["prefix"])
        out.append(case)
        print(case["name"], {k: v.count("photo_path") for k, v in case["expected"].items()})
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "labels.json").write_text(json.dumps({"cases": out}, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
