"""LabelVolume: numpy-like indexing for napari, dirty tracking, bounded memory with a store."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pytest

from napari_skipclick.session import LabelVolume
from napari_skipclick.session.label_edits import overlay


class FakeStore:
    """The two store calls LabelVolume makes, backed by a dict, counting reads."""

    def __init__(self, frames: dict[int, np.ndarray]) -> None:
        self.frames = frames
        self.reads = 0

    def annotated_frames(self) -> list[int]:
        return sorted(self.frames)

    def read_labels(self, t: int) -> np.ndarray:
        self.reads += 1
        return self.frames[t].copy()


def test_shape_dtype_and_zeros_for_untouched_frames():
    labels = LabelVolume((5, 4, 6))
    assert labels.shape == (5, 4, 6) and labels.dtype == np.uint32 and labels.ndim == 3
    assert len(labels) == 5
    frame = labels[2]
    assert frame.shape == (4, 6) and not frame.any()
    with pytest.raises(ValueError):
        frame[0, 0] = 1  # the shared zeros are read-only
    assert labels.in_memory() == []


def test_indexing_like_numpy():
    labels = LabelVolume((4, 5, 6))
    reference = np.zeros((4, 5, 6), np.uint32)
    labels[1, 2, 3] = 7
    reference[1, 2, 3] = 7
    labels[2] = 3
    reference[2] = 3
    labels[0:2, 4, :] = 9
    reference[0:2, 4, :] = 9
    index = (np.array([3, 3, 0]), np.array([0, 1, 2]), np.array([5, 5, 0]))
    labels[index] = np.array([4, 5, 6])
    reference[index] = [4, 5, 6]
    np.testing.assert_array_equal(labels[0:4], reference)
    np.testing.assert_array_equal(labels[::-1, 1:3], reference[::-1, 1:3])
    np.testing.assert_array_equal(labels[-1], reference[-1])
    np.testing.assert_array_equal(labels[index], reference[index])
    assert labels[1, 2, 3] == 7
    np.testing.assert_array_equal(np.asarray(labels), reference)
    assert labels.dirty_frames() == [0, 1, 2, 3]
    with pytest.raises(IndexError):
        labels[4]
    labels.max_array_bytes = 100
    with pytest.raises(MemoryError):
        np.asarray(labels)


def test_patches_say_what_a_write_would_change_without_writing_it():
    labels = LabelVolume((3, 6, 8))
    labels[1, 2, 3] = 5
    dab = np.full((1, 3, 3), 4, np.uint32)  # napari's brush: its box of the frame, repainted
    brush = (slice(1, 2), slice(1, 4), slice(2, 5))
    (t, (box, before, after)), *others = labels.patches(brush, dab).items()
    assert not others and t == 1 and box == (1, 4, 2, 5)
    assert before[1, 1] == 5 and (after == 4).all() and not before.flags.writeable
    assert labels[1, 2, 3] == 5  # nothing written
    reference = np.asarray(labels).copy()
    for key, value in [
        (brush, dab),
        ((slice(0, 2), slice(-2, None)), 7),  # rows only, from the end
        ((0, slice(None, None, 2), slice(1, 3)), 8),  # a step: the whole frame
        ((np.array([2, 2]), np.array([0, 5]), np.array([7, 1])), np.array([1, 2])),
    ]:
        labels[key] = value
        reference[key] = value
        np.testing.assert_array_equal(np.asarray(labels), reference)
    box, _, _ = labels.patches((0, slice(None, None, 2), slice(1, 3)), 8)[0]
    assert box == (0, 6, 0, 8)
    assert labels.frames_of(brush) == [1] and labels.frames_of((-1, 2)) == [2]
    assert labels.frames_of((slice(1, None), 0)) == [1, 2]
    assert labels.frames_of((np.array([2, 0, 2]), np.array([0, 1, 2]))) == [0, 2]
    with pytest.raises(IndexError):
        labels.frames_of((3, 0, 0))


def test_versions_grow_with_writes_and_zero_frames_need_no_memory():
    labels = LabelVolume((3, 4, 4))
    assert labels.version(1) == 0
    labels[1, 0, 0] = 2
    labels[1, 0, 1] = 2
    assert labels.version(1) == 2 and labels.in_memory() == [1]
    labels[1] = 0  # without a store an all-zero frame is dropped
    assert labels.in_memory() == [] and labels.dirty_frames() == []
    assert labels.version(1) == 3


def test_clean_frames_are_evicted_and_read_back_from_the_store():
    stored = {t: np.full((100, 100), t + 1, np.uint32) for t in range(10)}
    store = FakeStore(stored)
    frame_mib = 100 * 100 * 4 / 2**20
    labels = LabelVolume((10, 100, 100), store=store, max_mib=3.5 * frame_mib)
    for t in range(10):
        assert labels[t][0, 0] == t + 1
    assert len(labels.in_memory()) <= 3
    assert store.reads == 10
    labels[0, 5, 5] = 99  # frame 0 was evicted: read again, then held as dirty
    assert store.reads == 11
    for t in range(1, 10):
        labels[t]
    assert 0 in labels.in_memory() and labels.is_dirty(0)
    assert labels[0][5, 5] == 99
    labels.mark_clean(0)
    for t in range(1, 10):
        labels[t]
    assert 0 not in labels.in_memory()
    assert labels.nbytes_in_memory <= 3.5 * frame_mib * 2**20


@pytest.mark.parametrize("with_store", [True, False])
def test_changed_frames_past_the_limit_are_held_compressed(with_store):
    """A deletion or undo of many frames, saved only once it ends, held each frame it changed
    whole: 31.6 MiB a 4K frame, past any limit (gigabytes, out of memory)."""
    store = FakeStore({t: np.full((100, 100), 7, np.uint32) for t in range(20)})
    frame_bytes = 100 * 100 * 4
    labels = LabelVolume(
        (20, 100, 100), store=store if with_store else None, max_mib=3.5 * frame_bytes / 2**20
    )
    first = None
    for t in range(20):
        labels[t, t : t + 3, :] = t + 1  # every frame changed, none committed
        first = labels[0] if first is None else first
        assert labels.nbytes_in_memory <= 3.5 * frame_bytes
    assert labels.dirty_frames() == list(range(20)) and labels.in_memory() == list(range(20))
    for t in range(20):
        frame = labels[t]
        assert (frame[t : t + 3] == t + 1).all()
        assert (frame[t + 3 :] == (7 if with_store else 0)).all()
    assert (first[0:3] == 1).all() and not first.flags.writeable  # a reader's array kept
    if with_store:  # committed: the store's copy from now on
        for t in range(19):
            labels[t]
        store.frames[4] = np.array(labels[4])
        labels.mark_clean(4)
        assert labels[4][4, 0] == 5 and not labels.is_dirty(4)


def test_overlay_rule_keeps_other_objects_unless_override():
    frame = np.array([[1, 1, 2, 0], [0, 2, 2, 0]], np.uint32)
    mask = np.array([[0, 1, 1, 1], [0, 0, 0, 0]], bool)
    kept = overlay(frame, 1, mask, override=False)
    np.testing.assert_array_equal(kept, [[0, 1, 2, 1], [0, 2, 2, 0]])
    taken = overlay(frame, 1, mask, override=True)
    np.testing.assert_array_equal(taken, [[0, 1, 1, 1], [0, 2, 2, 0]])
    # an object written in the same step (propagation) yields its pixels; others do not
    frame3 = np.array([[1, 3, 2, 0]], np.uint32)
    mask3 = np.array([[1, 1, 1, 1]], bool)
    yielded = overlay(frame3, 1, mask3, override=False, yielding={2})
    np.testing.assert_array_equal(yielded, [[1, 3, 1, 1]])
    assert frame[0, 0] == 1  # input untouched


def test_readers_never_see_a_torn_or_changing_frame_while_a_thread_writes():
    """Copy-on-write: a writer thread fills frame 2 with 1, 2, 3, ... in two half-frame writes
    per value; every array a reader got is one state that existed (its two halves agree, or
    the upper half is one ahead) and it stays that state after later writes."""
    import threading

    labels = LabelVolume((4, 240, 320))
    stop = threading.Event()

    def hammer() -> None:
        value = 0
        while not stop.is_set():
            value += 1
            labels.write(2, (0, 120, 0, 320), np.full((120, 320), value, np.uint32))
            labels.write(2, (120, 240, 0, 320), np.full((120, 320), value, np.uint32))

    writer = threading.Thread(target=hammer)
    writer.start()
    seen: list[tuple[np.ndarray, np.ndarray]] = []
    bad: list[str] = []
    try:
        for _ in range(200):
            frame = labels.read(2) if len(seen) % 2 else labels[2]
            copy = frame.copy()
            top, bottom = np.unique(copy[:120]), np.unique(copy[120:])
            if len(top) != 1 or len(bottom) != 1 or top[0] - bottom[0] not in (0, 1):
                bad.append(f"torn frame: upper {top[:4]}, lower {bottom[:4]}")
            seen.append((frame, copy))
    finally:
        stop.set()
        writer.join()
    assert labels.version(2) > 20, "the writer must have run during the reads"
    assert bad == []
    changed = sum(not np.array_equal(frame, copy) for frame, copy in seen)
    assert changed == 0, f"{changed} arrays handed to readers changed after they were read"
    assert not labels.read(2).flags.writeable


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads the RSS from /proc")
def test_a_first_write_of_a_frame_copies_no_empty_frame():
    """Each first click on a frame (each frame propagation reaches) copied a whole empty frame
    and then wrote its box: 31.6 MiB of memory a 4K frame, whatever the object's size. Its new
    frame is the system's zero pages, given as they are written."""

    def rss_mib() -> float:
        return (
            int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGESIZE") / 2**20
        )

    labels = LabelVolume((12, 2160, 3840), max_mib=4096)
    before = rss_mib()
    for t in range(10):
        labels.write(t, (100, 110, 200, 230), np.full((10, 30), 3, np.uint32))
        assert (labels.read(t) == 3).sum() == 300 and labels.is_dirty(t)
    assert rss_mib() - before < 100  # ten whole frames: 316 MiB
    labels.write(0, (0, 1, 0, 1), np.ones((1, 1), np.uint32))  # a frame held: copied, as ever
    assert labels.read(0)[0, 0] == 1 and (labels.read(0) == 3).sum() == 300


class SlowStore(FakeStore):
    """A store whose first read of frame ``slow`` waits until ``go`` is set (a slow disk)."""

    def __init__(self, frames: dict[int, np.ndarray], slow: int) -> None:
        super().__init__(frames)
        self.slow, self.started, self.go = slow, threading.Event(), threading.Event()

    def read_labels(self, t: int) -> np.ndarray:
        if t == self.slow and not self.started.is_set():
            self.started.set()
            self.go.wait(10)
        return super().read_labels(t)


def _frame_1_read_slowly() -> tuple[SlowStore, LabelVolume, threading.Thread]:
    """A volume of 4 frames whose frame 1 a thread is reading from a store that holds the
    read until ``store.go`` is set."""
    store = SlowStore({t: np.full((6, 8), t + 1, np.uint32) for t in range(4)}, slow=1)
    labels = LabelVolume((4, 6, 8), store=store)
    reader = threading.Thread(target=labels.read, args=(1,))
    reader.start()
    assert store.started.wait(5)
    return store, labels, reader


def test_a_slow_read_delays_no_other_frame_and_a_write_during_it_wins():
    """A frame read from the store held the volume's lock: every other read and write (the
    frame on screen, a save) waited for a slow disk; and the read, once back, must not put
    back the frame as it was before a write made during it."""
    store, labels, reader = _frame_1_read_slowly()
    got: list[int] = []
    other = threading.Thread(target=lambda: got.append(int(labels.read(2)[0, 0])))
    other.start()
    other.join(2)
    writer = threading.Thread(target=labels.write, args=(1, (0, 2, 0, 2), np.full((2, 2), 9)))
    writer.start()
    writer.join(2)
    written = not writer.is_alive()
    store.go.set()
    reader.join(5)
    writer.join(5)
    assert got == [3], "a read of another frame waited for the slow read"
    assert written, "a write of the frame waited for its slow read"
    frame = labels.read(1)
    assert (frame[:2, :2] == 9).all() and (frame[2:] == 2).all()
    assert labels.is_dirty(1)


def test_a_reader_holding_the_lock_gets_the_frame_another_thread_reads():
    """A second reader of a frame waits for the read under way: one that holds the volume's
    lock (a write reads the frame it changes) must get it all the same, not wait forever."""
    store, labels, reader = _frame_1_read_slowly()
    got: list[int] = []

    def under_the_lock() -> None:
        with labels._lock:
            got.append(int(labels.read(1)[0, 0]))

    second = threading.Thread(target=under_the_lock)
    second.start()
    second.join(0.3)
    store.go.set()
    second.join(5)
    reader.join(5)
    assert not second.is_alive() and not reader.is_alive(), "the two readers wait for each other"
    assert got == [2] and store.reads == 1  # one read from the store, for both
