"""Saved courses: how propagation moved each object onto a frame, one file per frame.

A hint, not an annotation (``session.track.Courses``): a project reopened goes on with the
courses its runs left, and a file that cannot be read is read as none. Each frame's file
``courses/NNNNNN.npz`` holds, for every object, its named arrays under ``"<object>/<name>"``;
it is replaced atomically and durably, and read without unpickling anything.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .files import remove_durably, write_atomic

COURSES = "courses"


def course_index(root: Path, n_frames: int) -> dict[int, dict[int, set[str]]]:
    """Frame -> object ID -> the names of the arrays saved for it, for every frame (below
    ``n_frames``) with saved courses in the store at ``root`` (from the files' directories; no
    array is read)."""
    index: dict[int, dict[int, set[str]]] = {}
    folder = root / COURSES
    if not folder.is_dir():
        return index
    try:
        paths = sorted(folder.glob("[0-9]*.npz"))
    except OSError:  # a lost drive: no hints
        return index
    for path in paths:
        if not path.stem.isdigit() or int(path.stem) >= n_frames:
            continue  # not a frame's
        try:
            with zipfile.ZipFile(path) as saved:
                names = saved.namelist()
        except (OSError, ValueError, zipfile.BadZipFile):
            continue
        objects = index.setdefault(int(path.stem), {})
        for key in names:
            obj, _, name = key.removesuffix(".npy").partition("/")
            if obj.isdigit() and name:
                objects.setdefault(int(obj), set()).add(name)
    return index


def course_path(root: Path, t: int) -> Path:
    """Where frame ``t``'s courses are saved in the store at ``root``."""
    return root / COURSES / f"{t:06d}.npz"


def write_courses(path: Path, record: Mapping[int, Mapping[str, np.ndarray]]) -> None:
    """Replace the file ``path`` by ``record`` (removed when the record is empty); raises
    ``ValueError`` for arrays that cannot be saved without pickling and ``OSError`` when the
    disk refuses."""
    named: dict[str, np.ndarray] = {}
    for obj, arrays in record.items():
        for name, value in arrays.items():
            array = np.asarray(value)
            if array.dtype.hasobject or "/" in name or not name:
                raise ValueError(f"object {obj}'s course {name!r} cannot be saved")
            named[f"{int(obj)}/{name}"] = array
    if not named:
        remove_durably(path)
        return
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **named)
    write_atomic(path, buffer.getbuffer())


def read_courses(path: Path) -> dict[int, dict[str, np.ndarray]]:
    """The courses saved at ``path``; empty when there are none or the file cannot be read
    (damaged, truncated, foreign)."""
    try:
        with np.load(path, allow_pickle=False) as saved:
            named = {key: saved[key] for key in saved.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):  # none saved, or damaged
        return {}
    record: dict[int, dict[str, np.ndarray]] = {}
    for key, array in named.items():
        obj, _, name = key.partition("/")
        if obj.isdigit() and name:
            record.setdefault(int(obj), {})[name] = array
    return record
