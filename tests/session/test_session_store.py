"""The session writes through the zarr store and resumes from it."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from napari_skipclick.io.store import AnnotationStore, StoreLockedError
from napari_skipclick.session import AnnotationSession, PropagationSettings
from napari_skipclick.session.store_protocol import Store
from napari_skipclick.types import Click, FrameRecord, FrameStatus, ObjectInfo, VideoInfo
from support.engines import RED, ColourEngine, moving_squares


def video_info(frames: np.ndarray) -> VideoInfo:
    t, h, w, _ = frames.shape
    return VideoInfo("synthetic.mp4", t, h, w, 25.0, "fingerprint-squares")


@pytest.fixture
def frames():
    return moving_squares(12)


def test_commit_and_resume_everything(tmp_path, frames):
    path = tmp_path / "annotations.zarr"
    store = AnnotationStore.open_or_create(path, video_info(frames))
    session = AnnotationSession(frames, ColourEngine(), store=store, classes=("skier", "pole"))
    red = session.add_object("skier", name="racer")
    blue = session.add_object("pole")
    session.set_clicks(0, red.id, [Click(25, 15, True), Click(45, 70, False)])
    session.set_clicks(0, blue.id, [Click(45, 70, True)])
    assert session.dirty_frames() == [0]
    session.commit(0)
    assert session.dirty_frames() == []
    steps = list(session.propagate([red.id, blue.id], 0, n_frames=4))
    assert len(steps) == 8 and session.dirty_frames() == []  # propagation commits each frame
    session.set_status(2, FrameStatus.REVIEWED)
    assert session.dirty_frames() == [2]
    assert session.commit_all() == [2]
    expected_labels = [session.labels[t].copy() for t in range(12)]
    expected_clicks = store.clicks(0)
    store.close()

    reopened = AnnotationStore.open_or_create(path, video_info(frames))
    resumed = AnnotationSession(frames, ColourEngine(), store=reopened)
    assert resumed.objects == [red, blue]
    assert resumed.classes == ["skier", "pole"]
    assert resumed.clicks(0, red.id) == [Click(25, 15, True), Click(45, 70, False)]
    assert resumed.clicks(0, blue.id) == [Click(45, 70, True)]
    assert resumed.statuses() == {
        0: FrameStatus.CLICKED,
        1: FrameStatus.PROPAGATED,
        2: FrameStatus.REVIEWED,
        3: FrameStatus.PROPAGATED,
        4: FrameStatus.PROPAGATED,
    }
    for t in range(12):
        np.testing.assert_array_equal(resumed.labels[t], expected_labels[t])
    assert resumed.frames_of(red.id) == [0, 1, 2, 3, 4]
    assert resumed.add_object().id == 3
    # a later commit keeps the original click times
    resumed.set_clicks(0, red.id, [Click(25, 15, True), Click(45, 70, False), Click(5, 5, False)])
    resumed.commit(0)
    times = [row[3] for row in reopened.clicks(0)[red.id]]
    assert times[:2] == [row[3] for row in expected_clicks[red.id]]
    assert times[2] >= times[1]
    reopened.close()


def test_objects_and_deletions_are_written_by_the_next_commit(tmp_path, frames, monkeypatch):
    store = AnnotationStore.open_or_create(tmp_path / "s.zarr", video_info(frames))
    session = AnnotationSession(frames, ColourEngine(), store=store)
    obj = session.add_object(name="first")
    session.rename_object(obj.id, "skier A")
    session.add_class("ski")
    assert store.objects() == [] and session.objects_dirty and session.unsaved == 1
    session.set_clicks(3, obj.id, [Click(25, 20, True)])
    session.set_clicks(5, obj.id, [Click(25, 20, True)])
    session.commit_all()
    assert store.objects()[0].name == "skier A" and "ski" in store.classes()
    writes = []
    monkeypatch.setattr(store, "commit_frame", lambda t, *a, **k: writes.append(t))
    session.delete_object(obj.id)  # a change in memory: no store write here
    assert writes == [] and session.dirty_frames() == [3, 5] and session.unsaved == 3
    monkeypatch.undo()
    session.commit_all()
    assert store.objects() == [] and not store.read_labels(3).any()
    assert store.clicks(3) == {} and session.unsaved == 0
    store.close()


def test_a_slow_store_write_does_not_hold_the_session_lock(tmp_path, frames, monkeypatch):
    import threading

    store = AnnotationStore.open_or_create(tmp_path / "s.zarr", video_info(frames))
    session = AnnotationSession(frames, ColourEngine(), store=store)
    obj = session.add_object(name="skier")
    session.set_clicks(0, obj.id, [Click(25, 15, True)])
    entered, release = threading.Event(), threading.Event()
    real_frame, real_objects = store.commit_frame, store.write_objects

    def slow(real):
        def write(*args, **kwargs):
            entered.set()
            assert release.wait(10)
            return real(*args, **kwargs)

        return write

    steps = (
        ("write_objects", real_objects, 3, FrameStatus.REVIEWED),
        ("commit_frame", real_frame, 4, FrameStatus.NEEDS_REVIEW),
    )  # each a change: setting a frame's status again records nothing
    for name, real, t, status in steps:
        session.set_status(t, FrameStatus.NEEDS_REVIEW)  # something for commit_frame to write
        monkeypatch.setattr(store, name, slow(real))
        entered.clear()
        release.clear()
        writer = threading.Thread(target=session.commit_all)
        writer.start()
        assert entered.wait(10)
        other = threading.Thread(target=lambda status=status: session.set_status(1, status))
        other.start()
        other.join(2)  # an edit while the store writes: it must not wait for the write
        edited = not other.is_alive()
        release.set()
        writer.join(10)
        other.join(10)
        assert edited, f"an edit waited for {name}"
        monkeypatch.setattr(store, name, real)
    assert session.commit_all() == [1] and session.unsaved == 0
    store.close()


def test_save_to_that_fails_midway_loses_no_edit_and_can_be_tried_again(
    tmp_path, frames, monkeypatch
):
    """A frame written into the new store before another failed was marked saved and could
    leave memory: the session then read it from the old store, the edit gone."""
    from napari_skipclick.io.store import StoreError

    store = AnnotationStore.open_or_create(tmp_path / "s.zarr", video_info(frames))
    session = AnnotationSession(frames, ColourEngine(), store=store)
    session.labels.max_bytes = 0  # frames leave memory as soon as they are saved
    obj = session.add_object(name="skier")
    for t in (0, 1, 2):
        session.set_clicks(t, obj.id, [Click(25, 15 + 5 * t, True)])
    edits = {t: np.asarray(session.labels[t]).copy() for t in (0, 1, 2)}
    other = AnnotationStore.open_or_create(tmp_path / "other.zarr", video_info(frames))
    real = other.commit_frame

    def fills_up(t, *args, **kwargs):
        if t == 2:
            raise StoreError("could not save: No space left on device")
        real(t, *args, **kwargs)

    monkeypatch.setattr(other, "commit_frame", fills_up)
    with pytest.raises(StoreError, match="No space left"):
        session.save_to(other)
    assert session.store is store and session.dirty_frames() == [0, 1, 2]
    for t, labels in edits.items():
        np.testing.assert_array_equal(np.asarray(session.labels[t]), labels)
    monkeypatch.undo()
    session.save_to(other)  # the store it half wrote takes it again
    session.close()
    with AnnotationStore.open(tmp_path / "other.zarr") as back:
        for t, labels in edits.items():
            np.testing.assert_array_equal(back.read_labels(t), labels)


def test_save_to_a_store_of_other_annotations_is_refused(tmp_path, frames):
    """It mixed the two: the other store's objects lost their names, its frames stayed."""
    info = video_info(frames)
    with AnnotationStore.open_or_create(tmp_path / "theirs.zarr", info) as theirs:
        labels = np.zeros(frames.shape[1:3], np.uint32)
        labels[:4, :4] = 7
        theirs.write_objects([ObjectInfo(7, "old pole", "pole", (1, 2, 3))], ["pole"])
        theirs.commit_frame(5, labels, FrameRecord(FrameStatus.REVIEWED, {}))
    session = AnnotationSession(frames, ColourEngine())
    session.set_clicks(0, session.add_object(name="skier").id, [Click(25, 15, True)])
    target = AnnotationStore.open_or_create(tmp_path / "theirs.zarr", info)
    with pytest.raises(ValueError, match=r"already holds other annotations .*old pole"):
        session.save_to(target)
    assert session.store is None
    target.close()
    with AnnotationStore.open(tmp_path / "theirs.zarr") as kept:
        assert [o.name for o in kept.objects()] == ["old pole"] and kept.annotated_frames() == [5]


def test_close_with_a_failing_store_raises_and_keeps_everything(tmp_path, frames, monkeypatch):
    from napari_skipclick.io.store import StoreError
    from napari_skipclick.session import UnsavedChangesError

    path = tmp_path / "s.zarr"
    store = AnnotationStore.open_or_create(path, video_info(frames))
    session = AnnotationSession(frames, ColourEngine(), store=store)
    obj = session.add_object(name="skier")
    session.set_clicks(0, obj.id, [Click(25, 15, True)])
    session.commit_all()
    session.set_clicks(4, obj.id, [Click(25, 40, True)])
    session.set_status(6, FrameStatus.REVIEWED)

    def full_disk(*args, **kwargs):
        raise StoreError("could not save: No space left on device")

    monkeypatch.setattr(store, "commit_frame", full_disk)
    with pytest.raises(UnsavedChangesError, match="2 frame") as error:
        session.close()
    assert error.value.frames == [4, 6] and "No space left" in str(error.value)
    assert session.dirty_frames() == [4, 6]
    with pytest.raises(StoreError, match="open for writing"):  # not closed: the store is still ours
        AnnotationStore.open_or_create(path, video_info(frames))

    # save everything to another store: the frame already saved comes along from the old one
    other = AnnotationStore.open_or_create(tmp_path / "other.zarr", video_info(frames))
    expected = {t: np.asarray(session.labels[t]).copy() for t in (0, 4)}
    session.save_to(other)
    assert session.store is other and session.unsaved == 0
    session.set_clicks(5, obj.id, [Click(25, 50, True)])
    session.close()
    with AnnotationStore.open(tmp_path / "other.zarr") as back:
        for t, labels in expected.items():
            np.testing.assert_array_equal(back.read_labels(t), labels)
        assert back.statuses()[6] == FrameStatus.REVIEWED and back.annotated_frames() == [
            0,
            4,
            5,
            6,
        ]
        assert [o.name for o in back.objects()] == ["skier"]
    AnnotationStore.open_or_create(path, video_info(frames)).close()  # the old one was let go


def test_close_discarding_releases_the_store(tmp_path, frames, monkeypatch):
    from napari_skipclick.io.store import StoreError

    path = tmp_path / "s.zarr"
    store = AnnotationStore.open_or_create(path, video_info(frames))
    session = AnnotationSession(frames, ColourEngine(), store=store)
    session.set_clicks(0, session.add_object().id, [Click(25, 15, True)])

    def full_disk(*args, **kwargs):
        raise StoreError("No space left on device")

    monkeypatch.setattr(store, "write_objects", full_disk)
    session.close(discard=True)
    AnnotationStore.open_or_create(path, video_info(frames)).close()


def test_label_memory_stays_bounded_on_a_long_propagation(tmp_path):
    frames = moving_squares(40, height=128, width=160)
    store = AnnotationStore.open_or_create(tmp_path / "long.zarr", video_info(frames))
    frame_mib = 128 * 160 * 4 / 2**20
    session = AnnotationSession(frames, ColourEngine(), store=store, labels_max_mib=5 * frame_mib)
    obj = session.add_object()
    session.set_clicks(0, obj.id, [Click(25, 15, True)])
    held = []
    for _ in session.propagate([obj.id], 0, n_frames=35):
        held.append(len(session.labels.in_memory()))
    assert max(held) <= 6
    assert (session.labels[30] == obj.id).sum() == 144  # read back from the store
    store.close()


def test_a_failed_save_keeps_the_frame_dirty_and_a_retry_works(tmp_path, frames, monkeypatch):
    from napari_skipclick.io.store import StoreError

    store = AnnotationStore.open_or_create(tmp_path / "s.zarr", video_info(frames))
    session = AnnotationSession(frames, ColourEngine(), store=store)
    obj = session.add_object()
    session.set_clicks(0, obj.id, [Click(25, 15, True)])
    original = store.commit_frame

    def full_disk(*args, **kwargs):
        raise StoreError("could not save: No space left on device")

    monkeypatch.setattr(store, "commit_frame", full_disk)
    with pytest.raises(StoreError):
        list(session.propagate([obj.id], 0, n_frames=3))
    assert session.dirty_frames() == [0, 1]  # nothing lost: still in memory, still to save
    assert (session.labels[1] == obj.id).sum() == 144
    monkeypatch.setattr(store, "commit_frame", original)
    assert session.commit_all() == [0, 1]
    assert (store.read_labels(1) == obj.id).sum() == 144 and session.dirty_frames() == []

    def edit_while_saving(t, *args, **kwargs):
        original(t, *args, **kwargs)
        session.set_status(t, FrameStatus.REVIEWED)  # another thread changes the frame

    monkeypatch.setattr(store, "commit_frame", edit_while_saving)
    session.set_clicks(2, obj.id, [Click(25, 20, True)])
    session.commit(2)
    assert session.dirty_frames() == [2]  # the change made during the write is not lost
    store.close()


def test_the_zarr_store_has_everything_the_store_protocol_lists(tmp_path, frames):
    members = [n for n in vars(Store) if not n.startswith("_")]
    assert {"path", "objects", "commit_frame", "read_labels", "close"} <= set(members)
    with AnnotationStore.open_or_create(tmp_path / "s.zarr", video_info(frames)) as store:
        for name in members:
            assert hasattr(store, name), name
            wanted = inspect.getattr_static(Store, name)
            if not isinstance(wanted, property):
                ours = inspect.signature(getattr(store, name)).parameters
                assert list(ours) == list(inspect.signature(wanted).parameters)[1:], name


def test_object_list_that_fails_to_write_stays_pending_and_is_retried(tmp_path, monkeypatch):
    from napari_skipclick.io.store import StoreError

    frames = moving_squares(12)
    store = AnnotationStore.open_or_create(tmp_path / "s.zarr", video_info(frames))
    session = AnnotationSession(frames, ColourEngine(), store=store)
    real_write = store.write_objects

    def full_disk(objects, classes, leaving=(), next_id=1, dropped=None):
        raise StoreError("could not save the object list: No space left on device")

    monkeypatch.setattr(store, "write_objects", full_disk)
    obj = session.add_object(name="skier")  # in memory: written by the next commit
    assert [o.name for o in session.objects] == ["skier"] and session.objects_dirty
    with pytest.raises(StoreError, match="No space left"):
        session.commit_all()  # a save reports it, and it stays pending
    assert session.objects_dirty
    monkeypatch.setattr(store, "write_objects", real_write)
    session.commit_all()  # the retry writes it
    assert not session.objects_dirty
    assert [(o.id, o.name) for o in store.objects()] == [(obj.id, "skier")]
    store.close()


def test_why_a_frame_needs_review_is_saved_and_read_back(tmp_path, frames):
    frames = frames.copy()
    frames[3, 10:40, 10:60] = RED  # the square merges with a big red region on frame 3
    path = tmp_path / "annotations.zarr"
    store = AnnotationStore.open_or_create(path, video_info(frames))
    session = AnnotationSession(frames, ColourEngine(), store=store)
    obj = session.add_object().id
    session.set_clicks(0, obj, [Click(25, 15, True)])
    settings = PropagationSettings(max_negative=0)
    steps = list(session.propagate([obj], 0, n_frames=4, settings=settings))
    failed = next(s for s in steps if not s.ok)
    assert failed.frame == 3 and session.review_reasons(3) == {obj: failed.reason}
    session.close()
    reopened = AnnotationStore.open_or_create(path, video_info(frames))
    assert reopened.review_reasons() == {3: {obj: failed.reason}}
    resumed = AnnotationSession(frames, ColourEngine(), store=reopened)
    assert resumed.review_reasons(3) == {obj: failed.reason}
    assert all(resumed.review_reasons(t) == {} for t in (0, 1, 2, 4))
    resumed.set_status(3, FrameStatus.REVIEWED)  # checked: no longer asks for review
    assert resumed.review_reasons(3) == {}
    resumed.close()


def test_masks_propagation_made_stay_locally_corrected_after_reopening(tmp_path, frames):
    from support.engines import red_box

    path = tmp_path / "annotations.zarr"
    store = AnnotationStore.open_or_create(path, video_info(frames))
    session = AnnotationSession(frames, ColourEngine(), store=store)
    obj = session.add_object().id
    session.set_clicks(0, obj, [Click(25, 15, True)])
    list(session.propagate([obj], 0, n_frames=3))
    session.close()
    reopened = AnnotationStore.open_or_create(path, video_info(frames))
    assert reopened.carried_masks() == {(1, obj), (2, obj), (3, obj)}
    resumed = AnnotationSession(frames, ColourEngine(), store=reopened)
    left = red_box(2)[1].start
    # a negative click on the square's left edge: the engine alone would drop the whole square
    resumed.set_clicks(2, obj, [*resumed.clicks(2, obj), Click(25, left, False)])
    mask = resumed.labels[2] == obj
    assert not mask[20:32, left : left + 2].any() and mask[20:32, left + 10 : left + 12].all()
    resumed.close()


def test_one_store_takes_one_session_and_only_its_own_video(tmp_path, frames):
    """Two sessions on one store would give ID 1 to two objects, each commit erasing the
    other's: the second is refused until the first is closed. Frames of another size are
    refused before anything is written (the store would stay locked with unsaved frames)."""
    store = AnnotationStore.open_or_create(tmp_path / "s.zarr", video_info(frames))
    first = AnnotationSession(frames, ColourEngine(), store=store)
    first.add_object(name="A")
    with pytest.raises(StoreLockedError, match="in use by another session"):
        AnnotationSession(frames, ColourEngine(), store=store)
    with pytest.raises(StoreLockedError):
        AnnotationSession(frames, ColourEngine()).save_to(store)
    first.close()
    store = AnnotationStore.open_or_create(tmp_path / "s.zarr", video_info(frames))
    second = AnnotationSession(frames, ColourEngine(), store=store)
    assert [o.name for o in second.objects] == ["A"]
    second.close()
    store = AnnotationStore.open_or_create(tmp_path / "s.zarr", video_info(frames))
    with pytest.raises(ValueError, match="is of a video of 12 frames"):
        AnnotationSession(frames[:, :-1], ColourEngine(), store=store)
    with pytest.raises(ValueError, match="is of a video of 12 frames"):
        AnnotationSession(frames[:3], ColourEngine()).save_to(store)
    store.close()


def test_a_closed_session_refuses_edits_that_would_be_saved_nowhere(tmp_path, frames):
    store = AnnotationStore.open_or_create(tmp_path / "s.zarr", video_info(frames))
    session = AnnotationSession(frames, ColourEngine(), store=store, classes="skier")
    assert session.registry.classes == ["skier"]  # one name, not five letters
    obj = session.add_object()
    with pytest.raises(ValueError, match="object IDs start at 1"):
        session.add_object(obj_id=0)
    session.close()
    for edit in (
        lambda: session.set_clicks(0, obj.id, [Click(25, 17, True)]),
        lambda: session.add_object(),
        lambda: session.rename_object(obj.id, "B"),
    ):
        with pytest.raises(RuntimeError, match="the session was closed"):
            edit()
    session.close()  # closing again is harmless
    with AnnotationStore.open(tmp_path / "s.zarr") as reopened:
        assert [o.name for o in reopened.objects()] == [obj.name]


def test_frames_of_another_video_of_the_same_size_are_refused(tmp_path):
    """open_video's frames know their video: a store of another clip of the same size took
    their annotations silently."""
    from PIL import Image

    from napari_skipclick.io.video import open_video

    def clip(name: str, level: int):
        folder = tmp_path / name
        folder.mkdir()
        for t in range(3):
            Image.fromarray(np.full((24, 32, 3), level + t, np.uint8)).save(folder / f"{t}.png")
        return open_video(folder)

    first, second = clip("a", 10), clip("b", 90)
    store = AnnotationStore.open_or_create(tmp_path / "a.zarr", first.info)
    with pytest.raises(ValueError, match="belongs to another video"):
        AnnotationSession(second, ColourEngine(), store=store)
    store.close()
    with AnnotationStore.open_or_create(tmp_path / "a.zarr", first.info) as store:
        AnnotationSession(first, ColourEngine(), store=store).close()  # its own video: taken


def test_a_frame_whose_saved_labels_are_damaged_is_annotated_again(tmp_path, frames):
    """A truncated chunk made clicks, painting, propagation across it, deleting an object and
    ``save_to`` raise: the session could not go on. It reads as empty and is saved anew."""
    path = tmp_path / "s.zarr"
    store = AnnotationStore.open_or_create(path, video_info(frames))
    session = AnnotationSession(frames, ColourEngine(), store=store)
    obj = session.add_object(name="skier")
    for t in (0, 2):
        session.set_clicks(t, obj.id, [Click(25, 15 + 2 * t, True)])
    session.close()
    chunk = AnnotationStore.open(path).chunk_path(2)
    chunk.write_bytes(chunk.read_bytes()[:-9])
    session = AnnotationSession(
        frames, ColourEngine(), store=AnnotationStore.open(path, readonly=False)
    )
    assert not session.labels.read(2).any() and "frame 2" in session.labels.unreadable[2]
    list(session.propagate([obj.id], 0, n_frames=3))  # across it
    session.set_clicks(2, obj.id, [Click(25, 19, True)])
    redone = np.asarray(session.labels[2]).copy()
    assert (redone == obj.id).any()
    session.close()
    with AnnotationStore.open(path) as back:
        np.testing.assert_array_equal(back.read_labels(2), redone)


def test_a_manifest_written_again_on_opening_is_in_what_the_session_repaired(tmp_path, frames):
    """The widget's start names ``session.repaired``: a rebuilt manifest was not in it."""
    path = tmp_path / "annotations.zarr"
    AnnotationStore.open_or_create(path, video_info(frames)).close()
    (path / "skipclick.json").write_text("{\x00")
    session = AnnotationSession(
        frames, ColourEngine(), store=AnnotationStore.open_or_create(path, video_info(frames))
    )
    assert session.repaired[0].startswith("skipclick.json was damaged or missing")
    session.close()


def test_a_store_opened_without_an_engine_lists_the_engine_that_wrote_it(tmp_path, frames):
    """The session API as docs/annotation.md shows it left ``engines_used`` empty though
    every frame record named its engine."""
    import json

    path = tmp_path / "annotations.zarr"
    engine = ColourEngine()
    with AnnotationStore.open_or_create(path, video_info(frames)) as store:
        session = AnnotationSession(frames, engine, store=store, classes=("skier",))
        red = session.add_object("skier")
        session.set_clicks(0, red.id, [Click(25, 15, True)])
        session.commit(0)
        session.set_clicks(1, red.id, [Click(25, 15, True)])
        session.commit(1)
        session.close()
    manifest = json.loads((path / "skipclick.json").read_text())
    assert json.loads((path / "frames" / "000000.json").read_text())["engine_key"] == engine.key
    assert [e["key"] for e in manifest["engines_used"]] == [engine.key]
    assert manifest["engine"]["key"] == engine.key


def test_changes_not_saved_are_counted_in_words(tmp_path):
    """A frame that could not be saved was *1 frame(s)*; the count agrees with its number."""
    from napari_skipclick.session import UnsavedChangesError

    one = UnsavedChangesError([7], True, tmp_path / "a.zarr", "No space left on device")
    assert str(one).startswith("1 frame and the object list could not be saved to ")
    assert str(UnsavedChangesError([2, 3], False, None, "gone")).startswith("2 frames could not")
