"""Progress bars fed by thousands of fast reports: no RecursionError, the last count shown."""

from __future__ import annotations

import threading

import pytest
from napari.utils import progress
from qtpy.QtCore import QObject, Signal

from napari_skipclick._qt.activity import ActivityProgress
from napari_skipclick._qt.stoppable import StoppableWorker

pytestmark = [pytest.mark.gui]

ITEMS = 3000


def _bars(desc: str) -> list[progress]:
    return [bar for bar in progress._all_instances if bar.desc.startswith(desc)]


def test_a_worker_that_yields_thousands_of_items_at_once_does_not_overflow_the_gui(
    make_napari_viewer, qtbot
):
    # napari's own progress bar handles each queued item inside the previous one's update
    make_napari_viewer()  # the activity dock the bars are shown in
    received: list[int] = []
    seen_total: list[int] = []

    def count(n: int):
        yield from range(n)

    run = StoppableWorker(count, (ITEMS,), {"desc": "flood test", "total": ITEMS})
    run.worker.yielded.connect(received.append)
    run.worker.yielded.connect(lambda _: seen_total.extend(b.total for b in _bars("flood")))
    run.start()
    qtbot.waitUntil(lambda: run.wait(0) and len(received) == ITEMS, timeout=60_000)
    qtbot.waitUntil(lambda: not _bars("flood"), timeout=10_000)  # closed at the end
    assert received == list(range(ITEMS))
    assert set(seen_total) == {ITEMS}  # the bar showed the run's size while it ran


class _Reports(QObject):
    step = Signal(int, int)


def test_reports_from_another_thread_end_with_the_last_count(make_napari_viewer, qtbot):
    make_napari_viewer()
    bar = ActivityProgress("reports test")
    reports = _Reports()
    reports.step.connect(bar.set)

    def send() -> None:
        for done in range(1, ITEMS + 1):
            reports.step.emit(done, ITEMS)

    sender = threading.Thread(target=send)
    sender.start()
    qtbot.waitUntil(lambda: bar.done == ITEMS, timeout=60_000)
    sender.join()
    (shown,) = _bars("reports test")
    bar.close()
    assert (shown.n, shown.total) == (ITEMS, ITEMS)  # the last count, shown on close
    assert not _bars("reports test")
    bar.set(1)  # a late report after close changes nothing and raises nothing
