"""The command line's progress bar: tqdm on stderr, driven by a ``progress(done, total)``
callback as the export, import and summary functions take it."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def progress_bar(desc: str, unit: str, quiet: bool) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr (none with ``quiet``) as a ``progress(done, total)`` callback;
    closed when the block ends."""
    from tqdm import tqdm

    bar = tqdm(desc=desc, unit=unit, file=sys.stderr, disable=quiet)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    try:
        yield progress
    finally:
        bar.close()
