"""Durable file primitives for the store: atomic fsynced writes, JSON documents, a zarr store."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from zarr.core.buffer import Buffer
from zarr.storage import LocalStore

from .errors import StoreCorruptError, StoreError

#: temporary files end with this suffix; a killed writer may leave them and they are ignored
TMP_SUFFIX = ".tmp"


def fsync_dir(path: Path) -> None:
    """Flush a directory entry (renames, new and removed files) to disk; no-op on Windows."""
    if os.name == "nt":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes | memoryview, *, durable: bool = True) -> None:
    """Replace ``path`` by ``data`` so that a crash leaves the old or the new file, never a mix.

    Writes a temporary file in the same directory, fsyncs it, renames it over ``path`` and
    fsyncs the directory (``durable=False`` skips both fsyncs: atomic against a killed
    process, not against power loss). On any error the temporary file is removed.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}{TMP_SUFFIX}")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        fsync_dir(path.parent)


def write_json(path: Path, doc: Any) -> None:
    """Write a JSON document atomically and durably."""
    write_atomic(path, (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode("utf-8"))


def read_json(path: Path, root: Path) -> Any:
    """Read a JSON document; a damaged one raises :class:`StoreCorruptError` naming the file."""
    name = _relative(path, root)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise
    except OSError as e:  # permissions or the disk: say so, it is not damage
        raise StoreError(f"cannot read {name} in store {root}: {e}") from e
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise StoreCorruptError(
            f"{name} in store {root} is damaged or truncated ({len(raw)} bytes): {e}", str(path)
        ) from e


def remove_durably(path: Path) -> None:
    """Delete a file if present and flush its directory."""
    try:
        path.unlink()
    except FileNotFoundError:
        return
    fsync_dir(path.parent)


def clean_temporaries(directory: Path) -> None:
    """Remove temporary files left by a writer killed mid-write."""
    if directory.is_dir():
        for tmp in directory.glob(f".*{TMP_SUFFIX}"):
            tmp.unlink(missing_ok=True)


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


class DurableLocalStore(LocalStore):
    """zarr ``LocalStore`` whose writes are atomic and fsynced (the stock one does not fsync).

    ``redirect`` (a read-only open's) gives, for a key, another key to read instead: the last
    complete version of a frame whose commit was interrupted (``FrameJournal.read_instead``).
    """

    redirect: Callable[[str], str | None] | None = None

    async def get(self, key: str, prototype: Any = None, byte_range: Any = None) -> Buffer | None:
        """The value of ``key``, or of the key ``redirect`` names instead."""
        other = self.redirect(key) if self.redirect is not None else None
        return await super().get(key if other is None else other, prototype, byte_range)

    def _write(self, key: str, value: Buffer, exclusive: bool) -> None:
        path = self.root / key
        if exclusive and path.exists():
            return
        write_atomic(path, value.as_buffer_like())

    async def set(self, key: str, value: Buffer) -> None:
        """Store ``value`` under ``key`` durably."""
        self._check_writable()
        await asyncio.to_thread(self._write, key, value, False)

    async def set_if_not_exists(self, key: str, value: Buffer) -> None:
        """Store ``value`` under ``key`` durably unless the key exists."""
        self._check_writable()
        await asyncio.to_thread(self._write, key, value, True)

    def set_sync(self, key: str, value: Buffer) -> None:
        """Synchronous :meth:`set`."""
        self._check_writable()
        self._write(key, value, False)

    async def delete(self, key: str) -> None:
        """Remove ``key`` durably."""
        self._check_writable()
        path = self.root / key
        if path.is_dir():
            await super().delete(key)
        else:
            await asyncio.to_thread(remove_durably, path)
