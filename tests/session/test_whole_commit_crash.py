"""SIGKILL while the frames of one edit (the undo of a deletion) are saved: the store gets the
whole edit or none of it, and says so."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from napari_skipclick.io.store import AnnotationStore
from napari_skipclick.types import FrameRecord, FrameStatus, ObjectInfo, VideoInfo

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

T, H, W = 8, 64, 96
INFO = VideoInfo("squares.mp4", T, H, W, 25.0, "fingerprint-squares")

CHILD = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, sys.argv[2])
    from napari_skipclick.io.store import AnnotationStore
    from napari_skipclick.session import AnnotationSession
    from support.engines import ColourEngine, moving_squares

    store = AnnotationStore.open(sys.argv[1], readonly=False)
    session = AnnotationSession(moving_squares(8), ColourEngine(), store=store)
    session.delete_object(1)
    session.commit_all()
    session.undo()
    commit = store.commit_frame

    def slow_commit(t, labels, record):
        commit(t, labels, record)
        print(f"wrote {t}", flush=True)
        time.sleep(30)

    store.commit_frame = slow_commit
    session.commit_all()
    """
)


def _made_store(path: Path) -> None:
    """A store with object 1 on every frame."""
    store = AnnotationStore.open_or_create(path, INFO)
    store.write_objects([ObjectInfo(1, "box", "object", (255, 0, 0))], ["object"])
    for t in range(T):
        labels = np.zeros((H, W), np.uint32)
        labels[10:30, 10 + t : 40 + t] = 1
        store.commit_frame(t, labels, FrameRecord(FrameStatus.CLICKED, {}))
    store.close()


def _killed_while_saving(path: Path) -> None:
    """Run the child until it wrote the first frame of the undo, then SIGKILL it."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
    tests = str(Path(__file__).resolve().parents[1])
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), tests],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("wrote"), proc.stderr.read()
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()


def _frames_with(store: AnnotationStore, obj: int) -> list[int]:
    return [t for t in range(T) if (store.read_labels(t) == obj).any()]


def test_undo_killed_mid_save_leaves_the_store_as_before_it_and_says_so(tmp_path):
    path = tmp_path / "s.zarr"
    _made_store(path)
    _killed_while_saving(path)

    seen = AnnotationStore.open(path)  # read-only: names the edit cut short
    assert any("an undo" in p and "cut short" in p for p in seen.problems), seen.problems

    store = AnnotationStore.open(path, readonly=False)
    listed = [o.id for o in store.objects()]
    assert listed == [] and _frames_with(store, 1) == []  # as before the undo: deleted
    assert any("an undo" in r and "put back" in r for r in store.repairs), store.repairs
    store.close()
    assert AnnotationStore.open(path).problems == []  # the journal is gone once put back
