"""Writes the evaluation-metric fixtures for Tests/AGFASEvaluationTests from scikit-learn and numpy.

    /work/venv/bin/pip install scikit-learn   # once
    /work/venv/bin/python scripts/make_metrics_fixtures.py

Writes Tests/AGFASEvaluationTests/Fixtures/metrics.json: a list of cases, each with its input
scores (P(live)) and labels (1 live, 0 spoof) and what the references compute from them:

  auc           sklearn.metrics.roc_auc_score(labels, scores)
  roc           sklearn.metrics.roc_curve(labels, scores) (drop_intermediate=True); the first
                threshold (inf) is stored as null
  tpr_at_fpr    for target in (0.01, 0.001):
                    fpr, tpr, _ = roc_curve(labels, scores)
                    tpr[np.searchsorted(fpr, target, side="right") - 1]
                i.e. the TPR of the last ROC point whose FPR <= target (no interpolation)
  eer, threshold, far, frr, hter, accuracy, apcer, bpcer, acer
                the SSDG-family reference procedure (see `reference_grid`), on the grid
                i / 10000 for i = 0 ... 10000, then 1.1

Cases with video ids store frame-level inputs; `video_scores` / `video_labels` are the
video-level inputs the metrics were computed on (mean of the video's frames: a plain float64
sum in file order over the count, first-appearance order of the videos).
"""
import json
import pathlib

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "AGFASEvaluationTests" / "Fixtures"
rng = np.random.default_rng(20240611)
GRID = [i / 10000.0 for i in range(10001)] + [1.1]


def rates(scores, labels, thr):
    """FAR (spoofs with score >= thr over spoofs) and FRR (lives with score < thr over lives)."""
    accepted = scores >= thr
    far = np.sum(accepted & (labels == 0)) / float(np.sum(labels == 0))
    frr = np.sum(~accepted & (labels == 1)) / float(np.sum(labels == 1))
    accuracy = (np.sum(accepted & (labels == 1)) + np.sum(~accepted & (labels == 0))) / labels.shape[0]
    return float(far), float(frr), float(accuracy)


def reference_grid(scores, labels):
    """EER as the reference computes it: walk the grid in order, keep the last threshold whose
    |FRR - FAR| is <= the smallest seen so far (starting at 1.0); EER = (FAR + FRR) / 2 there.
    HTER, accuracy, APCER (= FAR), BPCER (= FRR) and ACER are then taken at that threshold."""
    best, state = 1.0, None
    for thr in GRID:
        far, frr, _ = rates(scores, labels, thr)
        dist = abs(frr - far)
        if dist <= best:
            best, state = dist, (far, frr, thr)
    far, frr, thr = state
    _, _, accuracy = rates(scores, labels, thr)
    hter = (far + frr) / 2.0
    return {
        "eer": (far + frr) / 2.0, "threshold": thr, "far": far, "frr": frr, "hter": hter,
        "accuracy": accuracy, "apcer": far, "bpcer": frr, "acer": (far + frr) / 2.0,
    }


def expected(scores, labels):
    scores, labels = np.asarray(scores, dtype=np.float64), np.asarray(labels, dtype=np.int64)
    fpr, tpr, thresholds = roc_curve(labels, scores)
    out = {
        "auc": float(roc_auc_score(labels, scores)),
        "roc": {
            "fpr": fpr.tolist(), "tpr": tpr.tolist(),
            "thresholds": [None if np.isinf(t) else float(t) for t in thresholds],
        },
        "tpr_at_fpr": {
            str(target): float(tpr[np.searchsorted(fpr, target, side="right") - 1]) for target in (0.01, 0.001)
        },
    }
    out.update(reference_grid(scores, labels))
    return out


def case(name, scores, labels, note):
    scores = [float(s) for s in scores]
    labels = [int(v) for v in labels]
    return {"name": name, "note": note, "scores": scores, "labels": labels, **expected(scores, labels)}


def mixed(n_live, n_spoof, live=(5, 2), spoof=(2, 5)):
    """Overlapping beta-distributed scores, shuffled so labels interleave."""
    scores = np.concatenate([rng.beta(*live, n_live), rng.beta(*spoof, n_spoof)])
    labels = np.array([1] * n_live + [0] * n_spoof)
    order = rng.permutation(len(scores))
    return scores[order], labels[order]


def video_case():
    """Frames of 40 videos, 1-9 frames each, interleaved; frame scores spread around a per-video level."""
    frames = []
    for v in range(40):
        label = int(v % 3 != 0)
        level = rng.beta(5, 2) if label else rng.beta(2, 5)
        for _ in range(int(rng.integers(1, 10))):
            frames.append((float(np.clip(level + rng.normal(0, 0.1), 0, 1)), label, f"video_{v:02d}"))
    frames = [frames[i] for i in rng.permutation(len(frames))]
    sums, counts, video_labels, order = {}, {}, {}, []
    for score, label, video in frames:
        if video not in sums:
            sums[video], counts[video], video_labels[video] = 0.0, 0, label
            order.append(video)
        sums[video] += score  # plain sequential float64 sum (not Python's compensated sum())
        counts[video] += 1
    video_scores = [sums[v] / counts[v] for v in order]
    labels = [video_labels[v] for v in order]
    out = case("videos", video_scores, labels, "frame scores averaged per video")
    out.update({
        "frame_scores": [f[0] for f in frames], "frame_labels": [f[1] for f in frames],
        "frame_videos": [f[2] for f in frames], "videos": order, "video_scores": video_scores,
        "video_labels": labels,
    })
    return out


def main():
    cases = []
    for n_live, n_spoof in [(3, 4), (20, 30), (150, 170)]:
        s, y = mixed(n_live, n_spoof)
        cases.append(case(f"random_{n_live}_{n_spoof}", s, y, "overlapping beta scores"))
    s, y = mixed(60, 80)
    cases.append(case("ties_coarse", np.round(s, 1), y, "scores rounded to 0.1: many ties across classes"))
    s, y = mixed(90, 110, live=(2, 2), spoof=(2, 3))
    cases.append(case("ties_on_grid", np.round(s, 3), y, "scores on grid points: tests >= at the threshold"))
    cases.append(case("all_equal", [0.5] * 10, [1, 0] * 5, "one score for all: AUC 0.5"))
    s = np.concatenate([rng.uniform(0.6, 1.0, 25), rng.uniform(0.0, 0.4, 35)])
    cases.append(case("separable", s, [1] * 25 + [0] * 35, "every live above every spoof"))
    cases.append(case("inverted", 1.0 - s, [1] * 25 + [0] * 35, "every live below every spoof"))
    s, y = mixed(40, 1500)
    cases.append(case("imbalanced", s, y, "few lives, many spoofs: TPR at FPR 0.1% is meaningful"))
    s, y = mixed(12, 9)
    cases.append(case("float32", s.astype(np.float32).astype(np.float64), y, "float32 softmax-like scores"))
    cases.append(video_case())
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "metrics.json"
    path.write_text(json.dumps({"grid": "i/10000, i=0..10000, then 1.1", "cases": cases}) + "\n")
    print(f"wrote {path} ({path.stat().st_size} bytes, {len(cases)} cases)")


if __name__ == "__main__":
    main()
