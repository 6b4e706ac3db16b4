"""``skipclick bench-session``: session cost per click, per brush dab and per propagation step,
feature cache.

A stand-in engine draws an ellipse for the clicks; its decode time is measured and taken
out, so the figures are what the session adds on top of any engine's decode: derived clicks,
quality check, overlap rule, undo record, status, label writes.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

SIZES = {"480p": (480, 854), "1080p": (1080, 1920)}


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the benchmark's options to ``parser``."""
    parser.add_argument("--clicks", type=int, default=30, help="click edits timed per size")
    parser.add_argument("--dabs", type=int, default=60, help="brush dabs timed per size")
    parser.add_argument("--steps", type=int, default=20, help="propagation frames timed")
    parser.add_argument("--cache-frames", type=int, default=10, help="disk cache entries timed")
    parser.add_argument("--dir", type=Path, help="folder for the disk cache (default: temporary)")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")


class _InstantEngine:
    """Decodes to a skier-sized ellipse centred on the mean of the positive clicks."""

    name = "instant"
    key = "instant"

    def __init__(self) -> None:
        self.seconds = 0.0  # time spent in decode, taken out of the figures

    def encode(self, image):
        from ..engines.base import Features

        return Features(image.shape[:2], {})

    def decode(self, features, clicks, prev_mask=None):
        import time

        import numpy as np

        start = time.perf_counter()
        height, width = features.image_shape
        positives = [c for c in clicks if c.positive]
        y = sum(c.y for c in positives) / len(positives)
        x = sum(c.x for c in positives) / len(positives)
        yy, xx = np.ogrid[:height, :width]
        ry, rx = height / 8, width / 40
        mask = (((yy - y) / ry) ** 2 + ((xx - x) / rx) ** 2 <= 1).astype(np.float32)
        self.seconds += time.perf_counter() - start
        return mask


def _median_ms(values: list[float]) -> float:
    import statistics

    return round(1000 * statistics.median(values), 2)


def click_costs(height: int, width: int, n_clicks: int) -> dict:
    """Median ms per click edit (compute + apply, decode taken out) and per undo."""
    import time

    import numpy as np

    from ..session import AnnotationSession
    from ..types import Click

    frames = np.zeros((2, height, width, 3), np.uint8)
    engine = _InstantEngine()
    session = AnnotationSession(frames, engine)
    other, obj = session.add_object(), session.add_object()
    session.set_clicks(0, other.id, [Click(height / 2, width / 2 + width / 30, True)])
    edits, undos = [], []
    for i in range(n_clicks):
        clicks = [Click(height / 2, width / 2 + (i % 5), True)]
        start, decoding = time.perf_counter(), engine.seconds
        session.set_clicks(0, obj.id, clicks)
        edits.append(time.perf_counter() - start - (engine.seconds - decoding))
    for _ in range(n_clicks // 2):
        start = time.perf_counter()
        session.undo()
        undos.append(time.perf_counter() - start)
    return {"click_edit_ms": _median_ms(edits), "undo_ms": _median_ms(undos)}


def timed_stroke(
    session: Any,
    obj: int,
    n_dabs: int,
    start: tuple[int, int],
    step: tuple[int, int],
    frames: int = 1,
) -> tuple[int, list[float]]:
    """Paint one stroke of object ``obj`` as napari's Labels layer writes a brush's dabs (each
    a disk 11 px across in its box of the frame, ``AnnotationSession.paint_at``) through the
    first ``frames`` frames, the first dab at ``start`` (row, column), each next one ``step``
    rows and columns on (wrapping at the frame's edges); returns the stroke's undo group and
    the seconds each dab took."""
    import time

    import numpy as np

    height, width = session.frame_shape
    yy, xx = np.ogrid[-5:6, -5:6]
    disk = yy**2 + xx**2 <= 30
    stroke, times = session.history.new_group(), []
    for i in range(n_dabs):
        y = (start[0] + step[0] * i) % (height - 11)
        x = (start[1] + step[1] * i) % (width - 11)
        key = (slice(0, frames), slice(y, y + 11), slice(x, x + 11))
        region = np.array(session.labels[key])
        region[:, disk] = obj
        began = time.perf_counter()
        session.paint_at(key, region, group=stroke)
        times.append(time.perf_counter() - began)
    return stroke, times


def paint_costs(height: int, width: int, n_dabs: int) -> dict:
    """Median ms per brush dab painted by hand (``timed_stroke``), the dabs one diagonal
    stroke, ms to end it (its dabs folded into one undo patch, ``end_stroke``), and ms to undo
    it."""
    import time

    import numpy as np

    from ..session import AnnotationSession

    session = AnnotationSession(np.zeros((2, height, width, 3), np.uint8), _InstantEngine())
    obj = session.add_object().id
    stroke, times = timed_stroke(session, obj, n_dabs, (height // 4, width // 4), (2, 3))
    start = time.perf_counter()
    session.end_stroke(stroke)
    ended = time.perf_counter()
    session.undo()
    return {
        "paint_dab_ms": _median_ms(times),
        "end_stroke_ms": _median_ms([ended - start]),
        "undo_stroke_ms": _median_ms([time.perf_counter() - ended]),
    }


def propagation_cost(height: int, width: int, n_steps: int) -> dict:
    """Median ms per propagated (frame, object) step, features ready, decode taken out."""
    import time

    import numpy as np

    from ..session import AnnotationSession
    from ..types import Click

    frames = np.zeros((n_steps + 1, height, width, 3), np.uint8)
    engine = _InstantEngine()
    session = AnnotationSession(frames, engine)
    obj = session.add_object()
    session.set_clicks(0, obj.id, [Click(height / 2, width / 4, True)])
    for t in range(n_steps + 1):
        session.features(t)  # features ready, as after prefetching
    times = []
    start, decoding = time.perf_counter(), engine.seconds
    for _ in session.propagate([obj.id], 0):
        now = time.perf_counter()
        times.append(now - start - (engine.seconds - decoding))
        start, decoding = now, engine.seconds
    return {"propagation_step_ms": _median_ms(times), "steps": len(times)}


def cache_costs(folder: Path, n_frames: int) -> dict:
    """Disk cache write/read ms and MiB per frame for SkipClick-sized features (4x768x32x32)."""
    import time

    import torch

    from ..engines.base import Features
    from ..engines.cache import FeatureCache

    cache = FeatureCache(max_mib=0, disk_path=folder)
    writes, reads = [], []
    for t in range(n_frames):
        maps = {f"skip{i}": torch.randn(1, 768, 32, 32) for i in range(4)}
        features = Features((1080, 1920), maps)
        start = time.perf_counter()
        cache.put(f"frame{t}", "bench", features)
        writes.append(time.perf_counter() - start)
    for t in range(n_frames):
        start = time.perf_counter()
        assert cache.get(f"frame{t}", "bench") is not None
        reads.append(time.perf_counter() - start)
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    return {
        "features_mib": round(features.nbytes / 2**20, 1),
        "disk_write_ms": _median_ms(writes),
        "disk_read_ms": _median_ms(reads),
        "disk_mib_per_frame": round(size / n_frames / 2**20, 2),
    }


def run(args: argparse.Namespace) -> int:
    """Run the measurements, print them, and write JSON if asked."""
    import tempfile

    import torch

    torch.set_num_threads(2)
    results: dict = {}
    for name, (height, width) in SIZES.items():
        results[name] = click_costs(height, width, args.clicks)
        results[name].update(paint_costs(height, width, args.dabs))
        results[name].update(propagation_cost(height, width, args.steps))
    with tempfile.TemporaryDirectory() as tmp:
        results["feature_cache"] = cache_costs(args.dir or Path(tmp), args.cache_frames)
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0
