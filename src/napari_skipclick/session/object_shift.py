"""The object's own displacement between two frames (``best_shift``): whole-pixel shifts of
its pixels tried around a few candidates, the one that matches the new frame best winning."""

from __future__ import annotations

import math

import numpy as np

from ..shapes import on_picture

#: whole pixels searched around each candidate shift (in the downscaled crop)
SEARCH = 2
#: grey difference at which a pixel's error stops growing (it may be occluded)
CAP = 0.1
#: error added per pixel (of the downscaled crop) that a shift departs from the expected one
INERTIA = 0.0005


def best_shift(
    before: np.ndarray,
    after: np.ndarray,
    mask: np.ndarray,
    dense: np.ndarray,
    expected: np.ndarray | None = None,
) -> np.ndarray:
    """Displacement (rows, columns) that best maps the masked pixels of ``before`` onto ``after``.

    Candidates: ``expected`` (the object's displacement on the step before, when known); the
    peak of masked normalised cross-correlation of the object (grown by two pixels, so its
    edges count), which the background's motion does not pull along; the median of the dense
    backward flow ``dense`` over the object; no motion. Around each, the whole-pixel shift
    within ``SEARCH`` pixels whose object pixels (the mask itself) differ least from the new
    frame wins; each pixel's difference counts up to ``CAP`` (an occluder passing in front, or
    a spurious correlation peak, cannot throw the object away), a pixel moved off the crop
    counts ``CAP`` (it cannot be checked) unless ``expected`` moves it off too (it left the
    picture as the object went: it does not count), and each pixel of departure from
    ``expected`` adds ``INERTIA``: a plain object (a ski on snow) matches the snow anywhere, so
    its own pixels alone do not tell where it went; the way it was going does.
    """
    from scipy.ndimage import binary_dilation
    from skimage.registration import phase_cross_correlation

    grown = binary_dilation(mask, iterations=2)
    if grown.all() or not grown.any():
        return np.zeros(2, np.float32)
    peak = phase_cross_correlation(
        after, before, reference_mask=np.ones_like(grown), moving_mask=grown
    )
    peak = np.asarray(peak[0] if isinstance(peak, tuple) else peak, np.float64)
    median = -np.median(dense[:, grown], axis=1)
    rows, cols = np.nonzero(mask)
    values = before[rows, cols]
    height, width = after.shape
    best, best_error = np.zeros(2, np.float32), np.inf
    tried = set()
    # the pixels the object's course moves beyond the crop have left the picture as it goes
    gone = np.zeros(rows.shape, bool)
    if expected is not None:
        ey, ex = np.rint(expected).astype(int)
        gone = ~on_picture(rows + ey, cols + ex, after.shape)
    candidates = [peak, median, np.zeros(2)]
    if expected is not None:
        candidates.insert(0, np.asarray(expected, np.float64))
    for candidate in candidates:
        cy, cx = (round(float(v)) for v in candidate)
        for dy in range(cy - SEARCH, cy + SEARCH + 1):
            for dx in range(cx - SEARCH, cx + SEARCH + 1):
                if (dy, dx) in tried:
                    continue
                tried.add((dy, dx))
                off = ~on_picture(rows + dy, cols + dx, after.shape)
                r = np.clip(rows + dy, 0, height - 1)
                moved = after[r, np.clip(cols + dx, 0, width - 1)]
                cost = np.where(off, CAP, np.minimum(np.abs(moved - values), CAP))
                kept = ~(off & gone)  # what left as the course says is no mismatch
                error = float(cost[kept].mean()) if kept.any() else 0.0
                if expected is not None:
                    error += INERTIA * math.hypot(dy - expected[0], dx - expected[1])
                if error < best_error:
                    best, best_error = np.array([dy, dx], np.float32), error
    return best
