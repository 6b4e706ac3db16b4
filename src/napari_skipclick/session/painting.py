"""Painting by hand: pixels set with a brush, an eraser or a fill, as undoable edits.

Where a click cannot give the mask (a pole a pixel wide against a dark tree), the annotator
paints it. A painted stroke is an edit like a click's: it goes on the undo stack (a stroke's
dabs as one step through a ``History.new_group`` number; ``end_stroke`` folds them into one
patch per frame), makes the frame the annotator's work (*clicked*) and is saved with the
frame. A painted mask is the annotator's own, as a clicked one is: propagation stops at it
rather than overwrite it (``own_mask``). The object's clicks stay. Its next click on that frame
is decoded with the painted mask as the prior (``priors.DecodePriors``); where propagation made
the mask, the click corrects it around itself only (``corrections``), so a fix painted
elsewhere stays.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from ..checks import ids_in
from ..types import FrameStatus
from .clicks import ClickTable
from .frame_changes import FrameChange, Marks, changed_box, frame_change
from .history import History
from .labels import LabelVolume
from .review import accepted_after
from .state import ObjectRegistry


class SessionPainting:
    """Pixels painted by hand (a mixin: it uses the session's state)."""

    labels: LabelVolume
    registry: ObjectRegistry
    _clicks: ClickTable
    _lock: Any
    _paint_times: dict[tuple[int, int], float]  # the session's
    status: Callable[[int], FrameStatus]
    ids_on: Callable[[int], frozenset[int]]
    marks_on: Callable[[int], Marks]
    record: Callable[..., None]
    history: History

    def paint(
        self,
        t: int,
        box: tuple[int, int, int, int],
        painted: np.ndarray,
        values: np.ndarray | int,
        *,
        group: int | None = None,
    ) -> bool:
        """Set the ``painted`` pixels of frame ``t``'s rows ``box[0]:box[1]`` and columns
        ``box[2]:box[3]`` to ``values`` (one undoable edit); returns whether a pixel changed.

        Args:
            t: the frame.
            box: ``(y0, y1, x0, x1)`` within the frame.
            painted: boolean ``(y1 - y0, x1 - x0)``: the pixels the brush touched.
            values: the labels there: an object's ID, 0 to erase, or an array of the box's
                shape.
            group: undo group (``History.new_group``): a stroke's dabs undo together
                (``end_stroke`` folds them).

        Raises:
            ValueError: a box outside the frame, a ``painted`` or ``values`` of another shape,
                or a label that is no object's ID (nothing changes).
        """
        t = self.labels.frame_index(t)
        y0, y1, x0, x1 = (int(v) for v in box)
        height, width = self.labels.shape[1:]
        if not (0 <= y0 <= y1 <= height and 0 <= x0 <= x1 <= width):
            raise ValueError(f"box {box} lies outside the {height}x{width} frame")
        painted = np.asarray(painted, bool)
        if painted.shape != (y1 - y0, x1 - x0):
            raise ValueError(f"painted pixels of shape {painted.shape} for box {box}")
        values = np.broadcast_to(np.asarray(values), painted.shape)
        if values.dtype.kind not in "iub":
            raise ValueError(f"labels must be integers, got {values.dtype}")
        with self._lock:
            labels = values[painted]
            lowest = int(labels.min()) if labels.size else 0
            found = {lowest} if lowest < 0 else ids_in(labels.astype(np.uint64))
            bad = {i for i in found if i not in self.registry}
            if bad:
                listed = ", ".join(str(o.id) for o in self.registry.objects) or "none yet"
                raise ValueError(
                    f"label {min(bad)} is no object's ID: paint with an object's ID ({listed}) "
                    "or 0 to erase"
                )
            region = self.labels.read(t)[y0:y1, x0:x1]
            changed = painted & (region != values)
            touched = ids_in(region[changed]) | ids_in(values[changed].astype(np.uint64))
            change = self._painted_change(t, (y0, y1, x0, x1), painted, values)
            if change is None:
                return False
            self.record(change, group=group)
            now = time.time()
            self._paint_times.update(((t, obj), now) for obj in touched)
        return True

    def painted_at(self, t: int, obj_id: int) -> float:
        """When you last painted or erased the object's pixels on frame ``t`` in this session
        (the unix time, as a click's; 0.0: not in this session)."""
        with self._lock:
            return self._paint_times.get((self.labels.frame_index(t), obj_id), 0.0)

    def end_stroke(self, group: int) -> None:
        """The stroke painted in undo group ``group`` ended: its dabs fold into one patch per
        frame (``History.fold_group``), so that undoing it rewrites each frame once. Until
        then each dab is a patch of its own box, so a dab costs the same at the end of a long
        stroke as at its start."""
        with self._lock:
            self.history.fold_group(group, self.labels.read)

    def paint_at(self, key: Any, value: Any, *, group: int | None = None) -> list[int]:
        """``paint`` what ``labels[key] = value`` would write (napari's Labels layer writes a
        brush's dab, an eraser's, a fill or a polygon so: a frame index, slice or index array
        first); returns the frames where a pixel changed. ``ValueError`` as ``paint`` (the
        frames before the refused one keep their paint)."""
        frames = []
        for t, (box, before, after) in self.labels.patches(key, value).items():
            inner = changed_box(before, after)
            if inner is None:
                continue
            y0, y1, x0, x1 = inner
            top, _, left, _ = box
            painted = before[y0:y1, x0:x1] != after[y0:y1, x0:x1]
            at = (top + y0, top + y1, left + x0, left + x1)
            if self.paint(t, at, painted, after[y0:y1, x0:x1], group=group):
                frames.append(t)
        return frames

    def own_mask(self, t: int, obj_id: int) -> bool:
        """Whether the object has pixels on a frame the annotator worked on (*clicked*: clicks
        or paint): propagation stops there rather than overwrite them."""
        t = self.labels.frame_index(t)
        with self._lock:
            return self.status(t) == FrameStatus.CLICKED and obj_id in self.ids_on(t)

    def _painted_change(
        self,
        t: int,
        box: tuple[int, int, int, int],
        painted: np.ndarray,
        values: np.ndarray,
    ) -> FrameChange | None:
        """Frame ``t`` with the painted pixels set (None: none changed); its status becomes
        *clicked* (the annotator's work), or empty when it is left with no pixels and no
        clicks. The objects whose pixels changed are marked painted there (``Marks``): the
        frame stays the annotator's while one of them is on it (and, accepted before the
        stroke, while it holds anything: ``review.accepted_after``)."""
        y0, y1, x0, x1 = box
        frame = self.labels.read(t)
        before = frame[y0:y1, x0:x1]
        after = before.copy()
        after[painted] = values[painted].astype(after.dtype)
        if np.array_equal(before, after):
            return None
        clicks = any(self._clicks.on(t).values())
        # pixels left on the frame: the whole frame is counted only when the box has none left
        left = after.any() or np.count_nonzero(frame) > np.count_nonzero(before)
        status = FrameStatus.CLICKED if clicks or left else FrameStatus.EMPTY
        change = frame_change(t, before, after, {}, {}, self.status(t), status, (y0, x0))
        marks = self.marks_on(t)
        changed = before != after
        touched = ids_in(before[changed]) | ids_in(after[changed])
        accepted = accepted_after(marks, change.status_before, status)
        if touched <= marks.painted and accepted == marks.accepted:
            return change
        painted = replace(marks, painted=marks.painted | touched, accepted=accepted)
        return replace(change, marks_before=marks, marks_after=painted)
