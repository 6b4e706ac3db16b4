"""``ClickTable``: the clicks of every (frame, object), each with the time it was made."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..types import Click
from .frame_changes import TimedClicks
from .unreadable import Unreadable

if TYPE_CHECKING:
    from .store_protocol import Store


class ClickTable:
    """Clicks per frame and object; a frame's saved clicks are read from the store on first use.

    Each frame has a version that grows with every change of its clicks. Not thread-safe: the
    session calls it under its lock.
    """

    def __init__(self, store: Store | None = None, unreadable: Unreadable | None = None) -> None:
        self._store = store
        #: frames whose saved record cannot be read (damaged): read with no clicks, and why
        self.unreadable = unreadable if unreadable is not None else Unreadable()
        self._frames: dict[int, dict[int, TimedClicks]] = {}
        self._versions: dict[int, int] = {}

    def use_store(self, store: Store) -> None:
        """Read saved clicks from ``store`` from now on (frames already read stay as they are)."""
        self._store = store

    def on(self, t: int) -> dict[int, TimedClicks]:
        """Clicks of frame ``t`` per object ID (read it; change it only through ``set``)."""
        clicks = self._frames.get(t)
        if clicks is None:
            clicks = {}
            if self._store is not None:
                store = self._store
                saved = self.unreadable.read(t, "clicks and status", lambda: store.clicks(t), dict)
                for obj, rows in saved.items():
                    clicks[int(obj)] = [(Click(y, x, bool(p)), float(w)) for y, x, p, w in rows]
            self._frames[t] = clicks
        return clicks

    def set(self, t: int, clicks: dict[int, TimedClicks]) -> None:
        """Replace the clicks of some objects on frame ``t`` (an empty list removes them)."""
        frame = self.on(t)
        for obj, timed in clicks.items():
            if timed:
                frame[obj] = list(timed)
            else:
                frame.pop(obj, None)
        self.touch(t)

    def touch(self, t: int) -> None:
        """Record that frame ``t`` changed (its version grows)."""
        self._versions[t] = self._versions.get(t, 0) + 1

    def version(self, t: int) -> int:
        return self._versions.get(t, 0)

    def frames(self) -> set[int]:
        """Frames read so far that hold clicks."""
        return {t for t, clicks in self._frames.items() if clicks}


def timed_anew(previous: TimedClicks, clicks: Sequence[Click], now: float) -> TimedClicks:
    """``clicks`` replacing ``previous`` (an object's clicks on a frame), each with its time:
    a click keeps the time of an equal one among ``previous``, each of those times given once
    and in order, and any other is made ``now``. A click you add on the very spot of another
    (one propagation derived there) is yours, made ``now``."""
    unused = list(previous)
    timed = []
    for click in clicks:
        when = next((k for k, (c, _) in enumerate(unused) if c == click), None)
        timed.append((click, now if when is None else unused.pop(when)[1]))
    return timed
