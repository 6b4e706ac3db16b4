"""What the GUI benchmarks watch: event-loop stalls, errors and warnings, process memory.

- ``Heartbeat``: a 10 ms ``QTimer`` on the GUI thread; a gap between two beats longer than the
  interval is a stall (the loop was busy and could not repaint or take input). Gaps are kept
  per phase, so one run can say which activity stalled, and a watchdog thread samples what
  the GUI thread was running during each stall (``culprits``).
- ``ErrorLog``: napari notifications (errors, warnings), uncaught exceptions of any thread and
  log records (Qt's own messages reach Python through vispy's logger), with their texts;
  errors of napari's own cursor-status thread are kept apart.
- ``rss_mib``: resident memory of the process.
"""

from __future__ import annotations

import contextlib
import faulthandler
import logging
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

#: heartbeat interval in milliseconds
BEAT_MS = 10
#: a gap this long (ms) gets the GUI thread's stack sampled
SAMPLE_AFTER_MS = 100.0
#: where a stall is put when the watchdog could not run during it (another thread held the GIL)
UNSAMPLED = "(not sampled: the watchdog did not get the GIL during the stall)"


def rss_mib() -> float:
    """Resident memory of this process in MiB (Linux /proc)."""
    import os

    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def summarize(values: list[float]) -> dict[str, float]:
    """Median, p90, p99, max and count of ``values`` (empty: count 0 only)."""
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {
        "median": statistics.median(ordered),
        "p90": pick(0.9),
        "p99": pick(0.99),
        "max": ordered[-1],
        "n": len(ordered),
    }


class Heartbeat:
    """Gaps between the beats of a 10 ms ``QTimer``, tagged with the phase they ended in."""

    def __init__(self, interval_ms: int = BEAT_MS) -> None:
        from qtpy.QtCore import QTimer

        self.phase = ""
        self.gaps: list[tuple[str, float]] = []
        self._last: float | None = None
        self._timer = QTimer()
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._beat)
        #: (phase, where) -> [stalls sampled there, longest gap in ms]
        self._culprits: dict[tuple[str, str], list[float]] = {}
        self._sampled: str | None = None
        self._gui_thread = threading.get_ident()
        self._stopped = threading.Event()
        self._watchdog: threading.Thread | None = None

    def _beat(self) -> None:
        now = time.perf_counter()
        if self._last is not None:
            gap = (now - self._last) * 1000.0
            self.gaps.append((self.phase, gap))
            if self._sampled is None and gap > SAMPLE_AFTER_MS + 50.0:  # the watchdog had time
                self._sampled = UNSAMPLED
            if self._sampled is not None:
                entry = self._culprits.setdefault((self.phase, self._sampled), [0, 0.0])
                entry[0] += 1
                entry[1] = max(entry[1], gap)
        self._sampled = None
        self._last = now

    def _watch(self) -> None:
        """Watchdog thread: during a stall, note where the GUI thread is (once per stall)."""
        while not self._stopped.wait(0.02):
            last = self._last
            late = last is not None and (time.perf_counter() - last) * 1000.0 > SAMPLE_AFTER_MS
            if late and self._sampled is None:
                stack = _stack_of(self._gui_thread)
                self._sampled = _where(stack) if stack else "?"

    def culprits(self, top: int = 12) -> list[dict[str, Any]]:
        """Where the GUI thread was during stalls over ``SAMPLE_AFTER_MS``, longest first."""
        rows = [
            {"phase": phase, "where": where, "stalls": int(n), "longest_ms": longest}
            for (phase, where), (n, longest) in self._culprits.items()
        ]
        return sorted(rows, key=lambda row: -row["longest_ms"])[:top]

    def start(self, phase: str = "") -> None:
        """Beat from now on (a stall right after this call counts too)."""
        self.phase = phase
        self._last = time.perf_counter()
        self._timer.start()
        if self._watchdog is None:
            self._stopped.clear()
            self._watchdog = threading.Thread(target=self._watch, daemon=True)
            self._watchdog.start()

    def stop(self) -> None:
        self._timer.stop()
        self._last = None
        if self._watchdog is not None:
            self._stopped.set()
            self._watchdog.join()
            self._watchdog = None

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Work of the benchmark itself (not the widget's): its time is no gap."""
        self.stop()
        try:
            yield
        finally:
            self.start(self.phase)

    def gaps_ms(self, phase: str | None = None) -> list[float]:
        """The gaps of ``phase`` (every gap for None)."""
        return [gap for p, gap in self.gaps if phase is None or p == phase]

    def summary(self, phase: str | None = None) -> dict[str, float]:
        """Gap statistics (ms) of ``phase``; ``max`` is the longest stall."""
        return summarize(self.gaps_ms(phase))

    def by_phase(self) -> dict[str, dict[str, float]]:
        return {phase: self.summary(phase) for phase in dict.fromkeys(p for p, _ in self.gaps)}


#: a thread's heading and a frame's line in ``faulthandler``'s report
_THREAD = re.compile(r"^(?:Current thread|Thread) (0x[0-9a-f]+)")
_FRAME = re.compile(r'^\s+File "(.*)", line (\d+|\?+) in (.*)$')


def _stack_of(ident: int) -> list[tuple[str, int, str]]:
    """The Python stack of thread ``ident`` (file, line, function; the outermost frame first),
    read by ``faulthandler``, which walks the frames without making frame objects of them:
    ``sys._current_frames()`` from the watchdog thread crashed the process once (CPython 3.11)
    while the GUI thread unwound an exception."""
    with tempfile.TemporaryFile("w+") as report:
        faulthandler.dump_traceback(report, all_threads=True)
        report.seek(0)
        lines = report.read().splitlines()
    stack: list[tuple[str, int, str]] = []
    inside = False
    for line in lines:
        heading = _THREAD.match(line)
        if heading:
            inside = int(heading.group(1), 16) == ident
            continue
        frame = _FRAME.match(line)
        if inside and frame:
            number = frame.group(2)
            stack.append((frame.group(1), int(number) if number.isdigit() else 0, frame.group(3)))
    return stack[::-1]


def _where(stack: list[tuple[str, int, str]]) -> str:
    """The innermost frame of a stack (``_stack_of``), then the innermost frames of this
    package (the widget, not the benchmark) that led there, compactly."""
    ours = [f for f in stack if "napari_skipclick" in f[0] and "/bench/" not in f[0]]
    chosen = [*ours[-2:], stack[-1]] if ours and ours[-1] is not stack[-1] else ours[-3:]
    chosen = chosen or stack[-2:]
    return " < ".join(
        f"{file.rsplit('/', 1)[-1]}:{line} {name}" for file, line, name in reversed(chosen)
    )


def _in_napari_status_thread(exc: BaseException | None) -> bool:
    """Whether ``exc`` was caught by napari's cursor-status thread (``status_checker.py``)."""
    import traceback

    if exc is None or exc.__traceback__ is None:
        return False
    return any(
        f.filename.endswith("status_checker.py") for f in traceback.extract_tb(exc.__traceback__)
    )


class ErrorLog(logging.Handler):
    """Collects napari error/warning notifications, uncaught exceptions and log records of
    level warning and above while installed (``install``/``uninstall``, or as a context)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.errors: list[str] = []
        self.warnings: Counter[str] = Counter()
        self.infos: Counter[str] = Counter()
        #: errors of napari's own cursor-status thread, which reads layers while the GUI
        #: thread changes them (napari catches them and shows them as notifications)
        self.napari_status_errors: list[str] = []
        self._hooks: tuple[Any, Any] | None = None

    def install(self) -> None:
        from napari.utils.notifications import notification_manager

        notification_manager.notification_ready.connect(self._on_notification)
        self._hooks = (sys.excepthook, threading.excepthook)
        sys.excepthook = self._on_exception
        threading.excepthook = self._on_thread_exception
        logging.getLogger().addHandler(self)  # every logger propagates there (vispy's too)

    def uninstall(self) -> None:
        from napari.utils.notifications import notification_manager

        notification_manager.notification_ready.disconnect(self._on_notification)
        if self._hooks is not None:
            sys.excepthook, threading.excepthook = self._hooks
            self._hooks = None
        logging.getLogger().removeHandler(self)

    def __enter__(self) -> ErrorLog:
        self.install()
        return self

    def __exit__(self, *exc: object) -> None:
        self.uninstall()

    def record(self, text: str) -> None:
        """Count an error found by the benchmark itself (an exception it caught)."""
        self.errors.append(text)
        print(f"ERROR: {text}", file=sys.stderr, flush=True)

    def emit(self, record: logging.LogRecord) -> None:
        """A log record (``logging.Handler``): error and above count as errors."""
        text = f"log {record.name}: {record.getMessage()}"
        if record.levelno >= logging.ERROR:
            self.record(text)
        else:
            self.warnings[text] += 1

    def _on_notification(self, notification: Any) -> None:
        severity = str(getattr(notification.severity, "value", notification.severity)).lower()
        text = str(notification.message)
        if _in_napari_status_thread(getattr(notification, "exception", None)):
            self.napari_status_errors.append(text)
        elif severity == "error":
            self.record(f"notification: {text}")
        elif severity == "warning":
            self.warnings[text] += 1
        else:
            self.infos[text] += 1

    def _on_exception(self, exctype: type, value: BaseException, _tb: Any) -> None:
        self.record(f"uncaught {exctype.__name__}: {value}")

    def _on_thread_exception(self, args: Any) -> None:
        self.record(f"uncaught in thread {args.exc_type.__name__}: {args.exc_value}")

    def report(self) -> dict[str, Any]:
        """Error count and texts, warnings and infos with their counts (most frequent first)."""
        return {
            "errors": len(self.errors),
            "error_messages": self.errors[:50],
            "warnings": sum(self.warnings.values()),
            "warning_messages": dict(self.warnings.most_common(30)),
            "infos": dict(self.infos.most_common(10)),
            "napari_status_thread_errors": len(self.napari_status_errors),
            "napari_status_thread_messages": self.napari_status_errors[:10],
        }
