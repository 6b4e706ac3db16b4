"""Helpers of the precompute tests: small frame folders and an engine slow enough to interrupt."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
from PIL import Image

from napari_skipclick.engines import create_engine
from napari_skipclick.engines.base import Features
from napari_skipclick.engines.cache import FeatureCache
from napari_skipclick.io import frame_hash, open_video


def moving_square(t: int, size: tuple[int, int] = (48, 64), shade: int = 0) -> np.ndarray:
    """Frame ``t`` of a bright square moving right on a grey ``30 + shade`` background."""
    frame = np.full((*size, 3), 30 + shade, np.uint8)
    frame[10:30, 4 + 5 * t : 24 + 5 * t] = (220, (40 + 10 * t) % 256, 40)
    return frame


def frame_folder(folder: Path, n_frames: int = 5, size: tuple[int, int] = (48, 64)) -> Path:
    """A folder of ``n_frames`` distinct small PNG frames (a bright square moving right)."""
    folder.mkdir(parents=True)
    for t in range(n_frames):
        Image.fromarray(moving_square(t, size)).save(folder / f"{t:05d}.png")
    return folder


def video_file(path: Path, n_frames: int, shade: int = 0) -> Path:
    """An H.264 file of ``n_frames`` (at most 12) distinct 64x48 frames (a square moving right
    on a grey that ``shade`` brightens: two videos of other shades share no frame)."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for t in range(n_frames):
            frame = av.VideoFrame.from_ndarray(moving_square(t, shade=shade), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def cached_frames(cache_dir: Path, video: Path, engine_key: str | None = None) -> list[bool]:
    """Per frame of ``video``: whether the cache holds a valid entry (embedded engine default)."""
    engine_key = engine_key or create_engine("embedded").key
    cache = FeatureCache(max_mib=0, disk_path=cache_dir)
    with open_video(video) as frames:
        return [cache.get(frame_hash(frame), engine_key) is not None for frame in frames]


def leftovers(cache_dir: Path) -> list[Path]:
    """Temporary or half-deleted entries left in a cache folder."""
    return [p for p in cache_dir.rglob(".*") if p.suffix in (".tmp", ".del")]


class SlowEmbedded:
    """The embedded engine, ``delay`` seconds slower per frame; each encode leaves a file named
    by its process id in ``marker_dir`` (so a test knows which worker is busy)."""

    name = "embedded"

    def __init__(self, delay: float, marker_dir: str) -> None:
        self.inner = create_engine("embedded")
        self.delay = delay
        self.marker_dir = Path(marker_dir)

    @property
    def key(self) -> str:
        return self.inner.key

    def encode(self, image: np.ndarray) -> Features:
        (self.marker_dir / str(os.getpid())).touch()
        time.sleep(self.delay)
        return self.inner.encode(image)

    def decode(self, features, clicks, prev_mask=None) -> np.ndarray:
        return self.inner.decode(features, clicks, prev_mask)


#: engine key of the entries written by :func:`write_entries`
TEST_ENGINE_KEY = "atomicity-test/v1"


def entry_features(frame_key: str) -> Features:
    """Features that follow from ``frame_key`` alone (1 MiB, so that writes take a while)."""
    value = float(int(frame_key[-4:], 16) % 1000)
    arrays = {
        "a": np.full((256, 512), value, np.float32),
        "b": np.arange(4096, dtype=np.int32) + int(value),
    }
    return Features((16, 16), arrays)


def write_entries(cache_dir: str, frame_keys: list[str], seed: int) -> int:
    """Write every key's entry in a random order; return how many this writer created."""
    cache = FeatureCache(max_mib=0, disk_path=cache_dir, disk_max_mib=None)
    order = np.random.default_rng(seed).permutation(len(frame_keys))
    return sum(
        cache.write_disk(frame_keys[i], TEST_ENGINE_KEY, entry_features(frame_keys[i]))
        for i in order
    )
