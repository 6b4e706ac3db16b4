"""``last_edit.json``: the frame the last edit of a session went to, where a store resumes.

A session notes it once the frames of its edits are saved (``AnnotationSession.commit_all``):
the frame of its last edit, or the frame an undo or redo showed. Frames committed after the
note by another writer (``skipclick import-labels``, a napari writer) come first: the store
resumes on the frame saved last then, as it does without a note (stores written before it).
"""

from __future__ import annotations

from pathlib import Path

from .errors import StoreError
from .files import read_json, write_json
from .txn import utc_now

LAST_EDIT = "last_edit.json"


def write_last_edit(root: Path, t: int) -> None:
    """Note frame ``t`` as the one the last edit went to (durable)."""
    write_json(root / LAST_EDIT, {"frame": int(t), "time": utc_now()})


def read_last_edit(root: Path, n_frames: int) -> tuple[int, str] | None:
    """The noted frame and the time it was noted; None without a sound note."""
    try:
        doc = read_json(root / LAST_EDIT, root)
    except (OSError, StoreError):  # none, unreadable or damaged: the frame saved last
        return None
    if not isinstance(doc, dict):
        return None
    t, when = doc.get("frame"), doc.get("time")
    if isinstance(t, bool) or not isinstance(t, int) or not 0 <= t < n_frames:
        return None
    return (t, when) if isinstance(when, str) else None
