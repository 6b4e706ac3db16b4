"""How long a reopened project of a long video takes to list its objects' frames and to
delete an object.

Usage::

    python tools/long_store_timing.py [--frames 1000] [--every 2] [--height 480] [--width 854]
                                      [--labels-mib 512]

A store of ``--frames`` black frames is written with two objects (boxes) on every
``--every``-th frame; a session opened from it (nothing in memory, as after reopening a
project) lists each object's frames (``frames_of``: the Objects panel does it when the project
opens), then deletes one object. Printed: the seconds each step took: the listing, the
deletion (``AnnotationSession.deleting``), its undo and redo, the commit that writes the
cleared frames, opening the store again after a crash cut the deletion's commit short, and
finishing that deletion (``finish_deletions``, which the widget runs in a worker). Then the
most labels memory the session held after the deletion, its undo and its redo (all saved only
once they end), against its bound ``--labels-mib``, and the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from napari_skipclick.engines import create_engine
from napari_skipclick.io.store import AnnotationStore
from napari_skipclick.session import AnnotationSession
from napari_skipclick.types import VideoInfo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1000)
    parser.add_argument("--every", type=int, default=2)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--width", type=int, default=854)
    parser.add_argument("--labels-mib", type=float, default=512.0)
    args = parser.parse_args()
    n, h, w = args.frames, args.height, args.width
    frames = np.zeros((n, h, w, 3), np.uint8)
    video = VideoInfo("black.mp4", n, h, w, 25.0, "black")
    engine = create_engine("embedded")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s.zarr"
        session = AnnotationSession(
            frames, engine, store=AnnotationStore.open_or_create(path, video)
        )
        first, second = session.add_object().id, session.add_object().id
        labels = np.zeros((h, w), session.labels.dtype)
        labels[h // 5 : 2 * h // 5, w // 8 : w // 3] = first
        labels[3 * h // 5 : 4 * h // 5, w // 2 : 3 * w // 5] = second
        for t in range(0, n, args.every):
            session.labels.set_frame(t, labels)
        session.close()
        session = AnnotationSession(
            frames,
            engine,
            store=AnnotationStore.open(path, readonly=False),
            labels_max_mib=args.labels_mib,
        )
        timings, held = {}, 0
        for name, step in [
            ("frames", lambda: [session.frames_of(o.id) for o in session.objects]),
            ("delete", lambda: session.delete_object(first)),
            ("undo", session.undo),
            ("redo", session.redo),
            ("commit", session.commit_all),
        ]:
            start = time.perf_counter()
            step()
            timings[name] = time.perf_counter() - start
            if name in ("delete", "undo", "redo"):
                held = max(held, session.labels.nbytes_in_memory)
        session.undo()  # the object back on its frames, saved, then its deletion cut short
        session.commit_all()
        session.store.write_objects(session.objects, session.classes, leaving=[first])
        session.close()
        start = time.perf_counter()
        session = AnnotationSession(
            frames, engine, store=AnnotationStore.open(path, readonly=False)
        )
        timings["reopen"] = time.perf_counter() - start
        start = time.perf_counter()
        session.finish_deletions()
        timings["finish"] = time.perf_counter() - start
        session.close()
    on = len(range(0, n, args.every))
    print(
        f"{n} frames {h}x{w}, the object on {on}: "
        + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in timings.items())
        + f"; labels held at most {held / 2**20:.2f} MiB (bound {args.labels_mib:g} MiB), "
        + f"peak resident memory {_peak_mib():.0f} MiB"
    )


def _peak_mib() -> float:
    """The process's peak resident memory (Linux ``VmHWM``; 0 where unknown)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return 0.0
    line = next((x for x in status.splitlines() if x.startswith("VmHWM:")), "VmHWM: 0 kB")
    return int(line.split()[1]) / 1024


if __name__ == "__main__":
    main()
