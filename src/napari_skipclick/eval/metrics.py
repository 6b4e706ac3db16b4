"""IoU with void pixels excluded, and NoC@t / failure counts over a set of IoU curves."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .clicker import VOID, split_gt

#: NoC thresholds exactly as the official evaluation builds them (``np.arange(0.8, 0.951, 0.05)``),
#: so 0.85 / 0.90 / 0.95 carry the same last-bit rounding: an IoU of exactly 0.9 does not count.
NOC_THRESHOLDS: dict[int, float] = {
    round(100 * float(t)): float(t) for t in np.arange(0.8, 0.95 + 0.001, 0.05)
}
#: IoU at which the per-object loop stops (the official ``max_iou_thr``)
STOP_IOU = 0.95
#: probability threshold that turns predictions into masks (the official ``--thresh``)
PROB_THRESHOLD = 0.49
#: a fall of IoU larger than this from one click to the next makes that click one that set the
#: annotator back
WORSE_DROP = 0.05


def iou(gt: np.ndarray, pred: np.ndarray, void_value: int = VOID) -> float:
    """IoU of boolean ``pred`` with the object of ``gt`` (1 object, 0 background, void ignored)."""
    obj, valid = split_gt(gt, void_value)
    pred = np.asarray(pred, dtype=bool)
    if pred.shape != obj.shape:
        raise ValueError(f"prediction has shape {pred.shape}, expected {obj.shape}")
    union = np.count_nonzero((pred | obj) & valid)
    if union == 0:
        raise ValueError("IoU undefined: neither the object nor the prediction has valid pixels")
    return np.count_nonzero(pred & obj & valid) / union


def noc(ious: Sequence[float], threshold: float, max_clicks: int) -> int:
    """1-based index of the first click with IoU ≥ ``threshold``; ``max_clicks`` if never."""
    for k, value in enumerate(ious[:max_clicks], start=1):
        if value >= threshold:
            return k
    return max_clicks


def summarize(curves: Sequence[Sequence[float]], max_clicks: int) -> dict[str, float | int]:
    """Mean NoC@80/85/90/95 and failures (NoC equal to the cap, as the official count) per set."""
    summary: dict[str, float | int] = {"n": len(curves)}
    for percent, threshold in NOC_THRESHOLDS.items():
        nocs = np.array([noc(curve, threshold, max_clicks) for curve in curves], dtype=float)
        summary[f"noc{percent}"] = float(nocs.mean()) if len(nocs) else float("nan")
        summary[f"fails{percent}"] = int(np.count_nonzero(nocs == max_clicks))
    return summary


def mean_iou_at(curves: Sequence[Sequence[float]], k: int) -> float:
    """Mean IoU after ``k`` clicks; a curve that stopped early keeps its last IoU."""
    values = [curve[min(k, len(curve)) - 1] for curve in curves if len(curve)]
    return float(np.mean(values)) if values else float("nan")


def worse_clicks(curves: Sequence[Sequence[float]], drop: float = WORSE_DROP) -> tuple[int, int]:
    """How many clicks after each curve's first lowered its IoU by more than ``drop``, and how
    many clicks after the first there were: the clicks that set an annotator back."""
    falls = [np.diff(np.asarray(curve, dtype=float)) for curve in curves if len(curve) > 1]
    worse = sum(int(np.count_nonzero(f < -drop)) for f in falls)
    return worse, sum(len(f) for f in falls)
