"""Annotation store under faults: full disk and crashes at every step, damaged files."""

from __future__ import annotations

import contextlib
import errno
import os

import numpy as np
import pytest

from napari_skipclick._reader import read_store
from napari_skipclick.io.store import (
    AnnotationStore,
    StoreCorruptError,
    StoreError,
    StoreMismatchError,
)
from napari_skipclick.types import FrameRecord, FrameStatus, ObjectInfo, VideoInfo

VIDEO = VideoInfo("/videos/run1.mp4", 4, 16, 20, 30.0, "fp-1")
#: two versions of frame 2: (labels, clicks, status)
V1 = (np.full((16, 20), 1, np.uint32), {1: [(1.0, 1.0, True, 1.0)]}, FrameStatus.CLICKED)
V2 = (
    np.arange(320, dtype=np.uint32).reshape(16, 20),
    {2: [(2.0, 2.0, False, 2.0)]},
    FrameStatus.PROPAGATED,
)
PATCHED = ("fsync", "replace", "link", "unlink")


class Killed(BaseException):
    """Stands for SIGKILL: no ``except OSError`` clean-up runs."""


class FaultInjector:
    """Make file-system call ``n`` (fsync, replace, link, unlink; from 0) raise ``error``.

    ``full_disk``: only fsync is watched and every fsync from call ``n`` on fails, as on a
    disk that stays full (renames and deletions still work there).
    """

    def __init__(self, monkeypatch, n: int, error: BaseException, full_disk: bool = False):
        self.calls, self.n, self.error, self.fired, self.full = 0, n, error, False, full_disk
        for name in ("fsync",) if full_disk else PATCHED:
            monkeypatch.setattr(os, name, self._wrap(getattr(os, name)))

    def _wrap(self, real):
        def call(*args, **kwargs):
            self.calls += 1
            if self.calls == self.n + 1 or (self.full and self.calls > self.n):
                self.fired = True
                raise self.error
            return real(*args, **kwargs)

        return call


def make_store(path) -> AnnotationStore:
    store = AnnotationStore.open_or_create(path, VIDEO)
    store.commit_frame(2, V1[0], FrameRecord(V1[2], V1[1]))
    store.commit_frame(0, V1[0] * 7, FrameRecord(FrameStatus.REVIEWED, {}))
    return store


def state(store: AnnotationStore) -> str:
    """Which version frame 2 holds; labels, clicks and status must agree."""
    labels, clicks, status = store.read_labels(2), store.clicks(2), store.statuses()[2]
    for name, (lab, clk, st) in {"v1": V1, "v2": V2}.items():
        if np.array_equal(labels, lab) and clicks == clk and status == st:
            return name
    raise AssertionError(f"frame 2 is a mix of versions: {labels[0, :3]} {clicks} {status}")


def commit_v2(store: AnnotationStore) -> None:
    store.commit_frame(2, V2[0], FrameRecord(V2[2], V2[1]))


def assert_clean(path) -> None:
    assert not list((path / "pending").iterdir())
    assert not [p for p in path.rglob(".*.tmp")]


def test_zarr_chunk_writes_are_fsynced_and_atomic(tmp_path, monkeypatch):
    store = make_store(tmp_path / "s")
    synced: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    replaced: list[str] = []

    def fsync(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}") if os.path.exists("/proc") else "?")
        return real_fsync(fd)

    def replace(src, dst):
        replaced.append(str(dst))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    commit_v2(store)
    chunk = str(store.chunk_path(2))
    assert chunk in replaced  # the chunk arrives by rename, never written in place
    if os.path.exists("/proc"):
        assert any(".c.2.0.0." in s for s in synced)  # its temporary file was fsynced
        assert str(tmp_path / "s" / "labels") in synced  # and so was the directory


@pytest.mark.parametrize("full_disk", [False, True], ids=["one-failure", "stays-full"])
def test_disk_full_at_every_step_of_a_commit(tmp_path, monkeypatch, full_disk):
    error, n = OSError(errno.ENOSPC, "No space left on device"), 0
    while True:
        path = tmp_path / f"s{n}"
        store = make_store(path)
        with monkeypatch.context() as m:
            fault = FaultInjector(m, n, error, full_disk)
            try:
                commit_v2(store)
                raised = None
            except StoreError as e:
                raised = e
        if not fault.fired:
            assert raised is None and state(store) == "v2"
            break
        if raised is not None:
            assert "No space left" in str(raised) and "frame 2" in str(raised)
        # in memory and on disk: one whole version, the other frame untouched
        assert state(store) in (("v1", "v2") if raised else ("v2",))
        reader = AnnotationStore.open(path)
        assert state(reader) == state(store)
        np.testing.assert_array_equal(reader.read_labels(0), V1[0] * 7)
        commit_v2(store)  # retry works
        assert state(store) == "v2"
        store.close()
        reopened = AnnotationStore.open(path, readonly=False)
        assert state(reopened) == "v2" and reopened.problems == []
        assert_clean(path)
        reopened.close()
        n += 1
    assert n >= (5 if full_disk else 8)  # every step of the commit was hit


def test_crash_at_every_step_of_a_commit(tmp_path, monkeypatch):
    n, seen = 0, set()
    while True:
        path = tmp_path / f"s{n}"
        store = make_store(path)
        with monkeypatch.context() as m:
            fault = FaultInjector(m, n, Killed())
            with contextlib.suppress(Killed):
                commit_v2(store)
        if not fault.fired:
            break
        store._lock.release()  # the process is gone; so is its kernel lock
        reader = AnnotationStore.open(path)  # readable before any recovery
        assert reader.read_labels(0)[0, 0] == 7
        before = state(reader)  # one version, not the new labels with the old record
        (path / "pending" / "000002 (conflicted copy).prev").write_bytes(b"")  # a sync tool's
        reopened = AnnotationStore.open_or_create(path, VIDEO)
        assert state(reopened) == before  # what it read is what recovery restored
        seen.add(state(reopened))
        assert reopened.problems == []
        (path / "pending" / "000002 (conflicted copy).prev").unlink()  # left alone: not ours
        assert_clean(path)
        commit_v2(reopened)
        assert state(reopened) == "v2"
        reopened.close()
        n += 1
    assert seen == {"v1", "v2"} and n >= 8


def test_status_and_objects_failures_keep_previous(tmp_path, monkeypatch):
    store = make_store(tmp_path / "s")
    objects = [ObjectInfo(1, "skier", "person", (1, 2, 3))]
    store.write_objects(objects, ["person"])
    with monkeypatch.context() as m:
        FaultInjector(m, 0, OSError(errno.ENOSPC, "No space left on device"), full_disk=True)
        with pytest.raises(StoreError, match="No space left"):
            store.set_status(2, FrameStatus.REVIEWED)
        with pytest.raises(StoreError, match="No space left"):
            store.write_objects([], [])
    assert store.statuses()[2] == FrameStatus.CLICKED and store.objects() == objects
    reader = AnnotationStore.open(tmp_path / "s")
    assert reader.statuses()[2] == FrameStatus.CLICKED and reader.objects() == objects
    store.set_status(2, FrameStatus.REVIEWED)
    assert AnnotationStore.open(tmp_path / "s").statuses()[2] == FrameStatus.REVIEWED


def test_damaged_frame_record(tmp_path):
    path = tmp_path / "s"
    make_store(path).close()
    record = path / "frames" / "000002.json"
    record.write_bytes(record.read_bytes()[:25])  # truncated
    store = AnnotationStore.open(path)
    assert any("000002.json" in p for p in store.problems)
    with pytest.raises(StoreCorruptError, match=r"000002\.json") as info:
        store.clicks(2)
    assert info.value.path == str(record)
    np.testing.assert_array_equal(store.read_labels(2), V1[0])  # labels still readable
    assert store.statuses() == {0: FrameStatus.REVIEWED}
    assert store.annotated_frames() == [0, 2]
    with AnnotationStore.open_or_create(path, VIDEO) as writer:  # committing again repairs
        commit_v2(writer)
    assert AnnotationStore.open(path).problems == []


def test_a_deleted_chunk_is_named_not_read_as_an_empty_frame(tmp_path):
    """Its record says the frame holds objects: it read as zeros, with no problem named, and
    was exported as a frame without objects (a negative example)."""
    path = tmp_path / "s"
    make_store(path).close()
    chunk = path / "labels" / "c.2.0.0"
    chunk.unlink()
    store = AnnotationStore.open(path)
    assert any("labels of frame 2" in p and "are missing" in p for p in store.problems)
    with pytest.raises(StoreCorruptError, match=r"frame 2 .*c\.2\.0\.0.* missing"):
        store.read_labels(2)
    with AnnotationStore.open_or_create(path, VIDEO) as writer:
        commit_v2(writer)  # committed again: the frame is whole
        assert state(writer) == "v2" and writer.problems == []


def test_truncated_chunk(tmp_path):
    path = tmp_path / "s"
    make_store(path).close()
    chunk = path / "labels" / "c.2.0.0"
    chunk.write_bytes(chunk.read_bytes()[:-9])
    store = AnnotationStore.open(path)
    with pytest.raises(StoreCorruptError, match=r"frame 2 .*c\.2\.0\.0") as info:
        store.read_labels(2)
    assert info.value.path == str(chunk)
    np.testing.assert_array_equal(store.read_labels(0), V1[0] * 7)
    assert store.clicks(2) == V1[1]  # the clicks to recompute it are intact
    with AnnotationStore.open_or_create(path, VIDEO) as writer:
        commit_v2(writer)
        assert state(writer) == "v2"


def test_damaged_objects_and_manifest(tmp_path):
    path = tmp_path / "s"
    store = make_store(path)
    store.write_objects([ObjectInfo(1, "skier", "person", (1, 2, 3))], ["person"])
    store.close()
    (path / "objects.json").write_text('{"objects": [{"id": 1')
    reader = AnnotationStore.open(path)
    with pytest.raises(StoreCorruptError, match=r"objects\.json"):
        reader.objects()
    assert any("objects.json" in p for p in reader.problems)
    [(data, _, _)] = read_store(str(path))  # the layer still opens
    np.testing.assert_array_equal(np.asarray(data[2]), V1[0])

    (path / "skipclick.json").write_text("{\x00")
    reader = AnnotationStore.open(path)
    assert reader.video == VIDEO and any("skipclick.json" in p for p in reader.problems)
    with pytest.raises(StoreCorruptError, match=r"skipclick\.json"):
        AnnotationStore.open(path, readonly=False)
    with pytest.raises(StoreMismatchError):
        AnnotationStore.open_or_create(path, VideoInfo("/v/other.mp4", 4, 16, 20, 30.0, "x"))
    with AnnotationStore.open_or_create(path, VIDEO) as writer:  # same video: repaired
        assert state(writer) == "v1"
        # said (the widget's start names it), not only kept in the manifest
        assert writer.repairs == ["skipclick.json was damaged or missing: written again from "
                                  "labels/zarr.json"]  # fmt: skip
        assert writer.repairs[0] in writer.problems
    reopened = AnnotationStore.open(path)
    assert "repaired" in reopened.manifest and reopened.repairs == []


def test_damaged_array_metadata(tmp_path):
    path = tmp_path / "s"
    make_store(path).close()
    (path / "labels" / "zarr.json").write_text("{")
    with pytest.raises(StoreCorruptError, match=r"labels/zarr\.json"):
        AnnotationStore.open(path)
    # opened for annotation, it is written again from the store's video: the labels are kept
    with AnnotationStore.open_or_create(path, VIDEO) as repaired:
        assert state(repaired) == "v1" and "written again" in repaired.problems[0]
        assert repaired.repairs == repaired.problems[:1]
    assert AnnotationStore.open(path).problems == []


def test_newer_format_is_refused(tmp_path):
    path = tmp_path / "s"
    make_store(path).close()
    manifest = path / "skipclick.json"
    manifest.write_text(manifest.read_text().replace('"format_version": 1', '"format_version": 99'))
    with pytest.raises(StoreError, match="format_version 99"):
        AnnotationStore.open(path)


def test_missing_manifest_with_annotations_is_repaired(tmp_path):
    path = tmp_path / "s"
    make_store(path).close()
    (path / "skipclick.json").unlink()  # e.g. lost by a sync tool
    reader = AnnotationStore.open(path)
    assert state(reader) == "v1" and any("missing" in p for p in reader.problems)
    with AnnotationStore.open_or_create(path, VIDEO) as writer:  # never recreated empty
        assert state(writer) == "v1"
    assert (path / "skipclick.json").is_file()


def test_file_systems_without_hard_links(tmp_path, monkeypatch):
    store = make_store(tmp_path / "s")

    def no_links(*args):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    with monkeypatch.context() as m:
        # call 8 is the fsync after the new chunk was renamed into place: rollback needs the copy
        FaultInjector(m, 8, OSError(errno.EIO, "Input/output error"))
        with pytest.raises(StoreError, match="Input/output error"):
            commit_v2(store)
    assert state(store) == "v1" and state(AnnotationStore.open(tmp_path / "s")) == "v1"
    commit_v2(store)  # the old chunk is kept as a copy instead
    assert state(AnnotationStore.open(tmp_path / "s")) == "v2"
    assert_clean(tmp_path / "s")


@pytest.mark.parametrize("flock", [True, False], ids=["flock", "no-flock"])
def test_a_new_store_the_full_disk_refuses_is_not_left_behind(tmp_path, monkeypatch, flock):
    """Writing the lock's owner failed (ENOSPC) and left the .lock, so the new store's folder
    stayed; a folder that was there keeps what it held (hidden entries), and nothing else."""
    from napari_skipclick.io.store import lock

    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as m:
        if not flock:
            m.setattr(lock, "fcntl", None)
        m.setattr(os, "pwrite" if flock else "write", full)
        with pytest.raises(StoreError, match="No space left"):
            AnnotationStore.open_or_create(tmp_path / "new.zarr", VIDEO)
        (tmp_path / "kept.zarr" / ".git").mkdir(parents=True)
        with pytest.raises(StoreError, match="No space left"):
            AnnotationStore.open_or_create(tmp_path / "kept.zarr", VIDEO)
    assert not (tmp_path / "new.zarr").exists()
    assert os.listdir(tmp_path / "kept.zarr") == [".git"]
    AnnotationStore.open_or_create(tmp_path / "new.zarr", VIDEO).close()  # room again: made


def test_a_disk_full_at_every_step_of_a_creation_leaves_no_store(tmp_path, monkeypatch):
    """From the lock's fsync to the manifest's, a creation the disk cuts short leaves
    nothing, and the same path makes a store once there is room."""
    error, n = OSError(errno.ENOSPC, "No space left on device"), 0
    while True:
        path = tmp_path / f"s{n}"
        with monkeypatch.context() as m:
            fault = FaultInjector(m, n, error, full_disk=True)
            try:
                AnnotationStore.open_or_create(path, VIDEO).close()
                raised = None
            except StoreError as e:
                raised = e
        if not fault.fired:
            assert raised is None
            break
        assert raised is not None and "No space left" in str(raised)
        assert not path.exists(), sorted(p.name for p in path.iterdir())
        make_store(path).close()
        n += 1
    assert n >= 3  # the lock, the arrays and the manifest were hit
