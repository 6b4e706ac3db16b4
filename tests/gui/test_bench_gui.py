"""What the GUI benchmarks watch: a blocked event loop shows as a stall, errors are counted."""

from __future__ import annotations

import logging
import time

from napari.utils.notifications import show_error, show_warning

from napari_skipclick.bench.gui_watch import ErrorLog, Heartbeat


def _run_loop(qtbot, seconds: float) -> None:
    deadline = time.perf_counter() + seconds
    qtbot.waitUntil(lambda: time.perf_counter() >= deadline, timeout=int(seconds * 1000) + 5000)


def test_heartbeat_sees_a_blocked_event_loop_in_its_phase_and_where_it_was(qtbot) -> None:
    beat = Heartbeat()
    beat.start("idle")
    _run_loop(qtbot, 0.2)
    beat.phase = "blocked"
    time.sleep(0.25)  # the GUI thread does not return to the event loop
    _run_loop(qtbot, 0.1)
    with beat.paused():
        time.sleep(0.3)  # the benchmark's own work is no gap
    _run_loop(qtbot, 0.1)
    beat.stop()
    assert beat.summary("idle")["n"] > 3
    assert beat.summary("blocked")["max"] >= 250
    assert beat.summary()["max"] < 300 + 100
    culprit = beat.culprits()[0]
    assert culprit["phase"] == "blocked"
    assert culprit["longest_ms"] >= 250
    assert "test_bench_gui.py" in culprit["where"]


def test_error_log_counts_error_notifications_and_logs_and_keeps_warnings_apart(qtbot) -> None:
    with ErrorLog() as errors:
        show_warning("a warning")
        show_error("a failure")
        logging.getLogger("vispy").warning("QPainter: a Qt message")
        logging.getLogger("napari").error("a logged error")
    show_error("after uninstall")
    report = errors.report()
    assert report["errors"] == 2
    assert report["error_messages"] == ["notification: a failure", "log napari: a logged error"]
    assert report["warning_messages"] == {"a warning": 1, "log vispy: QPainter: a Qt message": 1}


def test_error_log_keeps_errors_of_napari_status_thread_apart(qtbot, tmp_path, monkeypatch) -> None:
    from napari.utils.notifications import Notification, notification_manager

    module = "def calculate_status():\n    raise ValueError('race')\n"
    (tmp_path / "status_checker.py").write_text(module)
    monkeypatch.syspath_prepend(str(tmp_path))
    import status_checker

    try:
        status_checker.calculate_status()
    except ValueError as exc:
        caught = exc
    with ErrorLog() as errors:
        notification_manager.dispatch(Notification.from_exception(caught))
    report = errors.report()
    assert report["errors"] == 0
    assert report["napari_status_thread_errors"] == 1
