"""The folder a checkpoint download is written in, and removing those killed downloads left.

pooch writes a download to a temporary file beside its target; a process killed by SIGTERM,
SIGHUP or SIGKILL never removes it. Each download therefore gets a folder of its own, named
``<file>.download-<host>-<pid>-<random>``, which the download removes whatever happens and a
later download removes once its process is gone.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
from pathlib import Path

#: what a download's own folder is called: ``<file>.download-<host>-<pid>-<random>``
_DOWNLOAD_MARK = ".download-"
#: a download folder untouched this long is left over, whoever made it
_STALE_DOWNLOAD_S = 3600


def new_download_folder(target: Path) -> Path:
    """A new folder for one download of ``target``, beside it, after removing those that
    killed downloads left (:func:`_remove_stale_downloads`); ``OSError`` if the cache folder
    cannot be made or written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_downloads(target.parent)
    prefix = f"{target.name}{_DOWNLOAD_MARK}{socket.gethostname()}-{os.getpid()}-"
    return Path(tempfile.mkdtemp(prefix=prefix, dir=target.parent))


def _remove_stale_downloads(folder: Path) -> None:
    """Remove the download folders of processes that ended without cleaning up (killed by
    SIGTERM, SIGKILL or a power cut): one of this machine whose process is gone, or any that
    nothing was written to for an hour."""
    host = socket.gethostname()
    for candidate in folder.glob(f"*{_DOWNLOAD_MARK}*"):
        owner = candidate.name.split(_DOWNLOAD_MARK, 1)[1].rsplit("-", 2)
        if not candidate.is_dir() or len(owner) != 3:
            continue
        gone = owner[0] == host and owner[1].isdigit() and not _running(int(owner[1]))
        try:
            stale = gone or _idle_s(candidate) > _STALE_DOWNLOAD_S
        except OSError:  # removed meanwhile by its owner
            continue
        if stale:
            shutil.rmtree(candidate, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process
        return True
    return True


def _idle_s(folder: Path) -> float:
    """Seconds since anything in ``folder`` (or the folder) was written."""
    paths = [folder, *folder.iterdir()]
    return time.time() - max(p.stat().st_mtime for p in paths)
