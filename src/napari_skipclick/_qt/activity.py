"""Progress bars in napari's activity dock that many fast reports cannot overflow.

napari's progress bar processes the pending Qt events every time its value changes. When a
worker reports items faster than the GUI thread paints them (a labels import or an export of
thousands of frames), each queued report is then handled inside the previous one's update, one
level deeper each time, until Python's recursion limit ends it with a ``RecursionError``.
``ActivityProgress`` changes the bar only from the outermost report, and at most every
``interval`` seconds; reports that arrive meanwhile only move its count.
"""

from __future__ import annotations

import time
from typing import Any

#: seconds between two changes of a bar's value
INTERVAL = 0.1


class ActivityProgress:
    """A bar in napari's activity dock fed by a worker's reports on the GUI thread.

    Args:
        desc: what the bar shows.
        total: the number of items, 0 when unknown (napari then shows a busy bar).
        interval: the least time in seconds between two changes of the bar's value.
    """

    def __init__(self, desc: str, total: int = 0, interval: float = INTERVAL) -> None:
        from napari.utils import progress

        self._bar: Any = progress(total=total, desc=desc)
        self._done, self._total = 0, total
        self._interval = interval
        self._shown_at = -float("inf")
        self._updating = False
        self._closing = False

    @property
    def done(self) -> int:
        """Items reported so far."""
        return self._done

    def advance(self, _item: object = None) -> None:
        """One more item done (``_item``, the worker's report, is ignored)."""
        self.set(self._done + 1)

    def set(self, done: int, total: int | None = None) -> None:
        """``done`` items of ``total`` (unchanged when None) are done."""
        self._done = done
        if total is not None:
            self._total = total
        if time.monotonic() - self._shown_at >= self._interval:
            self._show()

    def close(self) -> None:
        """Show the last count and remove the bar (once the update under way, if any, is
        over); later reports are ignored."""
        self._closing = True
        if not self._updating:
            self._show()

    def _show(self) -> None:
        if self._updating or self._bar is None:
            return  # a report handled inside the bar's own update: the outer one shows it
        self._updating = True
        try:
            if self._bar.total != self._total:
                self._bar.total = self._total
            self._bar.update(self._done - self._bar.n)
        finally:
            self._updating = False
            self._shown_at = time.monotonic()
        if self._closing:
            self._bar.close()
            self._bar = None
