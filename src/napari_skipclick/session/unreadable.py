"""One rule for a frame whose saved data cannot be read (a damaged labels chunk or frame
record): it reads as none (empty labels, no saved clicks), why is noted and told, and
clicks, painting, propagation and deletion go on over it; the frame's next commit replaces
the file."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ..types import DamagedDataError

T = TypeVar("T")


class Unreadable(dict[int, str]):
    """Frame -> why its saved data could not be read; ``on_unreadable(frame, what, why)`` is
    told of each (from the reading thread)."""

    def __init__(self) -> None:
        super().__init__()
        self.on_unreadable: Callable[[int, str, str], None] | None = None

    def read(self, t: int, what: str, read: Callable[[], T], empty: Callable[[], T]) -> T:
        """``read()``, or ``empty()`` when the store finds frame ``t``'s ``what`` damaged."""
        try:
            return read()
        except DamagedDataError as exc:
            self[t] = str(exc)
            if self.on_unreadable is not None:
                self.on_unreadable(t, what, str(exc))
            return empty()
