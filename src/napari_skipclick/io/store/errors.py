"""Errors raised by the annotation store; each message names the store path or file at fault."""

from __future__ import annotations

from ...types import DamagedDataError


class StoreError(Exception):
    """A store cannot be opened, created or written (permissions, full disk, bad input)."""


class StoreMismatchError(StoreError):
    """The store at this path belongs to a different video."""


class StoreLockedError(StoreError):
    """The store is open for writing by another live process or viewer."""


class StoreCorruptError(StoreError, DamagedDataError):
    """A file of the store is damaged or truncated; ``path`` names it."""

    def __init__(self, message: str, path: str | None = None) -> None:
        StoreError.__init__(self, message)
        self.path = path


#: what decoding damaged data raises (zarr metadata, codecs such as zstd on a truncated chunk);
#: an ``OSError`` is the disk or the permissions and is reported as such, never as damage
DECODE_ERRORS = (ValueError, RuntimeError, KeyError)
