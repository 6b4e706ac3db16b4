"""Annotation store: round trip, resume, mismatch, locking, bad input, read-only use."""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import time

import numpy as np
import pytest

from napari_skipclick import __version__
from napari_skipclick._reader import read_store
from napari_skipclick.io.store import (
    FORMAT_VERSION,
    AnnotationStore,
    StoreError,
    StoreLockedError,
    StoreMismatchError,
    is_store,
)
from napari_skipclick.io.store.frame_copy import copy_frame
from napari_skipclick.session import color_for
from napari_skipclick.types import FrameRecord, FrameStatus, ObjectInfo, VideoInfo

VIDEO = VideoInfo("/videos/run1.mp4", 6, 24, 32, 25.0, "sha256:aaaa")
OTHER = VideoInfo("/videos/run2.mp4", 6, 24, 32, 25.0, "sha256:bbbb")


def frame_labels(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    labels = np.zeros((VIDEO.height, VIDEO.width), np.uint32)
    for oid in (1, 2, 70000):
        y, x = rng.integers(0, 18), rng.integers(0, 26)
        labels[y : y + 6, x : x + 6] = oid
    return labels


def test_round_trip_of_everything(tmp_path):
    path = tmp_path / "run1.zarr"
    objects = [
        ObjectInfo(1, "left ski", "ski", (255, 0, 0)),
        ObjectInfo(2, "skier", "person", (0, 128, 255)),
        ObjectInfo(70000, "gate", "pole", (10, 20, 30)),
    ]
    clicks = {1: [(3.0, 4.5, True, 1000.25), (5.0, 6.0, False, 1001.5)], 2: [(10, 11, True, 2.0)]}
    with AnnotationStore.open_or_create(
        path, VIDEO, engine_key="skipclick", checkpoint_sha256="ab" * 32
    ) as store:
        assert not store.readonly and store.video == VIDEO
        store.write_objects(objects, ["ski", "person", "pole"])
        store.commit_frame(0, frame_labels(0), FrameRecord(FrameStatus.CLICKED, clicks))
        store.commit_frame(
            3, frame_labels(3), FrameRecord(FrameStatus.PROPAGATED, {}, engine_key="embedded")
        )
        store.commit_frame(5, np.zeros((24, 32), np.uint8), FrameRecord(FrameStatus.REVIEWED, {}))
        store.set_status(3, FrameStatus.NEEDS_REVIEW)
        store.set_status(4, FrameStatus.NEEDS_REVIEW)
    assert is_store(path)

    store = AnnotationStore.open(path)
    assert store.readonly and store.video == VIDEO and store.problems == []
    np.testing.assert_array_equal(store.read_labels(0), frame_labels(0))
    np.testing.assert_array_equal(store.read_labels(3), frame_labels(3))
    assert store.read_labels(1).dtype == np.uint32 and not store.read_labels(1).any()
    assert store.labels.shape == (6, 24, 32) and store.labels.chunks == (1, 24, 32)
    np.testing.assert_array_equal(store.labels[3], frame_labels(3))
    assert store.objects() == objects
    assert store.classes() == ["ski", "person", "pole"]
    assert store.statuses() == {
        0: FrameStatus.CLICKED,
        3: FrameStatus.NEEDS_REVIEW,
        4: FrameStatus.NEEDS_REVIEW,
        5: FrameStatus.REVIEWED,
    }
    assert store.clicks(0) == {
        1: [(3.0, 4.5, True, 1000.25), (5.0, 6.0, False, 1001.5)],
        2: [(10.0, 11.0, True, 2.0)],
    }
    assert store.clicks(3) == {} and store.clicks(4) == {}
    assert store.annotated_frames() == [0, 3, 5]  # frame 4 has a status but no labels
    assert store.frame_record(3)["engine_key"] == "embedded"
    assert store.frame_record(0)["engine_key"] == "skipclick"
    manifest = store.manifest
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["package_version"] == __version__
    assert manifest["engine"] == {"key": "skipclick", "checkpoint_sha256": "ab" * 32}
    assert manifest["video"]["fingerprint"] == VIDEO.fingerprint
    assert manifest["created"] <= manifest["modified"]
    with pytest.raises(StoreError, match="read-only"):
        store.commit_frame(1, frame_labels(1), FrameRecord(FrameStatus.CLICKED, {}))


def test_commit_replaces_clicks_and_labels(tmp_path):
    with AnnotationStore.open_or_create(tmp_path / "s", VIDEO) as store:
        store.commit_frame(
            2, frame_labels(1), FrameRecord(FrameStatus.CLICKED, {1: [(1, 1, True, 0)]})
        )
        store.commit_frame(
            2, frame_labels(2), FrameRecord(FrameStatus.CLICKED, {2: [(2, 2, False, 0)]})
        )
        assert store.clicks(2) == {2: [(2.0, 2.0, False, 0.0)]}
        np.testing.assert_array_equal(store.read_labels(2), frame_labels(2))
        assert not list((tmp_path / "s" / "pending").iterdir())


def test_resume_same_video_and_refuse_other(tmp_path):
    path = tmp_path / "s.zarr"
    with AnnotationStore.open_or_create(path, VIDEO) as store:
        store.commit_frame(
            1, frame_labels(1), FrameRecord(FrameStatus.CLICKED, {1: [(1, 2, True, 3)]})
        )
    moved = VideoInfo("/elsewhere/run1.mp4", *list(vars(VIDEO).values())[1:])
    with AnnotationStore.open_or_create(path, moved, engine_key="embedded") as store:
        np.testing.assert_array_equal(store.read_labels(1), frame_labels(1))
        assert store.clicks(1) == {1: [(1.0, 2.0, True, 3.0)]}
        store.commit_frame(2, frame_labels(2), FrameRecord(FrameStatus.CLICKED, {}))
        assert store.manifest["video"]["path"] == "/elsewhere/run1.mp4"
        assert store.manifest["engines_used"][0]["key"] == "embedded"
    with pytest.raises(StoreMismatchError, match=r"belongs to another video.*run1\.mp4"):
        AnnotationStore.open_or_create(path, OTHER)
    reread = dataclasses.replace(moved, fingerprint="fp-napari-reader")
    with pytest.raises(StoreMismatchError, match="same file read another way"):
        AnnotationStore.open_or_create(path, reread)  # napari's own reader: other frames
    # the refused open released the lock and changed nothing
    with AnnotationStore.open_or_create(path, VIDEO) as store:
        assert store.annotated_frames() == [1, 2]


def test_a_moved_video_is_noted_in_the_labels_copy_too(tmp_path):
    """Resumed with a moved video, the manifest had the new path but the copy kept with the
    labels the old one: once the manifest was damaged, info and export named the old path."""
    path = tmp_path / "s.zarr"
    with AnnotationStore.open_or_create(path, VIDEO) as store:
        store.commit_frame(1, frame_labels(1), FrameRecord(FrameStatus.CLICKED, {}))
    moved = VideoInfo("/elsewhere/run1.mp4", *list(vars(VIDEO).values())[1:])
    AnnotationStore.open_or_create(path, moved).close()
    (path / "skipclick.json").write_text("{")  # the manifest damaged
    with AnnotationStore.open(path) as store:
        assert store.video.path == "/elsewhere/run1.mp4"
        np.testing.assert_array_equal(store.read_labels(1), frame_labels(1))


def test_refuses_foreign_directory_and_file(tmp_path):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "a.jpg").write_bytes(b"x")
    with pytest.raises(StoreError, match="not a napari-skipclick store"):
        AnnotationStore.open_or_create(tmp_path / "photos", VIDEO)
    assert os.listdir(tmp_path / "photos") == ["a.jpg"]
    (tmp_path / "f.zarr").write_text("x")
    with pytest.raises(StoreError, match="is a file"):
        AnnotationStore.open_or_create(tmp_path / "f.zarr", VIDEO)
    with pytest.raises(StoreError, match="not a napari-skipclick store"):
        AnnotationStore.open(tmp_path / "photos")


def test_interrupted_creation_is_redone(tmp_path):
    path = tmp_path / "s"
    AnnotationStore.open_or_create(path, VIDEO).close()
    (path / "skipclick.json").unlink()  # as if killed before the manifest was written
    assert not is_store(path)
    with AnnotationStore.open_or_create(path, VIDEO) as store:
        store.commit_frame(0, frame_labels(0), FrameRecord(FrameStatus.CLICKED, {}))
    assert AnnotationStore.open(path).annotated_frames() == [0]


def test_bad_input_is_refused_and_changes_nothing(tmp_path):
    with AnnotationStore.open_or_create(tmp_path / "s", VIDEO) as store:
        store.commit_frame(0, frame_labels(0), FrameRecord(FrameStatus.CLICKED, {}))
        bad = [
            ((0, np.zeros((24, 31), np.uint32), {}), "shape"),
            ((0, np.zeros((24, 32), np.float32), {}), "integers"),
            ((0, np.full((24, 32), -1, np.int64), {}), "0..4294967295"),
            ((0, frame_labels(1), {1: [(24.0, 0.0, True, 0.0)]}), "outside the frame"),
            ((0, frame_labels(1), {1: [(23.5, 0.0, True, 0.0)]}), "outside the frame"),
            ((0, frame_labels(1), {1: [(0.0, -0.1, True, 0.0)]}), "outside the frame"),
            ((0, frame_labels(1), {0: [(1.0, 0.0, True, 0.0)]}), "positive integers"),
            ((0, frame_labels(1), {1: [(1.0, 0.0)]}), "a click is"),
        ]
        for (t, labels, clicks), message in bad:
            with pytest.raises(ValueError, match=message):
                store.commit_frame(t, labels, FrameRecord(FrameStatus.CLICKED, clicks))
        with pytest.raises(ValueError, match="positive integers"):
            store.commit_frame(
                0, frame_labels(1), FrameRecord(FrameStatus.PROPAGATED, {}, carried=[0])
            )
        with pytest.raises(IndexError):
            store.commit_frame(6, frame_labels(1), FrameRecord(FrameStatus.CLICKED, {}))
        with pytest.raises(IndexError):
            store.read_labels(-1)
        with pytest.raises(ValueError, match="unique"):
            store.write_objects([ObjectInfo(1, "a", "c", (0, 0, 0))] * 2, ["c"])
        with pytest.raises(ValueError, match="colour"):
            store.write_objects([ObjectInfo(1, "a", "c", (0, 0, 300))], ["c"])
        np.testing.assert_array_equal(store.read_labels(0), frame_labels(0))
    with pytest.raises(ValueError, match="at least one frame"):
        AnnotationStore.open_or_create(tmp_path / "t", VideoInfo("v", 0, 1, 1, 1.0, "f"))


def test_closed_store_refuses_writes(tmp_path):
    store = AnnotationStore.open_or_create(tmp_path / "s", VIDEO)
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.set_status(0, FrameStatus.CLICKED)


def test_second_writer_in_this_process_is_refused(tmp_path):
    path = tmp_path / "s"
    first = AnnotationStore.open_or_create(path, VIDEO)
    with pytest.raises(StoreLockedError, match="a session in this process, which saves it"):
        AnnotationStore.open_or_create(path, VIDEO)
    with pytest.raises(StoreLockedError):
        AnnotationStore.open(path, readonly=False)
    reader = AnnotationStore.open(path)  # reading stays possible
    assert reader.annotated_frames() == []
    first.close()
    AnnotationStore.open(path, readonly=False).close()


def _hold_store(path, started, stop):
    store = AnnotationStore.open(path, readonly=False)
    started.set()
    stop.wait(30)
    store.close()


def test_live_lock_of_another_process_then_stale_takeover(tmp_path):
    path = tmp_path / "s"
    AnnotationStore.open_or_create(path, VIDEO).close()
    ctx = multiprocessing.get_context("spawn")
    started, stop = ctx.Event(), ctx.Event()
    proc = ctx.Process(target=_hold_store, args=(path, started, stop))
    proc.start()
    try:
        assert started.wait(60)
        with pytest.raises(StoreLockedError, match=f"process {proc.pid} on host") as info:
            AnnotationStore.open_or_create(path, VIDEO)
        # deleting the lock of a live process would let two writers in: not advised
        assert str(info.value).endswith("Close it there first.")
        proc.kill()  # dies holding the lock: the lock file stays behind
        proc.join(10)
        assert json.loads((path / ".lock").read_text())["pid"] == proc.pid
        with AnnotationStore.open_or_create(path, VIDEO) as store:
            assert json.loads((path / ".lock").read_text())["pid"] == os.getpid()
            store.commit_frame(0, frame_labels(0), FrameRecord(FrameStatus.CLICKED, {}))
        assert not (path / ".lock").exists()
    finally:
        if proc.is_alive():  # a killed child may have died holding the event's internal lock
            stop.set()
            proc.join(10)


def test_lock_from_another_host_is_respected(tmp_path):
    path = tmp_path / "s"
    AnnotationStore.open_or_create(path, VIDEO).close()
    (path / ".lock").write_text(json.dumps({"pid": 1, "host": "lab-pc-7", "time": 0}))
    with pytest.raises(StoreLockedError, match=r"lab-pc-7.*if that machine's process is gone"):
        AnnotationStore.open_or_create(path, VIDEO)


def test_read_only_location(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("pathlib.Path.mkdir", refuse)
    with pytest.raises(StoreError, match="cannot create the store directory"):
        AnnotationStore.open_or_create(tmp_path / "new" / "s", VIDEO)
    monkeypatch.undo()

    AnnotationStore.open_or_create(tmp_path / "s", VIDEO).close()
    real_open = os.open

    def no_write_open(path, flags, *args):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(30, "Read-only file system")
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", no_write_open)
    with pytest.raises(StoreError, match="Read-only file system"):
        AnnotationStore.open_or_create(tmp_path / "s", VIDEO)
    assert AnnotationStore.open(tmp_path / "s").video == VIDEO  # still readable


def test_real_read_only_location_if_available(tmp_path):
    target = "/proc/skipclick-store"  # /proc refuses new directories even to root
    if os.path.exists("/proc/self"):
        with pytest.raises(StoreError):
            AnnotationStore.open_or_create(target, VIDEO)


def test_store_layer_data(tmp_path):
    path = tmp_path / "s.zarr"
    with AnnotationStore.open_or_create(path, VIDEO) as store:
        store.write_objects([ObjectInfo(2, "skier", "person", (0, 255, 0))], ["person"])
        store.commit_frame(4, frame_labels(4), FrameRecord(FrameStatus.REVIEWED, {}))
    [(data, meta, kind)] = read_store(str(path))
    assert kind == "labels" and meta["name"] == "SkipClick labels (s.zarr)"
    assert data.shape == (6, 24, 32)
    np.testing.assert_array_equal(np.asarray(data[4]), frame_labels(4))
    assert meta["metadata"]["objects"][0]["name"] == "skier"
    assert meta["metadata"]["statuses"] == {4: "reviewed"}
    # the layer shows ID i in color_for(i), whatever colour the store recorded
    assert tuple(meta["colormap"][2]) == (*(c / 255 for c in color_for(2)), 1.0)
    assert meta["colormap"][0][3] == 0 and meta["colormap"][None] == (0.5, 0.5, 0.5, 1.0)


def test_why_frames_need_review_survives_reopening_and_status_changes(tmp_path):
    why = "the engine's mask has 1,320 pixels where the object had 120"
    with AnnotationStore.open_or_create(tmp_path / "s", VIDEO) as store:
        store.commit_frame(0, frame_labels(0), FrameRecord(FrameStatus.CLICKED, {}))
        review = {2: why, 1: "low confidence"}
        settled = {3: "drift"}  # an object corrected there since: in doubt no longer
        store.commit_frame(
            1,
            frame_labels(1),
            FrameRecord(FrameStatus.NEEDS_REVIEW, {}, review=review, settled=settled),
        )
        store.set_status(1, FrameStatus.REVIEWED)
        assert store.review_reasons() == {1: {1: "low confidence", 2: why}}
        assert store.settled_reasons() == {1: settled}
        with pytest.raises(ValueError, match="object ids"):
            store.commit_frame(
                2, frame_labels(2), FrameRecord(FrameStatus.NEEDS_REVIEW, {}, review={0: why})
            )
        with pytest.raises(ValueError, match="non-empty text"):
            store.commit_frame(
                2, frame_labels(2), FrameRecord(FrameStatus.NEEDS_REVIEW, {}, review={1: ""})
            )
        assert 2 not in store.review_reasons() and store.frame_record(2) is None
    with AnnotationStore.open(tmp_path / "s") as store:
        assert store.review_reasons() == {1: {1: "low confidence", 2: why}}
        assert store.settled_reasons() == {1: {3: "drift"}}
        with AnnotationStore.open_or_create(tmp_path / "copy", VIDEO) as copy:  # saved as
            copy_frame(store, copy, 1, store.read_labels(1))
            assert copy.review_reasons() == store.review_reasons()
            assert copy.settled_reasons() == store.settled_reasons()
    # a record written before reasons were kept holds none
    record = tmp_path / "s" / "frames" / "000001.json"
    doc = json.loads(record.read_text())
    del doc["review"], doc["settled"]
    record.write_text(json.dumps(doc))
    with AnnotationStore.open(tmp_path / "s") as store:
        assert store.review_reasons() == {} and store.frame_record(1)["review"] == {}
        assert store.settled_reasons() == {} and store.frame_record(1)["settled"] == {}


def test_which_masks_propagation_made_survive_reopening_and_status_changes(tmp_path):
    with AnnotationStore.open_or_create(tmp_path / "s", VIDEO) as store:
        store.commit_frame(0, frame_labels(0), FrameRecord(FrameStatus.CLICKED, {}))
        store.commit_frame(
            1, frame_labels(1), FrameRecord(FrameStatus.PROPAGATED, {}, carried=[2, 1, 2])
        )
        store.set_status(1, FrameStatus.REVIEWED)
        assert store.carried_masks() == {(1, 1), (1, 2)}
    # a record written before the field existed reads as "none carried"
    record = tmp_path / "s" / "frames" / "000000.json"
    doc = json.loads(record.read_text())
    del doc["carried"]
    record.write_text(json.dumps(doc))
    with AnnotationStore.open(tmp_path / "s") as store:
        assert store.carried_masks() == {(1, 1), (1, 2)}
        assert store.frame_record(1)["carried"] == [1, 2]


def test_which_masks_the_user_painted_survive_reopening(tmp_path):
    with AnnotationStore.open_or_create(tmp_path / "s", VIDEO) as store:
        clicked, propagated = FrameStatus.CLICKED, FrameStatus.PROPAGATED
        store.commit_frame(
            0, frame_labels(0), FrameRecord(clicked, {}, carried=[1, 2], painted=[2])
        )
        store.commit_frame(1, frame_labels(1), FrameRecord(propagated, {}, carried=[1]))
        store.set_status(1, FrameStatus.REVIEWED)
        assert store.painted_masks() == {(0, 2)} and store.frame_record(1)["painted"] == []
    # a record written before the field existed: a clicked frame's carried objects may have
    # been painted (the frame stays the user's), another frame's were not
    for t in (0, 1):
        record = tmp_path / "s" / "frames" / f"00000{t}.json"
        doc = json.loads(record.read_text())
        del doc["painted"]
        record.write_text(json.dumps(doc))
    with AnnotationStore.open(tmp_path / "s") as store:
        assert store.painted_masks() == {(0, 1), (0, 2)}


def test_the_frames_the_user_accepted_before_an_edit_survive_reopening(tmp_path):
    with AnnotationStore.open_or_create(tmp_path / "s", VIDEO) as store:
        store.commit_frame(0, frame_labels(0), FrameRecord(FrameStatus.CLICKED, {}, accepted=True))
        store.commit_frame(1, frame_labels(1), FrameRecord(FrameStatus.CLICKED, {}))
        store.set_status(0, FrameStatus.REVIEWED)
        assert store.accepted_frames() == {0} and store.frame_record(1)["accepted"] is False
    record = tmp_path / "s" / "frames" / "000000.json"  # a record from before the field
    doc = json.loads(record.read_text())
    del doc["accepted"]
    record.write_text(json.dumps(doc))
    with AnnotationStore.open(tmp_path / "s") as store:
        assert store.accepted_frames() == set()


def test_the_object_ids_of_each_frame_are_noted_with_its_commit(tmp_path):
    """A session learns which objects a saved frame holds without reading its labels."""
    with AnnotationStore.open_or_create(tmp_path / "s", VIDEO) as store:
        store.commit_frame(0, frame_labels(0), FrameRecord(FrameStatus.CLICKED, {}))
        store.commit_frame(1, np.zeros((24, 32), np.uint32), FrameRecord(FrameStatus.CLICKED, {}))
        store.set_status(0, FrameStatus.REVIEWED)
        store.set_status(2, FrameStatus.REVIEWED)  # a status alone: no labels, IDs unknown
        assert store.frame_ids(0) == {1, 2, 70000} and store.frame_ids(1) == frozenset()
        assert store.frame_ids(2) is None and store.frame_ids(3) is None
    # a record written before the IDs were noted: unknown, read the labels
    record = tmp_path / "s" / "frames" / "000000.json"
    doc = json.loads(record.read_text())
    del doc["ids"]
    record.write_text(json.dumps(doc))
    with AnnotationStore.open(tmp_path / "s") as store:
        assert store.frame_ids(0) is None and store.frame_ids(1) == frozenset()
        with pytest.raises(IndexError):
            store.frame_ids(6)


def test_objects_being_deleted_are_listed_as_leaving_and_named_in_problems(tmp_path):
    path = tmp_path / "s.zarr"
    skier = ObjectInfo(1, "skier", "person", (0, 255, 0))
    ski = ObjectInfo(2, "ski", "ski", (1, 2, 3))
    with AnnotationStore.open_or_create(path, VIDEO) as store:
        store.write_objects([skier, ski], ["person", "ski"], leaving=[2])
        assert store.leaving() == [2] and store.objects() == [skier, ski]
        with pytest.raises(ValueError, match="must be listed"):
            store.write_objects([skier], ["person"], leaving=[2])
    store = AnnotationStore.open(path)
    assert store.leaving() == [2]
    assert store.problems == [
        "object 2 (ski) was being deleted and some frames still hold it: opening the store for "
        "annotation finishes the deletion"
    ]
    store.close()
    with AnnotationStore.open(path, readonly=False) as store:
        store.write_objects([skier], ["person"])  # the deletion written to its end
        assert store.leaving() == [] and store.problems == []
    doc = json.loads((path / "objects.json").read_text())
    assert "leaving" not in doc
    doc["leaving"] = [5]  # not listed: the list is damaged
    (path / "objects.json").write_text(json.dumps(doc))
    store = AnnotationStore.open(path)
    assert store.leaving() == []  # none known of a damaged list, which problems name
    assert any("leaving" in problem for problem in store.problems)
    store.close()


def test_the_last_saved_frame_is_where_the_last_commit_went(tmp_path):
    with AnnotationStore.open_or_create(tmp_path / "s.zarr", VIDEO) as store:
        assert store.last_saved_frame() is None
        labels = np.zeros((VIDEO.height, VIDEO.width), np.uint32)
        labels[0, 0] = 1
        for t in (3, 1, 2):
            store.commit_frame(t, labels, FrameRecord(FrameStatus.CLICKED, {}))
            time.sleep(0.002)  # records carry milliseconds
        assert store.last_saved_frame() == 2
        store.commit_frame(1, labels, FrameRecord(FrameStatus.REVIEWED, {}))
        assert store.last_saved_frame() == 1
    assert AnnotationStore.open(tmp_path / "s.zarr").last_saved_frame() == 1


def test_a_relative_video_path_that_exists_is_recorded_absolute(tmp_path, monkeypatch):
    from dataclasses import replace

    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "run1.mp4").write_bytes(b"x")
    monkeypatch.chdir(tmp_path)
    video = replace(VIDEO, path="runs/run1.mp4")
    with AnnotationStore.open_or_create(tmp_path / "s.zarr", video) as store:
        assert store.video.path == str(tmp_path / "runs" / "run1.mp4")
    monkeypatch.chdir(tmp_path / "runs")  # resumed from elsewhere: the path stays as it was
    with AnnotationStore.open_or_create(tmp_path / "s.zarr", replace(video, path="run1.mp4")) as s:
        assert s.video.path == str(tmp_path / "runs" / "run1.mp4")
    missing = replace(VIDEO, path="nowhere.mp4", fingerprint="other")
    with AnnotationStore.open_or_create(tmp_path / "t.zarr", missing) as store:
        assert store.video.path == "nowhere.mp4"  # nothing there to make absolute


def test_a_store_on_a_read_only_location_says_how_to_use_it(tmp_path, monkeypatch):
    """It said "cannot lock the store …: Read-only file system: '.lock'"."""
    import errno

    from napari_skipclick.io.store import lock

    path = tmp_path / "s.zarr"
    AnnotationStore.open_or_create(path, VIDEO).close()
    real_open = lock.os.open

    def read_only(name, flags, *args):
        if str(name).endswith(".lock"):
            raise OSError(errno.EROFS, "Read-only file system", str(name))
        return real_open(name, flags, *args)

    monkeypatch.setattr(lock.os, "open", read_only)
    with pytest.raises(StoreError, match=r"cannot be written here .*Open it read-only"):
        AnnotationStore.open(path, readonly=False)
    AnnotationStore.open(path).close()  # read-only opens take no lock
