"""Saved courses: how propagation moved each object onto a frame, a hint kept with the store."""

from __future__ import annotations

import numpy as np
import pytest

from napari_skipclick.io.store import AnnotationStore, StoreError
from napari_skipclick.io.store.courses import course_path
from napari_skipclick.types import VideoInfo

VIDEO = VideoInfo("/videos/run1.mp4", 6, 24, 32, 25.0, "sha256:aaaa")


def _record() -> dict[int, dict[str, np.ndarray]]:
    return {
        3: {"direction": np.array(1), "shift": np.array([0.25, -1.5], np.float32)},
        70000: {"anchor": np.eye(4, dtype=bool), "mask": np.array("abc123")},
    }


def test_courses_are_read_back_after_reopening(tmp_path):
    with AnnotationStore.open_or_create(tmp_path / "s.zarr", VIDEO) as store:
        assert store.read_courses(2) == {}
        store.write_courses(2, _record())
    with AnnotationStore.open(tmp_path / "s.zarr") as store:
        back = store.read_courses(2)
        assert sorted(back) == [3, 70000] and store.read_courses(1) == {}
        for obj, arrays in _record().items():
            assert sorted(back[obj]) == sorted(arrays)
            for name, array in arrays.items():
                np.testing.assert_array_equal(back[obj][name], array)
                assert back[obj][name].dtype == array.dtype


def test_the_index_names_each_frames_objects_and_arrays(tmp_path):
    with AnnotationStore.open_or_create(tmp_path / "s.zarr", VIDEO) as store:
        store.write_courses(2, _record())
        store.write_courses(5, {3: _record()[3]})
        folder = store.path / "courses"
        (folder / "7abc.npz").write_bytes(b"foreign")
        (folder / "000009.npz").write_bytes((folder / "000005.npz").read_bytes())  # no frame 9
        assert store.course_index() == {
            2: {3: {"direction", "shift"}, 70000: {"anchor", "mask"}},
            5: {3: {"direction", "shift"}},
        }


def test_an_empty_record_removes_the_frames_courses(tmp_path):
    with AnnotationStore.open_or_create(tmp_path / "s.zarr", VIDEO) as store:
        store.write_courses(4, _record())
        assert course_path(store.path, 4).is_file()
        store.write_courses(4, {})
        assert not course_path(store.path, 4).exists() and store.read_courses(4) == {}


def test_a_damaged_courses_file_reads_as_none(tmp_path):
    """A hint that cannot be read is no hint: the frame's annotations are not touched."""
    with AnnotationStore.open_or_create(tmp_path / "s.zarr", VIDEO) as store:
        store.write_courses(1, _record())
        path = course_path(store.path, 1)
        path.write_bytes(path.read_bytes()[:40])  # truncated
        assert store.read_courses(1) == {}
        path.write_bytes(b"not a zip at all")
        assert store.read_courses(1) == {}


def test_what_cannot_be_saved_without_pickling_is_refused(tmp_path):
    with AnnotationStore.open_or_create(tmp_path / "s.zarr", VIDEO) as store:
        with pytest.raises(ValueError, match="cannot be saved"):
            store.write_courses(1, {2: {"shift": np.array([object()], dtype=object)}})
        with pytest.raises(IndexError, match="outside"):
            store.write_courses(6, _record())
        assert not (store.path / "courses").exists() or not any((store.path / "courses").iterdir())


def test_a_read_only_store_refuses_to_save_courses(tmp_path):
    AnnotationStore.open_or_create(tmp_path / "s.zarr", VIDEO).close()
    store = AnnotationStore.open(tmp_path / "s.zarr")
    with pytest.raises(StoreError, match="read-only"):
        store.write_courses(1, _record())


def test_a_full_disk_is_a_store_error(tmp_path, monkeypatch):
    from napari_skipclick.io.store import courses

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(courses, "write_atomic", full)
    with (
        AnnotationStore.open_or_create(tmp_path / "s.zarr", VIDEO) as store,
        pytest.raises(StoreError, match="No space left"),
    ):
        store.write_courses(1, _record())
