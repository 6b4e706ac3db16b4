"""Edits of one object on a frame's labels under the overlap rule (one object per pixel)."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np


def overlay(
    labels: np.ndarray,
    obj_id: int,
    mask: np.ndarray,
    override: bool,
    yielding: Collection[int] = (),
) -> np.ndarray:
    """Frame labels with object ``obj_id`` set to ``mask`` under the overlap rule.

    One object per pixel: pixels of other objects keep their owner unless ``override``, or
    unless the owner is one of ``yielding`` (objects written in the same step, whose pixels on
    the frame are about to be replaced); the object's own pixels outside ``mask`` become
    background.
    """
    out = np.where(labels == obj_id, 0, labels).astype(labels.dtype)
    free = out == 0
    if yielding:
        free |= np.isin(out, list(yielding))
    claim = mask if override else mask & free
    out[claim] = obj_id
    return out


def object_edit(
    frame: np.ndarray,
    obj_id: int,
    mask: np.ndarray | None,
    override: bool,
    yielding: Collection[int] = (),
) -> tuple[tuple[int, int, int, int], np.ndarray, np.ndarray]:
    """Set object ``obj_id`` to ``mask`` (None: remove it) in the box the change can touch,
    under ``overlay``'s rule (``override``, ``yielding``).

    Returns the box (y0, y1, x0, x1) covering the object's current pixels and ``mask``, and the
    frame's patch in that box before and after ``overlay``; the frame itself is not modified.
    """
    boxes = [_bbox(frame == obj_id)] + ([_bbox(mask)] if mask is not None else [])
    boxes = [b for b in boxes if b is not None]
    if not boxes:
        empty = frame[:0, :0].copy()
        return (0, 0, 0, 0), empty, empty
    y0, x0 = min(b[0] for b in boxes), min(b[2] for b in boxes)
    y1, x1 = max(b[1] for b in boxes), max(b[3] for b in boxes)
    before = frame[y0:y1, x0:x1].copy()
    crop = np.zeros(before.shape, bool) if mask is None else mask[y0:y1, x0:x1]
    return (y0, y1, x0, x1), before, overlay(before, obj_id, crop, override, yielding)


def _bbox(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask[rows[0] : rows[-1] + 1].any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
