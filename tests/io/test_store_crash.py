"""SIGKILL an annotating process at random moments: every acknowledged commit survives."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from napari_skipclick.io.store import AnnotationStore
from napari_skipclick.types import FrameStatus, VideoInfo

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

T, H, W = 7, 60, 80
VIDEO = VideoInfo("/videos/crash.mp4", T, H, W, 25.0, "crash-test")

CHILD = textwrap.dedent(
    """
    import sys
    import numpy as np
    from napari_skipclick.io.store import AnnotationStore
    from napari_skipclick.types import FrameRecord, FrameStatus, ObjectInfo, VideoInfo

    path, start = sys.argv[1], int(sys.argv[2])
    T, H, W = 7, 60, 80

    def pattern(k):
        labels = np.zeros((H, W), np.uint32)
        labels[(k * 7) % 40 : (k * 7) % 40 + 15, (k * 3) % 60 : (k * 3) % 60 + 20] = k % 5 + 1
        labels[0, 0] = k + 1
        return labels

    store = AnnotationStore.open_or_create(
        path, VideoInfo("/videos/crash.mp4", T, H, W, 25.0, "crash-test"))
    print("open", flush=True)
    for k in range(start, start + 100000):
        if k % 4 == 3:
            store.write_objects([ObjectInfo(1, f"obj{k}", "thing", (k % 256, 0, 0))], ["thing"])
            print(f"objects {k}", flush=True)
        clicks = {1 + k % 3: [(float(k % H), 1.0, True, float(k)), (2.0, 3.0, False, float(k))]}
        store.commit_frame(k % T, pattern(k), FrameRecord(FrameStatus.CLICKED, clicks))
        print(f"commit {k}", flush=True)
    """
)


def pattern(k: int) -> np.ndarray:
    labels = np.zeros((H, W), np.uint32)
    labels[(k * 7) % 40 : (k * 7) % 40 + 15, (k * 3) % 60 : (k * 3) % 60 + 20] = k % 5 + 1
    labels[0, 0] = k + 1
    return labels


def run_and_kill(path, start: int, rng: np.random.Generator) -> list[str]:
    """Start the annotator, SIGKILL it after a random number of acks; return the ack lines."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), str(start)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: list[str] = []
    try:
        assert proc.stdout.readline().strip() == "open", proc.stderr.read()
        target = int(rng.integers(1, 30))
        while len(lines) < target:
            line = proc.stdout.readline()
            assert line, f"annotator stopped early: {proc.stderr.read()}"
            lines.append(line.strip())
        time.sleep(float(rng.uniform(0, 0.02)))  # land somewhere inside the next commit
        proc.send_signal(signal.SIGKILL)
        rest, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    return lines + [line.strip() for line in rest.splitlines() if line.strip()]


def test_sigkill_at_random_points_loses_no_acknowledged_commit(tmp_path):
    rng = np.random.default_rng(20250107)
    path = tmp_path / "crash.zarr"
    acked: dict[int, int] = {}  # frame -> last acknowledged commit k
    last_objects, start, kills = -1, 0, 0
    for _ in range(8):
        lines = run_and_kill(path, start, rng)
        kills += 1
        for line in lines:
            kind, k = line.split()
            if kind == "commit":
                acked[int(k) % T] = int(k)
                start = int(k) + 1
            else:
                last_objects = int(k)
        in_flight = start  # the commit that may have been cut off

        reader = AnnotationStore.open(path)  # opens read-only before any recovery
        assert reader.video == VIDEO
        with AnnotationStore.open_or_create(path, VIDEO) as store:  # recovers
            assert store.problems == []
            for t in range(T):
                labels, clicks = store.read_labels(t), store.clicks(t)
                if t not in acked:
                    allowed = {in_flight} if in_flight % T == t else set()
                    if not labels.any():
                        assert clicks == {} and t not in store.annotated_frames()
                        continue
                else:
                    allowed = {acked[t]} | ({in_flight} if in_flight % T == t else set())
                k = int(labels[0, 0]) - 1
                assert k in allowed, f"frame {t}: found commit {k}, acknowledged {acked.get(t)}"
                np.testing.assert_array_equal(labels, pattern(k))
                [[(y, _, _, stamp), _]] = clicks.values()  # clicks of the same commit
                assert (int(stamp), y) == (k, float(k % H))
                assert store.statuses()[t] == FrameStatus.CLICKED
            if last_objects >= 0:
                name = store.objects()[0].name
                assert int(name[3:]) in (last_objects, last_objects + 4)
            assert not list((path / "pending").iterdir())
    assert kills == 8 and len(acked) == T
