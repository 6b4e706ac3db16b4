"""Adding an object is an undo step: alone (M), or with the edit it was added for (a first
click, a new label painted, an import), and it comes back as it was last named."""

from __future__ import annotations

import numpy as np

from napari_skipclick.io.store import AnnotationStore
from napari_skipclick.session import AnnotationSession
from napari_skipclick.session.imports import import_frames
from napari_skipclick.types import Click, VideoInfo
from support.engines import ColourEngine, moving_squares
from support.sessions import assert_same, snapshot


def test_adding_an_object_is_undone_and_redone_and_its_id_is_not_given_again():
    session = AnnotationSession(moving_squares(3), ColourEngine(), classes=("skier", "ski"))
    skier = session.add_object("skier")
    ski = session.add_object("ski")
    assert session.undo() is None and session.objects == [skier]
    assert session.redo() is None and session.objects == [skier, ski]
    session.undo(), session.undo()
    assert session.objects == [] and not session.can_undo
    assert session.add_object().id == 3  # 1 and 2 may come back with redo: never given again
    assert not session.can_redo


def test_an_object_added_for_its_first_click_is_undone_with_it():
    session = AnnotationSession(moving_squares(3), ColourEngine())
    other = session.add_object()
    session.set_clicks(0, other.id, [Click(45, 70, True)])
    before = snapshot(session)
    obj = session.add_object(with_next_edit=True)
    session.set_clicks(0, obj.id, [Click(25, 15, True)])
    after = snapshot(session)
    assert (session.labels.read(0) == obj.id).any()
    session.undo()  # one undo: the click's mask and the object
    assert_same(snapshot(session), before)
    assert session.objects == [other]
    session.redo()
    assert_same(snapshot(session), after)
    assert session.objects == [other, obj]


def test_an_object_added_for_an_edit_of_another_object_is_undone_alone():
    session = AnnotationSession(moving_squares(3), ColourEngine())
    other = session.add_object()
    obj = session.add_object(with_next_edit=True)
    session.set_clicks(0, other.id, [Click(45, 70, True)])  # the user clicked another object
    session.undo()
    assert session.objects == [other, obj] and session.clicks(0, other.id) == []
    session.undo()
    assert session.objects == [other]


def test_a_stroke_of_a_new_label_and_its_object_undo_together():
    session = AnnotationSession(moving_squares(3), ColourEngine())
    session.add_object()
    before = snapshot(session)
    obj = session.add_object(obj_id=7, with_next_edit=True)
    group = session.history.new_group()
    dab = np.ones((4, 4), bool)
    for x in range(10, 40, 3):
        session.paint(1, (20, 24, x, x + 4), dab, obj.id, group=group)
    session.end_stroke(group)
    edits = session.history.next_edits()
    assert [len(e.changes) for e in edits] == [1, 0]  # the folded stroke, then the object
    painted = snapshot(session)
    session.undo()
    assert_same(snapshot(session), before)
    assert [o.id for o in session.objects] == [1]
    session.redo()
    assert_same(snapshot(session), painted)
    assert (session.labels.read(1)[20:24, 10:41] == 7).all()


def test_renaming_an_object_and_changing_its_class_are_undo_steps():
    session = AnnotationSession(moving_squares(3), ColourEngine(), classes=("skier", "pole"))
    obj = session.add_object("skier")
    session.rename_object(obj.id, "left pole")
    session.set_object_class(obj.id, "pole")
    session.rename_object(obj.id, "left pole")  # the same name: no step
    session.undo()
    assert (session.object(obj.id).name, session.object(obj.id).class_name) == (
        "left pole",
        "skier",
    )
    session.undo()
    assert session.object(obj.id) == obj
    session.undo()
    assert session.objects == [] and not session.can_undo
    session.redo(), session.redo(), session.redo()
    assert (session.object(obj.id).name, session.object(obj.id).class_name) == (
        "left pole",
        "pole",
    )
    assert not session.can_redo


def test_undoing_an_import_takes_out_the_objects_it_added():
    session = AnnotationSession(moving_squares(4), ColourEngine())
    mine = session.add_object()
    labels = np.zeros(session.frame_shape, np.uint32)
    labels[10:20, 10:20] = 5
    labels[30:35, 10:20] = mine.id  # an object of the session: it stays
    added = import_frames(session, {2: labels, 3: labels}, {5: ("ski", "ski")})
    session.undo()
    assert session.objects == [mine] and session.ids_on(2) == frozenset()
    session.redo()
    assert session.objects == [mine, *added] and session.ids_on(3) == {mine.id, 5}


def test_a_store_forgets_an_object_whose_adding_was_undone(tmp_path):
    frames = moving_squares(4)
    info = VideoInfo("synthetic.mp4", 4, *frames.shape[1:3], 25.0, "fingerprint-squares")
    path = tmp_path / "s.zarr"
    session = AnnotationSession(
        frames, ColourEngine(), store=AnnotationStore.open_or_create(path, info)
    )
    keep = session.add_object()
    gone = session.add_object(with_next_edit=True)
    session.set_clicks(1, gone.id, [Click(25, 17, True)])
    session.commit_all()
    assert [o.id for o in AnnotationStore.open(path).objects()] == [1, 2]
    session.undo()
    session.close()
    store = AnnotationStore.open_or_create(path, info)
    assert store.objects() == [keep] and store.leaving() == []
    reopened = AnnotationSession(frames, ColourEngine(), store=store)
    assert reopened.objects == [keep] and reopened.frames_of(gone.id) == []
    reopened.close()
