"""Whether a feature cache folder takes writes, and the one way to say that it does not."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["CacheWriteError", "check_writable", "not_writable"]


class CacheWriteError(OSError):
    """A feature cache folder that refuses writes (read-only, full).

    ``written``: the entries the task that met it wrote before (complete ones, to be counted).
    """

    def __init__(self, message: str, written: int = 0) -> None:
        super().__init__(message)
        self.written = written


def not_writable(folder: str | os.PathLike, exc: OSError, written: int = 0) -> CacheWriteError:
    """The one way to say that the cache ``folder`` refused a write (``exc``), ``written``
    entries after."""
    return CacheWriteError(f"cache folder {folder} is not writable: {exc}", written)


def check_writable(folder: str | os.PathLike) -> None:
    """Make ``folder`` if missing and check that it takes a new entry (``CacheWriteError``)."""
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
        os.rmdir(tempfile.mkdtemp(prefix=".write-probe-", dir=folder))
    except OSError as exc:
        raise not_writable(folder, exc) from exc
