"""Simulated user of the NoC protocol: each click goes to the centre of the largest error region.

The rule follows the RITM/SkipClick evaluation clicker: false-negative and false-positive regions
(void pixels excluded) are zero-padded by one pixel so that the image border counts as background,
their exact Euclidean distance transforms are taken, pixels already clicked are zeroed, and the
click is positive only when the false-negative maximum is strictly larger (ties give a negative
click). It lands on the first pixel in row-major order that attains the maximum.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import distance_transform_edt

from ..types import Click

#: mask value of pixels excluded from IoU and from click placement
VOID = 255


def split_gt(gt: np.ndarray, void_value: int = VOID) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(object, valid)`` boolean masks of a ground truth coded 1 / 0 / ``void_value``."""
    gt = np.asarray(gt)
    return gt == 1, gt != void_value


def _border_distance(region: np.ndarray) -> np.ndarray:
    """Exact EDT of ``region`` with a one-pixel background frame around it, as float32."""
    padded = np.pad(region, 1, mode="constant", constant_values=False)
    # float32 like OpenCV's exact (maskSize 0) transform, so equal distances tie the same way
    return distance_transform_edt(padded)[1:-1, 1:-1].astype(np.float32)


class Clicker:
    """Places the next simulated click for one object from the current binary prediction."""

    def __init__(self, gt: np.ndarray, void_value: int = VOID) -> None:
        self.object, self.valid = split_gt(gt, void_value)
        if self.object.ndim != 2:
            raise ValueError(f"ground truth must be 2-D, got shape {self.object.shape}")
        self.not_clicked = np.ones(self.object.shape, dtype=np.float32)
        self.clicks: list[Click] = []

    def next_click(self, pred: np.ndarray) -> Click:
        """Add and return the click correcting the largest error of ``pred`` (bool ``(H, W)``)."""
        pred = np.asarray(pred, dtype=bool)
        if pred.shape != self.object.shape:
            raise ValueError(f"prediction has shape {pred.shape}, expected {self.object.shape}")
        fn = self.object & ~pred & self.valid
        fp = ~self.object & pred & self.valid
        fn_dist = _border_distance(fn) * self.not_clicked
        fp_dist = _border_distance(fp) * self.not_clicked
        fn_max, fp_max = fn_dist.max(), fp_dist.max()
        positive = bool(fn_max > fp_max)
        dist, best = (fn_dist, fn_max) if positive else (fp_dist, fp_max)
        flat = int(np.flatnonzero(dist == best)[0])
        row, col = divmod(flat, dist.shape[1])
        self.not_clicked[row, col] = 0.0
        click = Click(row, col, positive)
        self.clicks.append(click)
        return click
