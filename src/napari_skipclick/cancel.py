"""Encodes that stop part-way: a thread asks with ``stopping_when(flag)``; long encodes call
``stop_if_asked()`` between their steps (the DINOv2 backbone between its blocks) and raise
``EncodeCancelled`` once the flag is set, so that nothing of them is kept (the feature cache
stores an encode's result only when it returns)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_local = threading.local()


class EncodeCancelled(Exception):
    """An encode stopped part-way because its thread was asked to stop (``stopping_when``)."""


@contextmanager
def stopping_when(flag: threading.Event) -> Iterator[None]:
    """Within it, encodes in this thread stop at their next step once ``flag`` is set."""
    previous = getattr(_local, "flag", None)
    _local.flag = flag
    try:
        yield
    finally:
        _local.flag = previous


def stop_if_asked() -> None:
    """Raise ``EncodeCancelled`` if this thread's flag (``stopping_when``) is set."""
    flag = getattr(_local, "flag", None)
    if flag is not None and flag.is_set():
        raise EncodeCancelled("the encode was stopped: its result is not wanted any more")
