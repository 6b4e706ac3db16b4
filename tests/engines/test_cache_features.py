"""FeatureCache: exact keys, bounded memory LRU, fp16 disk cache that survives a restart."""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest
import torch

from napari_skipclick.engines.base import Features
from napari_skipclick.engines.cache import FeatureCache, frame_hash


class CountingEngine:
    """Encodes an image into one float32 array of a chosen size and counts the calls."""

    name = "counting"

    def __init__(self, key: str = "counting:v1", floats: int = 1024, delay: float = 0.0):
        self._key = key
        self.floats = floats
        self.delay = delay
        self.calls = 0

    @property
    def key(self) -> str:
        return self._key

    def encode(self, image: np.ndarray) -> Features:
        self.calls += 1
        time.sleep(self.delay)
        value = float(image.mean())
        return Features(image.shape[:2], {"x": np.full(self.floats, value, np.float32)})

    def decode(self, features, clicks, prev_mask=None):
        raise NotImplementedError


def image(value: int) -> np.ndarray:
    return np.full((8, 8, 3), value, np.uint8)


def test_frame_hash_depends_on_content_shape_and_dtype():
    a = image(1)
    assert frame_hash(a) == frame_hash(a.copy())
    assert frame_hash(a) != frame_hash(image(2))
    assert frame_hash(a) != frame_hash(a.reshape(4, 16, 3))


def test_entries_are_keyed_by_frame_and_engine():
    cache = FeatureCache(max_mib=1)
    engine_a, engine_b = CountingEngine("model-a"), CountingEngine("model-b")
    fa = cache.get_or_compute("frame-1", engine_a, image(10))
    assert cache.get_or_compute("frame-1", engine_a, image(10)) is fa
    assert engine_a.calls == 1
    fb = cache.get_or_compute("frame-1", engine_b, image(10))
    assert fb is not fa and engine_b.calls == 1
    assert cache.get("frame-2", "model-a") is None
    assert cache.contains("frame-1", "model-a") and not cache.contains("frame-1", "model-c")


def test_memory_is_bounded_by_mib_and_least_recently_used_goes_first():
    engine = CountingEngine(floats=64 * 1024)  # 256 KiB per entry
    cache = FeatureCache(max_mib=1)
    for i in range(4):
        cache.get_or_compute(f"f{i}", engine, image(i))
    cache.get("f0", engine.key)  # f0 becomes most recent
    cache.get_or_compute("f4", engine, image(4))
    assert cache.nbytes <= 1 << 20
    assert len(cache) == 4
    assert cache.get("f0", engine.key) is not None
    assert cache.get("f1", engine.key) is None  # the least recently used was dropped


def test_an_entry_larger_than_the_bound_is_not_kept():
    engine = CountingEngine(floats=1 << 20)  # 4 MiB
    cache = FeatureCache(max_mib=1)
    cache.get_or_compute("big", engine, image(1))
    assert len(cache) == 0 and cache.nbytes == 0


def test_disk_cache_is_fp16_and_avoids_recompute_after_restart(tmp_path):
    engine = CountingEngine(floats=16)
    features = engine.encode(image(3))
    features = Features(
        (8, 8),
        {
            "x": np.linspace(0, 1, 16, dtype=np.float32),
            "t": torch.linspace(-2, 2, 12, dtype=torch.float32).reshape(3, 4),
            "n": np.arange(5, dtype=np.int64),
            "bf": torch.tensor([0.5, -1.25], dtype=torch.bfloat16),
            "big": np.array([1e6, 2.5], np.float32),
            "grid": 7,
        },
    )
    FeatureCache(disk_path=tmp_path).put("frame", engine.key, features)
    stored = list(tmp_path.rglob("*.zarr"))
    assert len(stored) == 1
    reopened = FeatureCache(disk_path=tmp_path)
    loaded = reopened.get("frame", engine.key)
    assert loaded is not None and loaded.image_shape == (8, 8)
    assert loaded.arrays["x"].dtype == np.float32
    np.testing.assert_allclose(loaded.arrays["x"], features.arrays["x"], atol=1e-3)
    assert (
        isinstance(loaded.arrays["t"], torch.Tensor) and loaded.arrays["t"].dtype == torch.float32
    )
    torch.testing.assert_close(loaded.arrays["t"], features.arrays["t"], atol=2e-3, rtol=1e-3)
    np.testing.assert_array_equal(loaded.arrays["n"], np.arange(5))
    assert loaded.arrays["bf"].dtype == torch.bfloat16
    assert loaded.arrays["bf"].tolist() == [0.5, -1.25]
    np.testing.assert_array_equal(loaded.arrays["big"], [1e6, 2.5])  # beyond float16: kept
    assert loaded.arrays["grid"] == 7
    # the fp16 rounding is visible: it was stored as half precision
    assert not np.array_equal(loaded.arrays["x"], features.arrays["x"])
    calls = engine.calls
    assert reopened.get_or_compute("frame", engine, image(3)) is not None
    assert engine.calls == calls
    # another model never reads it
    assert FeatureCache(disk_path=tmp_path).get("frame", "other-model") is None


def test_disk_entry_with_a_wrong_key_or_damage_is_never_used(tmp_path):
    engine = CountingEngine(floats=4)
    cache = FeatureCache(disk_path=tmp_path)
    cache.put("frame", engine.key, engine.encode(image(1)))
    (entry,) = tmp_path.rglob("*.zarr")
    (entry / "zarr.json").write_text("{ not json")
    fresh = FeatureCache(disk_path=tmp_path)
    assert fresh.get("frame", engine.key) is None
    assert not entry.exists()  # the damaged entry is removed, so it is recomputed


def test_disk_entry_missing_a_chunk_is_a_miss_not_zeros(tmp_path):
    engine = CountingEngine(floats=4)
    FeatureCache(disk_path=tmp_path).put("frame", engine.key, engine.encode(image(1)))
    (chunk,) = (p for p in tmp_path.rglob("*") if p.is_file() and p.parent.name == "c")
    chunk.unlink()  # zarr alone would read the fill value (zeros) here
    fresh = FeatureCache(disk_path=tmp_path)
    assert fresh.get("frame", engine.key) is None
    assert not any(tmp_path.rglob("*.zarr"))


def test_a_failure_that_is_not_damage_surfaces_and_keeps_the_entry(tmp_path, monkeypatch):
    engine = CountingEngine(floats=4)
    FeatureCache(disk_path=tmp_path).put("frame", engine.key, engine.encode(image(1)))

    def broken(array, meta):
        raise RuntimeError("a bug in the conversion")

    monkeypatch.setattr("napari_skipclick.engines.cache.from_numpy", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        FeatureCache(disk_path=tmp_path).get("frame", engine.key)
    assert any(tmp_path.rglob("*.zarr"))  # a valid entry is not thrown away


def test_disk_cache_is_bounded(tmp_path):
    engine = CountingEngine(floats=64 * 1024)  # 128 KiB on disk in fp16
    cache = FeatureCache(max_mib=0, disk_path=tmp_path, disk_max_mib=0.3)
    for i in range(5):
        cache.get_or_compute(f"f{i}", engine, image(i))
        time.sleep(0.01)
    sizes = sum(f.stat().st_size for f in tmp_path.rglob("*") if f.is_file())
    assert sizes <= 0.3 * 2**20
    assert cache.get("f4", engine.key) is not None
    assert cache.get("f0", engine.key) is None


def test_a_cache_folder_that_holds_other_things_loses_none_of_them(tmp_path):
    """A project folder given as the cache (``--cache .``): its stores, other zarr folders and
    temporary-looking files are never taken for entries to trim or half-written ones."""
    store = tmp_path / "stores" / "run.zarr"
    (store / "labels").mkdir(parents=True)
    (store / "skipclick.json").write_text("{}")
    other = tmp_path / "0123456789abcdef" / "mine.zarr"  # an engine-like folder, not an entry
    other.mkdir(parents=True)
    (other / "data").write_bytes(b"x" * 400_000)
    leftover = tmp_path / "notes" / ".draft.tmp"
    leftover.parent.mkdir()
    leftover.write_text("keep me")
    old = time.time() - 7200
    for path in (store, other, leftover):
        os.utime(path, (old, old))
    engine = CountingEngine(floats=64 * 1024)
    cache = FeatureCache(max_mib=0, disk_path=tmp_path, disk_max_mib=0.3)
    for i in range(5):
        cache.get_or_compute(f"f{i}", engine, image(i))
        time.sleep(0.01)
    assert cache.remove_stale_temporaries() == 0
    assert (store / "skipclick.json").is_file() and (other / "data").is_file()
    assert leftover.read_text() == "keep me"
    assert cache.get("f4", engine.key) is not None and cache.get("f0", engine.key) is None


def test_concurrent_requests_encode_once():
    engine = CountingEngine(delay=0.2)
    cache = FeatureCache()
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get_or_compute("f", engine, image(5))))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert engine.calls == 1
    assert len(results) == 4 and all(r is results[0] for r in results)


def test_negative_sizes_and_a_file_for_the_folder_are_refused(tmp_path):
    with pytest.raises(ValueError):
        FeatureCache(max_mib=-1)
    (tmp_path / "afile").write_text("x")
    with pytest.raises(ValueError, match=r"cache folder .*afile is a file"):
        FeatureCache(disk_path=tmp_path / "afile")


@pytest.mark.parametrize("cause", ["read-only", "full"])
def test_a_folder_that_refuses_writes_is_said_once_and_read_still(tmp_path, monkeypatch, cause):
    """A read-only or full folder was taken without a word: every entry was dropped unseen."""
    from support.folders import refuse_cache_writes

    folder = tmp_path / "features"
    stored = FeatureCache(disk_path=folder)
    engine = CountingEngine()
    image = np.full((4, 4, 3), 7, np.uint8)
    stored.get_or_compute(frame_hash(image), engine, image)  # an entry from before
    told = []
    cache = FeatureCache(disk_path=folder)
    cache.on_disk_error = told.append
    refuse_cache_writes(folder, monkeypatch, cause)
    cache.check_disk()
    for value in range(1, 4):
        other = np.full((4, 4, 3), value, np.uint8)
        cache.get_or_compute(frame_hash(other), engine, other)
        assert cache.get(frame_hash(other), engine.key) is not None  # kept in memory
    assert len(told) == 1 and told[0] is cache.disk_error
    assert f"cache folder {folder} is not writable: " in str(told[0])
    assert cache.get(frame_hash(image), engine.key) is not None and engine.calls == 4
