"""The per-object NoC loop: one ``encode``, then one simulated click and one ``decode`` per step."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..engines.base import Engine, Features
from ..types import Click
from .clicker import VOID, Clicker
from .metrics import NOC_THRESHOLDS, PROB_THRESHOLD, STOP_IOU, iou, noc


@dataclass
class ObjectResult:
    """Clicks, IoU after each click and timings of one object's simulated session; the image's
    features when the loop was asked to keep them (``evaluate_object``'s ``keep_features``)."""

    name: str
    max_clicks: int
    clicks: list[Click] = field(default_factory=list)
    ious: list[float] = field(default_factory=list)
    encode_ms: float = 0.0
    decode_ms: list[float] = field(default_factory=list)
    features: Features | None = field(default=None, repr=False, compare=False)

    def noc(self, percent: int) -> int:
        """Clicks needed to reach IoU ≥ ``percent`` % (the cap if never reached)."""
        return noc(self.ious, NOC_THRESHOLDS[percent], self.max_clicks)

    def to_dict(self) -> dict:
        """JSON-ready record of this object."""
        record: dict = {"name": self.name}
        record.update({f"noc{p}": self.noc(p) for p in NOC_THRESHOLDS})
        record["ious"] = [round(float(v), 6) for v in self.ious]
        record["clicks"] = [[int(c.y), int(c.x), bool(c.positive)] for c in self.clicks]
        record["encode_ms"] = round(self.encode_ms, 3)
        record["decode_ms"] = [round(v, 3) for v in self.decode_ms]
        return record


def _check_probs(probs: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Return ``probs`` as an array or raise if an engine broke the decode contract."""
    probs = np.asarray(probs)
    if probs.shape != shape:
        raise RuntimeError(
            f"engine returned probabilities of shape {probs.shape}, expected {shape}"
        )
    if not np.all(np.isfinite(probs)):
        raise RuntimeError("engine returned non-finite probabilities")
    return probs


def evaluate_object(
    engine: Engine,
    name: str,
    image: np.ndarray,
    gt: np.ndarray,
    max_clicks: int = 20,
    stop_iou: float = STOP_IOU,
    threshold: float = PROB_THRESHOLD,
    void_value: int = VOID,
    clock: Callable[[], float] = time.perf_counter,
    keep_features: bool = False,
) -> ObjectResult:
    """Run the NoC protocol for one object and return its clicks, IoUs and timings.

    The engine encodes the image once; each click decodes with all clicks so far and the previous
    probabilities as ``prev_mask``. The first click gets the prior the annotation session gives
    an object without pixels (its mask on the frame: all zeros). The loop stops at IoU ≥
    ``stop_iou`` or after ``max_clicks``. With ``keep_features`` the result keeps the image's
    features, so that further protocols on the image need not encode it again.
    """
    if max_clicks < 1:
        raise ValueError(f"max_clicks must be at least 1, got {max_clicks}")
    result = ObjectResult(name=name, max_clicks=max_clicks)
    clicker = Clicker(gt, void_value)
    start = clock()
    features = engine.encode(image)
    result.encode_ms = 1000.0 * (clock() - start)
    if keep_features:
        result.features = features
    pred = np.zeros(gt.shape, dtype=bool)
    prev = pred.astype(np.float32)  # the session's prior: the object's (empty) mask
    for _ in range(max_clicks):
        result.clicks.append(clicker.next_click(pred))
        clicks: Sequence[Click] = list(result.clicks)
        start = clock()
        probs = engine.decode(features, clicks, prev_mask=prev)
        result.decode_ms.append(1000.0 * (clock() - start))
        prev = _check_probs(probs, gt.shape)
        pred = prev > threshold
        result.ious.append(iou(gt, pred, void_value))
        if result.ious[-1] >= stop_iou:
            break
    return result


def warm_up(engine: Engine, image: np.ndarray) -> None:
    """One untimed encode and single-click decode, so lazy imports and first-call setup are not
    counted in the measured latencies."""
    height, width = image.shape[:2]
    features = engine.encode(image)
    prior = np.zeros((height, width), np.float32)
    engine.decode(features, [Click(height // 2, width // 2, True)], prev_mask=prior)
