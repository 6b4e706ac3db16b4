"""Whole-or-nothing commits of an edit that spans frames (a deletion, an undo, an import).

Each frame commit is atomic (``txn``), but an edit of many frames takes many commits. Before
the first, ``begin`` keeps the files those commits will replace (hard links in
``pending/edit/``: the writes that follow rename new files over them, the old ones stay) and
then writes ``pending/edit.json`` (the edit in words, its frames, the files kept and those
that did not exist). ``end`` removes it after the last. A store opened for writing with the
journal still there (the writer was killed, the power went) puts every kept file back and
removes those the edit created: the store is as before the edit. A read-only open names it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ...frame_lists import frame_ranges
from .courses import COURSES
from .errors import StoreCorruptError
from .files import fsync_dir, read_json, remove_durably, write_json
from .layout import OBJECTS
from .txn import frame_name, link_or_copy

EDIT_MARK = "pending/edit.json"
EDIT_KEPT = "pending/edit"


def frame_files(t: int) -> list[tuple[str, str]]:
    """The folders and names of the files a commit of frame ``t`` writes."""
    return [("labels", f"c.{t}.0.0"), ("frames", frame_name(t)), (COURSES, f"{t:06d}.npz")]


class EditJournal:
    """The journal of the multi-frame edit being committed to the store at ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.mark = root / EDIT_MARK
        self.kept = root / EDIT_KEPT

    def _kept_as(self, rel: str) -> Path:
        return self.kept / rel.replace("/", "__")

    def begin(self, what: str, frames: list[int]) -> None:
        """Keep the files that commits of ``frames`` and the object list replace, and note
        the edit; an edit already open (a commit cut short by an error) takes the new frames
        in, keeping the versions it kept first (those before the edit)."""
        files = [OBJECTS] + [f"{d}/{n}" for t in frames for d, n in frame_files(t)]
        doc = self._read() if self.mark.is_file() else None
        if doc is None:
            shutil.rmtree(self.kept, ignore_errors=True)
            doc = {"what": [], "frames": [], "files": {}}
        self.kept.mkdir(parents=True, exist_ok=True)
        for rel in files:
            if rel in doc["files"]:
                continue
            src, dst = self.root / rel, self._kept_as(rel)
            dst.unlink(missing_ok=True)
            existed = src.exists()
            if existed:
                link_or_copy(src, dst)
            doc["files"][rel] = existed
        fsync_dir(self.kept)
        doc["what"] = list(dict.fromkeys([*doc["what"], what]))
        doc["frames"] = sorted(set(doc["frames"]) | set(frames))
        write_json(self.mark, doc)

    def end(self) -> None:
        """Every commit of the edit went: drop the journal (first) and the files kept."""
        remove_durably(self.mark)
        shutil.rmtree(self.kept, ignore_errors=True)

    def _read(self) -> dict:
        doc = read_json(self.mark, self.root)
        try:
            return {
                "what": [str(w) for w in doc["what"]],
                "frames": sorted(int(t) for t in doc["frames"]),
                "files": {str(k): bool(v) for k, v in doc["files"].items()},
            }
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise StoreCorruptError(f"{EDIT_MARK} is invalid: {e!r}", str(self.mark)) from e

    def _words(self, doc: dict) -> str:
        what = ", ".join(doc["what"]) or "an edit"
        return f"{what}, on {len(doc['frames'])} frame(s) ({frame_ranges(doc['frames'])})"

    def describe(self) -> str | None:
        """For a read-only open: the edit being saved or cut short, in words (None: none)."""
        if not self.mark.is_file():
            return None
        try:
            words = self._words(self._read())
        except (StoreCorruptError, OSError):
            words = "an edit of several frames"
        return (
            f"{words} is being saved or was cut short: some of those frames hold it, the "
            "others are as before it; opening the store for annotation puts them all back as "
            "before it"
        )

    def recover(self) -> str | None:
        """Put the store back as before an edit whose commits were cut short; returns what was
        done, in words (None: no edit was open)."""
        if not self.mark.is_file():
            shutil.rmtree(self.kept, ignore_errors=True)
            return None
        try:
            doc = self._read()
        except (StoreCorruptError, OSError) as e:
            self.end()
            return (
                f"the journal of an edit cut short could not be read ({e}): frames may hold a part"
            )
        folders = set()
        for rel, existed in doc["files"].items():
            path, kept = self.root / rel, self._kept_as(rel)
            if kept.exists():
                os.replace(kept, path)
            elif not existed:
                path.unlink(missing_ok=True)
            folders.add(path.parent)
        for folder in folders:
            if folder.is_dir():
                fsync_dir(folder)
        self.end()
        return (
            f"saving {self._words(doc)} was cut short (the process ended): those frames "
            "were put back as they were before it"
        )
