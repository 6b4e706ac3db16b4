"""The file names of a frame folder's frames, recorded in its store (``frame_files.json``).

A folder's frames are its photos in natural name order: the recorded names say which photo
each frame was when annotated, after the folder's photos were renamed, added or removed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ...types import VideoInfo
from .errors import StoreError
from .files import read_json, write_json

FRAME_FILES = "frame_files.json"
#: changed frames a message names before it counts the rest
SHOWN = 5


def record_frame_files(p: Path, video: VideoInfo) -> None:
    """Write ``video``'s frame file names into the store at ``p`` (once: a readable record of
    ``video`` is kept; a damaged one, or another video's, is written again); nothing for a
    video that has none (a video file, a photo)."""
    if video.frame_files and read_frame_files(p, video) is None:
        doc = {"fingerprint": video.fingerprint, "files": list(video.frame_files)}
        write_json(p / FRAME_FILES, doc)


def read_frame_files(p: Path, video: VideoInfo) -> tuple[str, ...] | None:
    """The file names recorded in the store at ``p`` for its ``video``, frame by frame; None
    without a record (a video file, a store made before they were recorded) or with one that
    is damaged or not ``video``'s."""
    try:
        doc = read_json(p / FRAME_FILES, p)
    except (FileNotFoundError, StoreError):
        return None
    if not isinstance(doc, dict) or doc.get("fingerprint") != video.fingerprint:
        return None
    files = doc.get("files")
    if not isinstance(files, list) or len(files) != video.n_frames:
        return None
    return tuple(files) if all(isinstance(f, str) for f in files) else None


def renamed_text(recorded: Sequence[str], now: Sequence[str]) -> str:
    """The frames whose file name in the folder ``now`` is not the one ``recorded`` (the first
    ``SHOWN``, then a count), or that every name is the same."""
    changed = [t for t, (was, is_) in enumerate(zip(recorded, now, strict=True)) if was != is_]
    if not changed:
        return "every frame has the file name it was annotated on: a photo was edited or replaced"
    named = "; ".join(f"frame {t} was {recorded[t]}, is {now[t]}" for t in changed[:SHOWN])
    more = f"; and {len(changed) - SHOWN} more" if len(changed) > SHOWN else ""
    return f"{len(changed)} frame(s) are now another file: {named}{more}"
