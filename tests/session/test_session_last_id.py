"""Past object ID 65535 (the largest), a new object takes the smallest ID not given."""

from __future__ import annotations

import numpy as np
import pytest

from napari_skipclick.checks import MAX_OBJECT_ID
from napari_skipclick.io.store import AnnotationStore
from napari_skipclick.session import AnnotationSession
from napari_skipclick.session.imports import fresh_ids, import_frames
from napari_skipclick.session.state import ObjectRegistry
from napari_skipclick.types import ObjectInfo
from support.engines import ColourEngine, moving_squares
from support.sessions import two_objects_in_store


def test_after_the_largest_id_new_objects_fill_the_gaps_below_it(tmp_path):
    """An object 65535 (painted, or imported from a mask using 65535 as "ignore") made
    every new object fail: "ID 65536 is above 65535"."""
    session, red, blue = two_objects_in_store(tmp_path / "s.zarr", 3)
    session.delete_object(blue)
    top = session.add_object(obj_id=MAX_OBJECT_ID).id
    gap = session.add_object().id
    assert (red, blue, top, gap) == (1, 2, MAX_OBJECT_ID, 3)  # blue may come back with undo
    session.undo()
    session.undo()
    session.undo()  # blue back under its own ID
    assert blue in session.registry and session.add_object().id == 4
    frames, path = session.frames, session.store.path
    session.close()
    with AnnotationStore.open(path) as stored:
        assert stored.next_object_id() == MAX_OBJECT_ID + 1
    reopened = AnnotationSession(
        frames, ColourEngine(), store=AnnotationStore.open(path, readonly=False)
    )
    assert reopened.add_object().id == 3  # 3 was undone before it was saved
    reopened.close()


def test_when_every_id_is_taken_a_new_object_is_refused_clearly():
    infos = [ObjectInfo(i, f"o{i}", "object", (1, 2, 3)) for i in range(2, MAX_OBJECT_ID + 1)]
    registry = ObjectRegistry(infos, ["object"])
    assert registry.add_object().id == 1
    with pytest.raises(ValueError, match="all 65535 object IDs are taken"):
        registry.add_object()
    assert len(registry.objects) == MAX_OBJECT_ID


def test_after_the_largest_id_imported_ids_that_clash_take_free_ids_below_it():
    """An imported ID that clashed took one above 65535, which no labels can hold; and an
    ID never given counted as given (it is below ``next_id``)."""
    session = AnnotationSession(moving_squares(4), ColourEngine())
    red, blue = session.add_object().id, session.add_object().id
    session.add_object(obj_id=MAX_OBJECT_ID)
    session.delete_object(blue)
    ids = {blue, 3, 5}  # blue: deleted here; 3, 5: never given
    given = fresh_ids(session.registry, ids, {})
    assert given == {blue: 4, 3: 3, 5: 5}
    labels = np.zeros(session.frame_shape, np.uint32)
    labels[10:20, 10:20], labels[30:40, 30:40], labels[50:60, 50:60] = 4, 3, 5
    import_frames(session, {1: labels})
    assert [o.id for o in session.objects] == [red, 3, 4, 5, MAX_OBJECT_ID]
    assert session.ids_on(1) == {3, 4, 5}
    with pytest.raises(ValueError, match="all 65535 object IDs are taken"):
        session.registry.new_ids(MAX_OBJECT_ID, besides={6})
