"""Deleting an object frame by frame: a delete stopped early changes nothing, each frame is
read from the store once, and an unknown object is refused before anything changes."""

from __future__ import annotations

import numpy as np
import pytest

from napari_skipclick.io.store import AnnotationStore
from napari_skipclick.session import AnnotationSession, annotation
from napari_skipclick.types import Click, FrameStatus
from support.engines import ColourEngine, moving_squares
from support.sessions import assert_same, snapshot, two_objects_in_store


def _annotated(n_frames: int = 6) -> tuple[AnnotationSession, int, int]:
    """Two objects propagated over ``n_frames`` moving squares, one frame reviewed."""
    session = AnnotationSession(moving_squares(n_frames), ColourEngine())
    red, blue = session.add_object().id, session.add_object().id
    session.set_clicks(0, red, [Click(25, 15, True)])
    session.set_clicks(0, blue, [Click(45, 70, True)])
    list(session.propagate([red, blue], 0))
    session.set_status(2, FrameStatus.REVIEWED)
    return session, red, blue


def test_a_deletion_stopped_between_frames_changes_nothing():
    session, red, _ = _annotated()
    before = snapshot(session)
    steps = session.deleting(red)
    assert [next(steps), next(steps), next(steps)] == [0, 1, 2]
    assert red not in {o.id for o in session.objects}  # no edit of it is taken meanwhile
    assert not (session.labels.read(0) == red).any()
    steps.close()  # Escape in the widget
    assert_same(snapshot(session), before)
    assert session.undo() is not None  # the last edit is still the status change
    assert session.status(2) != FrameStatus.REVIEWED


def test_a_deletion_run_to_its_end_is_one_undoable_edit():
    session, red, blue = _annotated()
    before = snapshot(session)
    assert list(session.deleting(red)) == session.frames_with_labels()
    assert [o.id for o in session.objects] == [blue] and session.frames_of(red) == []
    session.undo()
    assert_same(snapshot(session), before)


def test_an_unknown_object_is_refused_before_anything_changes():
    session, _, _ = _annotated()
    before = snapshot(session)
    with pytest.raises(KeyError):
        session.delete_object(99)
    assert_same(snapshot(session), before)


def _reopened_with_reads(tmp_path) -> tuple[AnnotationSession, list[int], dict, int, int]:
    """A store of 12 frames: red propagated over all, blue clicked on frame 0 only; reopened
    with room for one frame in memory (a long video's project), the frames its store reads
    noted. Returns the session, the reads, blue's masks, red and blue."""
    session, red, blue = two_objects_in_store(tmp_path / "s.zarr", 12)
    frames = session.frames
    masks = {t: session.labels.read(t) == blue for t in range(12)}
    session.close()
    store = AnnotationStore.open(tmp_path / "s.zarr", readonly=False)
    reads: list[int] = []
    real = store.read_labels
    store.read_labels = lambda t: reads.append(t) or real(t)
    session = AnnotationSession(frames, ColourEngine(), store=store, labels_max_mib=0.01)
    return session, reads, masks, red, blue


def test_a_reopened_project_knows_each_objects_frames_without_reading_them(tmp_path):
    """The store notes the IDs on each frame it saves (the Objects panel lists every object's
    frames when a project opens: before, that read every saved frame on the GUI thread)."""
    session, reads, _, red, blue = _reopened_with_reads(tmp_path)
    assert session.frames_of(red) == list(range(12)) and session.frames_of(blue) == [0]
    assert reads == []
    session.close()


def test_a_deletion_reads_each_frame_of_the_object_once_and_no_other(tmp_path):
    """Before, a delete read each stored frame three times (to find the object, to cut it,
    to write the frame: a long video's project keeps few frames in memory)."""
    session, reads, _, red, blue = _reopened_with_reads(tmp_path)
    session.delete_object(blue)
    assert reads == [0]
    reads.clear()
    session.delete_object(red)
    assert sorted(reads) == list(range(1, 12))  # frame 0, cleared of blue, is in memory
    assert not any(session.ids_on(t) for t in session.frames_with_labels())
    session.close()


def test_the_cleared_frames_ids_are_known_when_the_deletion_ends(monkeypatch):
    """The widget's Objects panel lists each object's frames on the GUI thread when a
    deletion ends or is stopped: the IDs of the frames it cleared or put back must not be
    searched for there (100 cleared 1080p frames took 430 ms)."""
    session, red, blue = _annotated()
    searched: list[int] = []
    real = annotation.ids_in
    monkeypatch.setattr(annotation, "ids_in", lambda frame: searched.append(1) or real(frame))
    assert session.frames_of(red) == list(range(6))  # every frame's IDs known
    steps = session.deleting(red)
    next(steps), next(steps)
    steps.close()  # stopped: the two frames it cleared are put back
    searched.clear()
    assert session.frames_of(red) == list(range(6)) and searched == []
    session.delete_object(red)
    searched.clear()
    assert session.frames_of(blue) == list(range(6)) and searched == []


def test_undoing_a_deletion_gives_propagations_clicks_back_to_propagation(tmp_path):
    """The clicks propagation derived on the frames it carried the object to became the
    user's after a delete and its undo (drawn full size, counted as the user's in the store)."""
    session = AnnotationSession(moving_squares(6), ColourEngine())
    red = session.add_object().id
    session.set_clicks(0, red, [Click(25, 15, True)])
    list(session.propagate([red], 0, n_frames=4))
    derived = {t: session.derived_clicks(t, red) for t in range(1, 5)}
    assert all(derived.values()) and not any(session.user_clicks(t, red) for t in derived)
    session.delete_object(red)
    session.undo()
    for t in derived:
        assert session.derived_clicks(t, red) == derived[t] and not session.user_clicks(t, red)
    assert session.user_clicks(0, red) == [Click(25, 15, True)]
    session.redo()  # deleted again, then back: still propagation's
    session.undo()
    assert all(session.derived_clicks(t, red) == derived[t] for t in derived)


def test_a_frame_in_review_for_the_deleted_object_alone_is_propagated_again():
    """It stayed *needs review* with "no reason kept" and nothing left to review; a frame in
    review for another object too stays so. Undo puts the review back."""
    session = AnnotationSession(moving_squares(6), ColourEngine())
    red, blue = session.add_object().id, session.add_object().id
    session.set_clicks(0, red, [Click(25, 15, True)])
    session.set_clicks(0, blue, [Click(45, 70, True)])
    list(session.propagate([red, blue], 0, n_frames=3))
    for t in (1, 2, 3):
        session.set_status(t, FrameStatus.PROPAGATED)
    session.mark_carried(2, red, "red was in doubt")
    session.mark_carried(3, red, "red was in doubt")
    session.mark_carried(3, blue, "blue was in doubt")
    for t in (2, 3):
        session.set_status(t, FrameStatus.NEEDS_REVIEW)
    session.delete_object(red)
    assert session.status(2) == FrameStatus.PROPAGATED
    assert session.status(3) == FrameStatus.NEEDS_REVIEW
    assert session.review_reasons(3) == {blue: "blue was in doubt"}
    session.undo()
    assert session.status(2) == FrameStatus.NEEDS_REVIEW
    assert session.review_reasons(2) == {red: "red was in doubt"}


def test_a_deleted_objects_id_is_not_given_again_after_reopening(tmp_path):
    """The store kept no next ID: after reopening, a new object took a deleted one's ID
    (and its colour), and exports before and after used one ID for two objects."""
    session, red, blue = two_objects_in_store(tmp_path / "s.zarr", 4)
    session.delete_object(blue)
    frames, path = session.frames, session.store.path
    session.close()
    with AnnotationStore.open(path) as stored:
        assert stored.next_object_id() == blue + 1
    reopened = AnnotationSession(
        frames, ColourEngine(), store=AnnotationStore.open(path, readonly=False)
    )
    assert reopened.add_object().id == blue + 1
    reopened.close()
    with AnnotationStore.open(path, readonly=False) as store:  # another writer keeps it too
        store.write_objects([reopened.object(red)], ["object"])
        assert store.next_object_id() == blue + 2


def test_frames_emptied_by_a_deletion_are_no_longer_annotated(tmp_path):
    """They stayed "annotated" (skipclick info counted them) and were exported as negative
    examples, frames the user had never marked as holding nothing."""
    from napari_skipclick.io.export import export_store

    session, red, _ = two_objects_in_store(tmp_path / "s.zarr", 5)
    session.commit_all()
    session.delete_object(red)
    path = session.store.path
    session.close()
    with AnnotationStore.open(path) as store:
        assert store.annotated_frames() == [0]  # blue's frame; red's others hold nothing now
        export_store(store, "numpy", tmp_path / "np")
    assert np.load(tmp_path / "np" / "frames.npy").tolist() == [0]
