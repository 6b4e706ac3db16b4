"""Writer lock of a store: a ``.lock`` file naming pid and host, held with ``flock`` where possible.

A lock left by a dead process (SIGKILL, power loss) is taken over; one held by a live process,
or by a second viewer in this process, raises :class:`StoreLockedError`.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import time
import uuid
from pathlib import Path

from .errors import StoreError, StoreLockedError

try:
    import fcntl
except ImportError:  # Windows: fall back to the pid check alone
    fcntl = None

LOCK_NAME = ".lock"


def _process_start(pid: int) -> str | None:
    """Start time of a process in clock ticks since boot (Linux), to tell a reused pid apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _pid_alive(pid: int, start: str | None) -> bool:
    """Whether the process that wrote a lock is still running on this host."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    now_start = _process_start(pid)
    return start is None or now_start is None or now_start == start


def this_process() -> dict:
    """What names this process to another one: pid, host and start time (``process_gone``)."""
    pid = os.getpid()
    return {"pid": pid, "host": socket.gethostname(), "start": _process_start(pid)}


def process_gone(owner: dict) -> bool:
    """Whether the process ``this_process`` named in ``owner`` has ended: only one on this
    host can be known to (another host's, or an unreadable record: not gone). On Windows none
    is: ``os.kill(pid, 0)`` would end the process there."""
    pid = owner.get("pid")
    if os.name == "nt" or owner.get("host") != socket.gethostname() or not isinstance(pid, int):
        return False
    return not _pid_alive(pid, owner.get("start"))


def _describe(owner: dict) -> str:
    when = owner.get("time")
    since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(when)) if when else "unknown time"
    if owner.get("pid") == os.getpid() and owner.get("host") == socket.gethostname():
        return f"a session in this process, which saves it itself (since {since})"
    return f"process {owner.get('pid', '?')} on host {owner.get('host', '?')} (since {since})"


class StoreLock:
    """Exclusive writer lock on a store directory; :meth:`release` is safe to call twice."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / LOCK_NAME
        self._fd: int | None = None
        self._token = uuid.uuid4().hex

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._fd is not None

    def _owner_doc(self) -> dict:
        return {**this_process(), "time": time.time(), "token": self._token}

    def _read_owner(self) -> dict:
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            return {}
        return doc if isinstance(doc, dict) else {}

    def _locked_error(self, owner: dict) -> StoreLockedError:
        text = f"the store {self.path.parent} is open for writing by {_describe(owner)}. "
        if owner.get("host", socket.gethostname()) == socket.gethostname():
            # the process is alive (the lock of one that ended is taken over): deleting the
            # file would let two writers in
            return StoreLockedError(text + "Close it there first.")
        return StoreLockedError(
            text + f"Close it there first; if that machine's process is gone, delete {self.path}."
        )

    def acquire(self) -> None:
        """Take the lock or raise :class:`StoreLockedError` / :class:`StoreError`."""
        try:
            if fcntl is not None:
                self._acquire_flock()
            else:
                self._acquire_exclusive()
        except OSError as e:
            if e.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                raise StoreError(
                    f"the store {self.path.parent} cannot be written here ({e.strerror}): "
                    "annotating needs a writable folder. Open it read-only (napari's File > "
                    "Open, skipclick info, export) or copy it somewhere writable"
                ) from e
            raise StoreError(f"cannot lock the store {self.path.parent}: {e}") from e

    def _check_owner(self, owner: dict, *, locked_by_kernel: bool) -> None:
        """Refuse a lock that names a live owner the kernel lock cannot vouch for."""
        if not owner:
            return
        if owner.get("host") != socket.gethostname():
            # flock may not reach across network file systems: trust the file.
            raise self._locked_error(owner)
        if not locked_by_kernel and _pid_alive(int(owner.get("pid", -1)), owner.get("start")):
            raise self._locked_error(owner)

    def _open_file(self) -> tuple[int, bool]:
        """The lock file, opened for writing, and whether this call created it."""
        while True:
            try:
                return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644), True
            except FileExistsError:
                pass
            try:
                return os.open(self.path, os.O_RDWR), False
            except FileNotFoundError:
                continue  # removed meanwhile (released): create it

    def _give_up(self, fd: int, created: bool) -> None:
        """Close a lock not taken, and remove its file if this attempt created it (a disk
        too full to write the owner in must not keep a new store's folder)."""
        try:
            if created:
                self.path.unlink(missing_ok=True)
        finally:
            os.close(fd)

    def _acquire_flock(self) -> None:
        while True:
            fd, created = self._open_file()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise self._locked_error(self._read_owner()) from None
            except BaseException:
                self._give_up(fd, created)
                raise
            try:
                same = (
                    os.path.exists(self.path) and os.fstat(fd).st_ino == os.stat(self.path).st_ino
                )
            except OSError:
                same = False
            if same:
                break
            os.close(fd)  # the file was replaced while we waited: lock the new one
        try:
            owner = self._read_owner()
            # The kernel lock is ours, so a same-host owner in the file is dead: take over.
            if owner and owner.get("host") != socket.gethostname():
                self._check_owner(owner, locked_by_kernel=True)
            data = json.dumps(self._owner_doc()).encode("utf-8")
            os.ftruncate(fd, 0)
            os.pwrite(fd, data, 0)
            os.fsync(fd)
        except BaseException:
            self._give_up(fd, created)
            raise
        self._fd = fd

    def _acquire_exclusive(self) -> None:
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                self._check_owner(self._read_owner(), locked_by_kernel=False)
                self.path.unlink(missing_ok=True)  # stale: its owner is gone
                continue
            try:
                os.write(fd, json.dumps(self._owner_doc()).encode("utf-8"))
                os.fsync(fd)
            except BaseException:
                self._give_up(fd, True)
                raise
            self._fd = fd
            return
        raise self._locked_error(self._read_owner())

    def release(self) -> None:
        """Remove the lock file (if still ours) and drop the kernel lock."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            if self._read_owner().get("token") == self._token:
                self.path.unlink(missing_ok=True)
        finally:
            os.close(fd)
