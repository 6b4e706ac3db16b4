"""The mark an import of labels leaves in a store while it writes frames.

An import writes frame after frame (``io.labels_import``): a process killed midway leaves
frames with the status *imported* and nothing to say that the import is unfinished. The mark
(``import-in-progress.json`` at the store's root) is written before the first frame and
removed after the last; a store holding it names the import in its ``problems``.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from ...frame_lists import frame_ranges
from .errors import StoreCorruptError
from .files import read_json, remove_durably, write_json

IMPORT_MARK = "import-in-progress.json"


def begin_import(
    store: Path,
    source: str | Path,
    frames: list[int],
    options: list[str],
    moved: dict[int, int] | None = None,
) -> None:
    """Mark that labels of ``source`` are about to be written into ``frames`` of ``store``;
    ``options``: those of ``skipclick import-labels`` that read them so (``--void 255``).
    The source is recorded absolute: the command that finishes the import works anywhere.
    A merge (``--merge``) also records the IDs its objects took (``moved``) and the frames
    left to merge (:func:`frames_done`), so that the same command finishes it."""
    doc: dict = {
        "source": str(Path(source).resolve()),
        "frames": frame_ranges(frames),
        "options": options,
    }
    if "--merge" in options:
        doc.update(left=list(frames), moved={str(i): j for i, j in (moved or {}).items()})
    write_json(store / IMPORT_MARK, doc)


def frames_done(store: Path, left: list[int]) -> None:
    """Record that a merge has ``left`` frames still to write (the others are merged)."""
    doc = read_json(store / IMPORT_MARK, store)
    write_json(store / IMPORT_MARK, {**doc, "left": left})


def merge_left(store: Path, source: str | Path) -> tuple[set[int], dict[int, int]] | None:
    """The frames a merge of ``source`` cut short left to write and the IDs its objects took,
    or None: no merge of ``source`` was cut short in ``store``."""
    path = store / IMPORT_MARK
    if not path.is_file():
        return None
    try:
        doc = read_json(path, store)
        if doc["source"] != str(Path(source).resolve()) or "left" not in doc:
            return None
        return {int(t) for t in doc["left"]}, {int(i): int(j) for i, j in doc["moved"].items()}
    except (StoreCorruptError, KeyError, TypeError, ValueError):
        return None


def end_import(store: Path) -> None:
    """Remove the mark: every frame of the import was written."""
    remove_durably(store / IMPORT_MARK)


def interrupted_import(store: Path) -> str | None:
    """What an import cut short (killed, the power gone) left in ``store``, in words, or None."""
    path = store / IMPORT_MARK
    if not path.is_file():
        return None
    try:
        doc = read_json(path, store)
        source, frames = str(doc["source"]), str(doc["frames"])
        options = [str(o) for o in doc["options"]]
        left = frame_ranges(doc.get("left") or [])
    except (StoreCorruptError, KeyError, TypeError):
        source, frames, options, left = "SOURCE", "some frames", [], ""
    command = shlex.join(["skipclick", "import-labels", str(store), "--from", source, *options])
    if "--merge" in options:  # --replace would erase the store's objects on the frames left
        return (
            f"a merge of {source} into frames {frames} was cut short: frames {left} are left "
            f"to merge (the others hold its objects beside the store's); run `{command}` to "
            f"merge them, or delete {path} to keep the store as it is"
        )
    return (
        f"an import of {source} into frames {frames} was cut short: some of those frames hold "
        f"its labels (status imported), the others not; run `{command} --replace` to finish "
        f"it, or delete {path} to keep the store as it is"
    )
