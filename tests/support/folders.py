"""A folder that refuses writes, also where chmod does not stop the user (root)."""

from __future__ import annotations

import errno
import os
from pathlib import Path


def refuse_writes(folder: Path, monkeypatch) -> None:
    """Make ``folder`` read-only; running as root, nothing in it can be made either."""
    folder.chmod(0o555)
    if not os.access(folder, os.W_OK):
        return
    mkdir = os.mkdir

    def read_only_mkdir(path, *args, **kwargs):
        if Path(path).resolve().is_relative_to(folder.resolve()):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", read_only_mkdir)


def refuse_cache_writes(folder: Path, monkeypatch, cause: str) -> None:
    """A feature cache ``folder`` that takes no write: ``"read-only"`` (``refuse_writes``) or
    ``"full"`` (every entry written raises ENOSPC)."""
    if cause == "read-only":
        refuse_writes(folder, monkeypatch)
        return
    from napari_skipclick.engines.cache import FeatureCache

    def full(*args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(FeatureCache, "write_disk", full)
