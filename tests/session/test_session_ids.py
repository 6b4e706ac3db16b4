"""The object IDs of a frame follow each edit without reading the whole frame again."""

from __future__ import annotations

import numpy as np

from napari_skipclick.checks import ids_in
from napari_skipclick.session import AnnotationSession
from napari_skipclick.session import annotation as annotation_module
from napari_skipclick.types import Click
from support.engines import ColourEngine, moving_squares


def test_ids_follow_edits_undo_and_redo_without_a_full_recount(monkeypatch):
    """Each click counted every pixel of its frame again on the GUI thread (48 ms at 4K)."""
    session = AnnotationSession(moving_squares(3), ColourEngine())
    red, blue = session.add_object().id, session.add_object().id
    session.set_clicks(0, red, [Click(25, 15, True)])
    assert session.ids_on(0) == {red}
    full: list[int] = []
    monkeypatch.setattr(annotation_module, "ids_in", lambda frame: full.append(1) or ids_in(frame))
    session.set_clicks(0, blue, [Click(45, 70, True)])
    assert session.ids_on(0) == {red, blue}
    rows, cols = np.nonzero(session.labels[0] == red)
    session.paint(0, (0, 64, 0, 96), np.asarray(session.labels[0]) == red, 0)  # red erased
    assert session.ids_on(0) == {blue}
    session.paint(0, (rows[0], rows[0] + 1, cols[0], cols[0] + 1), np.ones((1, 1), bool), red)
    assert session.ids_on(0) == {red, blue}
    for step in (session.undo, session.undo, session.undo, session.redo, session.redo):
        step()
        assert session.ids_on(0) == ids_in(np.asarray(session.labels[0]))
    assert full == []
