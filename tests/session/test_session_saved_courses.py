"""The courses propagation moved objects along are saved with their frames: a project
reopened goes on as it was left."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from napari_skipclick.io.store import AnnotationStore, StoreError
from napari_skipclick.io.store.courses import course_path
from napari_skipclick.session import AnnotationSession, PropagationSettings, track
from napari_skipclick.session.thin_parts import ThinSettings
from napari_skipclick.types import FrameStatus, VideoInfo
from support.engines import FloodEngine
from support.scenes import panned_frames
from support.sessions import erase_top_and_propagate

THIN_SETTINGS = PropagationSettings(thin=ThinSettings(width=0))


def _reopened(path, frames) -> AnnotationSession:
    store = AnnotationStore.open(path, readonly=False)
    return AnnotationSession(frames, FloodEngine(), store=store)


def _panned_ski_run(path, frames_run: int = 12) -> tuple[AnnotationSession, np.ndarray, int]:
    """A camera panning 0.4 px a frame over a ski (13 frames), the ski set on frame 0 and
    propagated over ``frames_run`` of them in one run, in a session saving to a store at
    ``path``."""
    frames, masks = panned_frames(13, 0.4)
    video = VideoInfo("pan.mp4", *frames.shape[:3], 25.0, "pan")
    session = AnnotationSession(
        frames, FloodEngine(), store=AnnotationStore.open_or_create(path, video)
    )
    obj = session.add_object().id
    session.labels.set_frame(0, np.where(masks[0], obj, 0).astype(session.labels.dtype))
    if frames_run:
        list(session.propagate([obj], 0, n_frames=frames_run, settings=THIN_SETTINGS))
    return session, frames, obj


def test_a_thin_object_corrected_after_reopening_goes_on_with_its_course(tmp_path):
    """Propagated in one run, saved and reopened, the ski is erased at its top on frame 6 and
    propagated again from there: each later frame is the first run's with the top left out.
    Before, the reopened session had no chain and restarted from the whole-pixel mask, a
    column off."""
    session, frames, obj = _panned_ski_run(tmp_path / "s.zarr")
    expected = {t: session.labels.read(t) == obj for t in range(7, 13)}
    session.close()
    reopened = _reopened(tmp_path / "s.zarr", frames)
    erase_top_and_propagate(reopened, obj, expected, THIN_SETTINGS)
    reopened.close()


def test_each_objects_move_onto_a_frame_is_read_back(tmp_path):
    session, frames, obj = _panned_ski_run(tmp_path / "s.zarr")
    moves = {t: session.courses.expected(t, obj, 1) for t in range(1, 13)}
    assert all(move is not None for move in moves.values())
    session.close()
    reopened = _reopened(tmp_path / "s.zarr", frames)
    for t, move in moves.items():
        np.testing.assert_array_equal(reopened.courses.expected(t, obj, 1), move)
        np.testing.assert_array_equal(reopened.courses.expected(t, obj, -1), -move)
    reopened.close()


def test_a_deleted_objects_courses_are_not_read_back(tmp_path, monkeypatch):
    """Its ID may be given to a new object after reopening a store written before the next ID
    was kept: that one starts afresh. Also when deleted after reopening, where it has no
    pixels left, and on frames where only its move was saved (its chains kept on the last 3)."""
    monkeypatch.setattr(track, "KEPT_CHAINS", 3)
    session, frames, obj = _panned_ski_run(tmp_path / "s.zarr")
    session.close()
    saved = AnnotationStore.open(tmp_path / "s.zarr").course_index()
    assert all(obj in saved[t] for t in range(1, 13))
    reopened = _reopened(tmp_path / "s.zarr", frames)
    gone = np.array(reopened.labels.read(12))
    gone[gone == obj] = 0
    reopened.labels.set_frame(12, gone)  # erased: a frame delete_object does not rewrite
    reopened.delete_object(obj)
    reopened.close()
    index = AnnotationStore.open(tmp_path / "s.zarr").course_index()
    assert not any(obj in objects for objects in index.values())
    listed = tmp_path / "s.zarr" / "objects.json"
    doc = json.loads(listed.read_text())
    assert doc.pop("next_id") == obj + 1  # kept: a new object would not get the ID again
    listed.write_text(json.dumps(doc))  # a store from before the next ID was kept
    reopened = _reopened(tmp_path / "s.zarr", frames)
    assert reopened.add_object().id == obj
    for t in range(1, 13):
        assert reopened.courses.expected(t, obj, 1) is None
        assert reopened.courses.chain(t, obj, np.zeros(frames.shape[1:3], bool)) is None
    reopened.close()


def test_courses_that_fail_to_save_keep_the_frame_unsaved_until_a_retry(tmp_path, monkeypatch):
    """Propagation commits each frame as it goes: a full disk stops it with the frame unsaved
    (its labels and courses stay in memory), and the next commit writes both."""
    session, _, obj = _panned_ski_run(tmp_path / "s.zarr", frames_run=0)
    real = session.store.write_courses

    def full_disk(*args, **kwargs):
        raise StoreError("No space left on device")

    monkeypatch.setattr(session.store, "write_courses", full_disk)
    with pytest.raises(StoreError):
        list(session.propagate([obj], 0, n_frames=3, settings=THIN_SETTINGS))
    assert 1 in session.dirty_frames() and not course_path(session.store.path, 1).exists()
    monkeypatch.setattr(session.store, "write_courses", real)
    session.commit(1)
    assert 1 not in session.dirty_frames() and course_path(session.store.path, 1).is_file()
    assert session.store.read_courses(1)[obj]["shift"].shape == (2,)
    session.close()


def _chain_frames(session: AnnotationSession, obj: int) -> list[int]:
    index = session.store.course_index()
    return sorted(t for t, objects in index.items() if "source" in objects.get(obj, ()))


def test_the_store_keeps_the_chains_of_the_same_frames_as_memory(tmp_path, monkeypatch):
    """An object's chains on its last ``KEPT_CHAINS`` frames, after reopening too: the saved
    ones count, and those dropped lose their chain on disk (their moves stay)."""
    monkeypatch.setattr(track, "KEPT_CHAINS", 3)
    session, frames, obj = _panned_ski_run(tmp_path / "s.zarr", frames_run=6)
    assert _chain_frames(session, obj) == [4, 5, 6]
    session.close()
    reopened = _reopened(tmp_path / "s.zarr", frames)
    list(reopened.propagate([obj], 6, n_frames=2, settings=THIN_SETTINGS))
    assert _chain_frames(reopened, obj) == [6, 7, 8]
    assert all(reopened.courses.expected(t, obj, 1) is not None for t in range(1, 9))
    reopened.close()


def test_saving_to_another_store_takes_the_courses_along(tmp_path):
    """Also those of frames the session never touched (read from the first store)."""
    session, frames, obj = _panned_ski_run(tmp_path / "s.zarr")
    moves = {t: session.courses.expected(t, obj, 1) for t in range(1, 13)}
    session.close()
    reopened = _reopened(tmp_path / "s.zarr", frames)
    video = VideoInfo("pan.mp4", *frames.shape[:3], 25.0, "pan")
    reopened.save_to(AnnotationStore.open_or_create(tmp_path / "copy.zarr", video))
    assert _chain_frames(reopened, obj) == list(range(1, 13))
    reopened.close()
    copied = _reopened(tmp_path / "copy.zarr", frames)
    for t, move in moves.items():
        np.testing.assert_array_equal(copied.courses.expected(t, obj, 1), move)
    copied.close()


def test_the_saved_courses_are_indexed_in_a_thread_of_their_own(tmp_path, monkeypatch):
    """Which frames hold saved chains is read in the background as the store opens: the first
    frame accepted after reopening (on the GUI thread) does not look into every frame's file."""
    session, frames, obj = _panned_ski_run(tmp_path / "s.zarr")
    session.close()
    readers: list[threading.Thread] = []
    index = AnnotationStore.course_index

    def course_index(store):
        readers.append(threading.current_thread())
        return index(store)

    monkeypatch.setattr(AnnotationStore, "course_index", course_index)
    reopened = _reopened(tmp_path / "s.zarr", frames)
    assert reopened.set_status(0, FrameStatus.REVIEWED)
    assert reopened.courses.came(5, obj) == 1  # read back through the index
    assert readers and threading.current_thread() not in readers
    reopened.close()


def test_the_share_of_an_object_left_in_the_picture_is_saved_and_old_courses_read_as_whole(
    tmp_path,
):
    """What an accepted frame judges a crossing of the picture's edge by (``Move.in_frame``)
    is saved with the move; courses saved before it was kept read as no crossing."""
    video = VideoInfo("v.mp4", 4, 20, 30, 25.0, "v")
    store = AnnotationStore.open_or_create(tmp_path / "s.zarr", video)
    courses = track.Courses(lambda: store)
    courses.remember(2, 1, 1, np.array([0.0, 6.0]), 0.6)
    for t, record in courses.records().items():
        store.write_courses(t, record)
    store.write_courses(3, {1: {"direction": np.array(1), "shift": np.array([0.0, 6.0])}})
    again = track.Courses(lambda: store)
    assert again.in_frame(2, 1) == pytest.approx(0.6) and again.came(2, 1) == 1
    assert again.in_frame(3, 1) == 1.0 and again.came(3, 1) == 1
    store.close()
