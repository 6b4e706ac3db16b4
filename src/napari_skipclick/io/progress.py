"""The command line's progress bars: tqdm on stderr, redrawn in place in a terminal. Outside a
terminal (a log file, a pipe) a redrawn bar would be one endless line of ``\\r`` updates: there
a bar is written as whole lines, at most one every ``LOG_INTERVAL`` seconds while it runs and
one when it ends."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

#: seconds between the lines of a progress bar written outside a terminal
LOG_INTERVAL = 30.0


def new_bar(desc: str, unit: str, *, quiet: bool = False, **options: Any) -> Any:
    """A tqdm bar on stderr (disabled with ``quiet``), as the module says; ``options`` go to
    tqdm (``total``, ``bar_format``, ...)."""
    from tqdm import tqdm

    stream: Any = sys.stderr
    if not quiet and not stream.isatty():
        stream = _Lines(stream)
    return tqdm(desc=desc, unit=unit, file=stream, disable=quiet, **options)


@contextmanager
def progress_bar(desc: str, unit: str, quiet: bool) -> Iterator[Callable[[int, int], None]]:
    """A progress bar (``new_bar``) as a ``progress(done, total)`` callback, as the export,
    import and summary functions take it: drawn from their first progress on (a refusal before
    it shows no empty bar), closed when the block ends."""
    bars: list[Any] = []

    def progress(done: int, total: int) -> None:
        if not bars:
            bars.append(new_bar(desc, unit, quiet=quiet))
        bars[0].total = total
        bars[0].update(done - bars[0].n)

    try:
        yield progress
    finally:
        for bar in bars:
            bar.close()


class _Lines:
    """A stream for tqdm outside a terminal: of the states it draws (``\\r`` and the bar), one
    whole line every ``LOG_INTERVAL`` seconds at most, and the last one when the bar closes
    (the newline it ends with); blank redraws and repeats write nothing."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._state = ""  # the last state drawn
        self._written = ""  # the last line written, and when
        self._since = time.monotonic()

    def write(self, text: str) -> None:
        if text == "\n":  # the bar closes
            self._line(self._state)
            return
        state = text.replace("\r", "").rstrip()
        if state:
            self._state = state
            if time.monotonic() - self._since >= LOG_INTERVAL:
                self._line(state)

    def _line(self, state: str) -> None:
        if state and state != self._written:
            self._stream.write(state + "\n")
            self._written, self._since = state, time.monotonic()

    def flush(self) -> None:
        self._stream.flush()

    def __getattr__(self, name: str) -> Any:  # encoding, fileno: as the stream's
        return getattr(self._stream, name)
