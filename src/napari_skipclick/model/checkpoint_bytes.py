"""What a file's bytes say about it being a PyTorch checkpoint, before torch reads it.

One rule for the loader (:mod:`.checkpoint`) and the download check (:mod:`.weights`): what
servers and copies hand out instead of weights (web pages, empty or cut files, changed bytes).
"""

from __future__ import annotations

import functools
import os
import zipfile
from pathlib import Path

#: what tells one version of a file from another without reading it
Stamp = tuple[str, int, int, int, int]


def file_stamp(path: str | os.PathLike) -> Stamp:
    """``path`` made absolute, with its size, modification time and inode: what a fact read
    from the file's bytes is remembered under (a copy over it, or an edit, is another stamp)."""
    info = os.stat(path)
    return os.path.abspath(path), info.st_size, info.st_mtime_ns, info.st_ino, info.st_dev


def _head(path: Path, size: int = 256) -> bytes:
    with open(path, "rb") as file:
        return file.read(size)


def is_web_page(path: Path) -> bool:
    """Whether ``path`` holds an HTML or XML page (what a login wall or proxy returns)."""
    return _head(path).lstrip()[:1] == b"<"


#: the number PyTorch's legacy format pickles first (``torch.serialization.MAGIC_NUMBER``,
#: little-endian, as any pickle protocol writes it)
_LEGACY_MAGIC = (0x1950A86A20F9469CFC6C).to_bytes(10, "little")


def not_a_checkpoint(path: Path) -> str | None:
    """Why ``path`` plainly is no PyTorch checkpoint (a sentence after its name), else None.

    A zip archive and a pickle (PyTorch's legacy format) pass; their contents are checked by
    :func:`archive_problem` and by torch.
    """
    head = _head(path, 64)
    if not head:
        return "is empty"
    if zipfile.is_zipfile(path):
        return None
    if head[:2] == b"PK":
        return "is truncated or corrupt: a zip archive without its end (copy or download it again)"
    if is_web_page(path):
        return "is a web page (HTML), not a checkpoint: a download that went wrong?"
    if head[:1] != b"\x80":  # every pickle since protocol 2 starts so; PyTorch's legacy files too
        return "is not a PyTorch checkpoint (neither a zip archive nor a pickle)"
    if _LEGACY_MAGIC not in head:
        return "is a plain pickle, not a PyTorch checkpoint (torch.save writes a zip archive)"
    return None


def archive_problem(path: Path) -> str | None:
    """Why the zip checkpoint ``path`` cannot be trusted (a sentence after its name), else None.

    Checks each member's CRC: torch reads changed bytes as weights without a word. Remembered
    for the file's :func:`file_stamp`, so that checking a checkpoint and loading it read all
    its bytes once.
    """
    try:
        stamp = file_stamp(path)
    except OSError as exc:
        return f"is truncated or damaged: {exc}"
    return _archive_problem(stamp)


@functools.lru_cache(maxsize=8)
def _archive_problem(stamp: Stamp) -> str | None:
    path = stamp[0]
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        return f"is truncated or damaged: {exc}"
    if bad is not None:
        return (
            f"is damaged: {bad} fails its checksum (the file changed after it was written; "
            "copy or download it again)"
        )
    if not any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
        return "is a zip archive without a PyTorch checkpoint's data.pkl"
    return None
