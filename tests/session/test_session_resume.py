"""The frame a store resumes on: where the session's last edit went, an undo's or redo's too."""

from __future__ import annotations

import numpy as np

from napari_skipclick.io.store import AnnotationStore
from napari_skipclick.session import AnnotationSession
from napari_skipclick.types import Click, FrameRecord, FrameStatus, VideoInfo
from support.engines import ColourEngine, moving_squares

INFO = VideoInfo("squares.mp4", 6, 64, 96, 25.0, "fingerprint-squares")


def test_the_store_resumes_where_the_last_undo_or_redo_went(tmp_path):
    """The store resumed on the frame saved last: after the undo or redo of a deletion, the
    last of the frames it wrote, not the frame it showed."""
    path = tmp_path / "s.zarr"
    session = AnnotationSession(
        moving_squares(6), ColourEngine(), store=AnnotationStore.open_or_create(path, INFO)
    )
    red = session.add_object().id
    session.set_clicks(0, red, [Click(25, 15, True)])
    list(session.propagate([red], 0, n_frames=4))
    session.commit_all()
    assert session.store.resume_frame() == 4  # the run's end
    session.delete_object(red)
    session.commit_all()
    shown = session.undo()  # the deletion: frames 0-4 back
    assert shown is not None and shown != 4
    session.close()
    with AnnotationStore.open(path) as store:
        assert store.last_saved_frame() == 4  # written last of the five
        assert store.resume_frame() == shown
    session = AnnotationSession(
        moving_squares(6), ColourEngine(), store=AnnotationStore.open_or_create(path, INFO)
    )
    assert session.redo() is None  # no history across sessions: the note stays as it was
    session.close()
    with AnnotationStore.open_or_create(path, INFO) as store:
        assert store.resume_frame() == shown
        # a frame another writer saves later (an import) is where the store resumes then
        store.commit_frame(5, np.zeros((64, 96), np.uint32), FrameRecord(FrameStatus.IMPORTED, {}))
        assert store.resume_frame() == 5


def test_a_store_noted_nothing_resumes_on_the_frame_saved_last(tmp_path):
    with AnnotationStore.open_or_create(tmp_path / "s.zarr", INFO) as store:
        assert store.resume_frame() is None
        labels = np.ones((64, 96), np.uint32)
        store.commit_frame(3, labels, FrameRecord(FrameStatus.CLICKED, {}))
        assert store.resume_frame() == 3
        store.note_last_edit(0)  # frame 0 is a frame
        assert store.resume_frame() == 0
        (tmp_path / "s.zarr" / "last_edit.json").write_text("{damaged")
        assert store.resume_frame() == 3


def test_frames_written_after_the_note_are_noted_again(tmp_path):
    """An undo noted the frame it showed; a frame of it written by a later commit (changed
    again while the first one wrote it) was then newer than the note, and the store reopened
    on that frame (frame 1 of twelve) rather than where the undo went."""
    path = tmp_path / "s.zarr"
    session = AnnotationSession(
        moving_squares(6), ColourEngine(), store=AnnotationStore.open_or_create(path, INFO)
    )
    red = session.add_object().id
    session.set_clicks(3, red, [Click(25, 15, True)])
    session.commit_all()
    assert session.store.resume_frame() == 3
    with session._lock:  # frame 1 left dirty for a later commit, no new edit
        session._meta_dirty.add(1)
    assert session.commit_all() == [1]
    session.close()
    with AnnotationStore.open(path) as store:
        assert store.last_saved_frame() == 1
        assert store.resume_frame() == 3
