"""A store that cannot be read says why: permissions and the disk are not called damage."""

from __future__ import annotations

import errno
from pathlib import Path

import numpy as np
import pytest

from napari_skipclick.io.store import AnnotationStore, StoreCorruptError, StoreError
from napari_skipclick.types import FrameRecord, FrameStatus, VideoInfo

VIDEO = VideoInfo("/videos/run1.mp4", 3, 16, 20, 30.0, "fp-read")


def make_store(path: Path) -> Path:
    labels = np.zeros((16, 20), np.uint32)
    labels[2:6, 3:9] = 1
    with AnnotationStore.open_or_create(path, VIDEO) as store:
        store.commit_frame(1, labels, FrameRecord(FrameStatus.CLICKED, {}))
    return path


def deny(monkeypatch, suffix: str) -> None:
    """Make reading any file whose path ends with ``suffix`` fail as a permission error would."""
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if str(self).endswith(suffix):
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)


def test_unreadable_frame_record_is_a_permission_error_not_damage(tmp_path, monkeypatch):
    path = make_store(tmp_path / "s.zarr")
    deny(monkeypatch, "000001.json")
    with pytest.raises(StoreError, match="Permission denied") as info:
        AnnotationStore.open(path, readonly=True)
    assert not isinstance(info.value, StoreCorruptError)
    assert "damaged" not in str(info.value)


def test_unreadable_labels_chunk_is_a_permission_error_not_damage(tmp_path, monkeypatch):
    path = make_store(tmp_path / "s.zarr")
    store = AnnotationStore.open(path, readonly=True)
    chunk = store.chunk_path(1)

    import zarr.storage

    real_get = zarr.storage.LocalStore.get

    async def get(self, key, prototype, byte_range=None):
        if key.endswith(chunk.name.replace(".", "/")) or key.endswith(chunk.name):
            raise PermissionError(errno.EACCES, "Permission denied", key)
        return await real_get(self, key, prototype, byte_range)

    monkeypatch.setattr(zarr.storage.LocalStore, "get", get)
    with pytest.raises(StoreError, match="Permission denied") as info:
        store.read_labels(1)
    assert not isinstance(info.value, StoreCorruptError)
    store.close()


def test_truncated_labels_chunk_is_still_called_damaged(tmp_path):
    path = make_store(tmp_path / "s.zarr")
    store = AnnotationStore.open(path, readonly=True)
    chunk = store.chunk_path(1)
    chunk.write_bytes(chunk.read_bytes()[:7])
    with pytest.raises(StoreCorruptError, match="damaged or truncated"):
        store.read_labels(1)
    store.close()
