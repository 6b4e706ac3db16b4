"""An undo record keeps only the changed pixels of its box when they are few (a stroke across
a frame), and undo and redo stay exact."""

from __future__ import annotations

import numpy as np

from napari_skipclick.bench.session import timed_stroke
from napari_skipclick.session import AnnotationSession
from napari_skipclick.session.frame_changes import SPARSE_SHARE, frame_change
from napari_skipclick.types import FrameStatus
from support.engines import ColourEngine
from support.sessions import assert_same, snapshot

EMPTY, CLICKED = FrameStatus.EMPTY, FrameStatus.CLICKED


def test_a_change_keeps_its_box_or_only_its_changed_pixels():
    rng = np.random.default_rng(0)
    before = rng.integers(0, 4, (40, 60)).astype(np.uint32)
    for share, sparse in ((0.6, False), (SPARSE_SHARE / 2, True)):
        after = before.copy()
        changed = rng.random(before.shape) < share
        changed[0, 0] = changed[-1, -1] = True  # the box is the whole patch
        after[changed] = before[changed] + 1
        change = frame_change(3, before, after, {}, {}, EMPTY, CLICKED, (5, 7))
        assert change.box == (5, 45, 7, 67) and (change.where is not None) == sparse
        dense_bytes = 2 * before.nbytes
        assert (change.nbytes < dense_bytes / 2) == sparse
        region = after.copy()
        change.paste(region, after=False)
        np.testing.assert_array_equal(region, before)
        change.paste(region, after=True)
        np.testing.assert_array_equal(region, after)


def test_a_long_stroke_keeps_a_small_undo_record_and_undoes_exactly():
    session = AnnotationSession(np.zeros((2, 480, 640, 3), np.uint8), ColourEngine())
    obj = session.add_object().id
    before = snapshot(session)
    stroke, _ = timed_stroke(session, obj, 80, (20, 20), (5, 7))
    session.end_stroke(stroke)
    painted = snapshot(session)
    (edit,) = session.history.next_edits()
    (change,) = edit.changes
    y0, y1, x0, x1 = change.box
    assert (y1 - y0) * (x1 - x0) > 0.8 * 400 * 560  # the stroke crosses most of the frame
    assert change.where is not None
    assert change.nbytes < 0.05 * 2 * 4 * (y1 - y0) * (x1 - x0)
    assert change.where.size == np.count_nonzero(session.labels.read(0) == obj)
    session.undo()
    assert_same(snapshot(session), before)
    session.redo()
    assert_same(snapshot(session), painted)
