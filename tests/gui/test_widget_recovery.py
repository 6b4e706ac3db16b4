"""Labels of a session with no store, when the napari window closes."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from napari_skipclick._qt import labels_keeping
from napari_skipclick.engines import create_engine
from napari_skipclick.io import recovered
from napari_skipclick.io.store import AnnotationStore
from support.widget import click, labels_of, sample_widget, wait_idle

pytestmark = [pytest.mark.gui]


def test_closing_the_window_keeps_no_store_labels_in_a_recovery_store(
    make_napari_viewer, qtbot, feature_cache, tmp_path, monkeypatch
):
    """The window and the layer went, while the message said the labels stayed in it (the
    recovery folder is the test's: ``recovery_in_tmp``)."""
    told: list[str] = []
    monkeypatch.setattr(labels_keeping, "show_info", told.append)
    viewer = make_napari_viewer()
    image, widget = sample_widget(viewer)
    controller = widget.controller
    controller.start_session(image, create_engine("embedded"), cache=feature_cache)
    wait_idle(qtbot, controller)
    click(qtbot, controller, 144, 335)
    mask = labels_of(controller, 0).copy()
    assert mask.any()
    viewer.close()
    assert controller.session is None
    assert labels_keeping.RecoveryWrite.wait_all(timeout=60)
    (path,) = (tmp_path / "recovered").glob("*.zarr")
    assert len(told) == 1 and str(path) in told[0] and "closing the window" in told[0]
    assert recovered.describe(path).partial == ""  # the copy is whole
    with AnnotationStore.open(path) as store:
        assert np.array_equal(np.asarray(store.read_labels(0)), mask)


def test_the_recovery_copy_is_written_in_a_thread_the_process_waits_for(
    make_napari_viewer, qtbot, feature_cache, tmp_path, monkeypatch
):
    """The copy was written on the GUI thread as the session ended: a long clip's labels froze
    the window. It runs in a thread that is no daemon (the process waits for it), writes the
    changed frames alone, and keeps the objects and the video (it kept neither: the layer's
    metadata went to the writer where it looks for napari's layer attributes)."""
    calls: list[tuple[threading.Thread, list[int]]] = []
    write = labels_keeping.write_labels

    def recording(path, data, meta, *, only, on_frame):
        calls.append((threading.current_thread(), list(only)))
        return write(path, data, meta, only=only, on_frame=on_frame)

    monkeypatch.setattr(labels_keeping, "write_labels", recording)
    viewer = make_napari_viewer()
    image, widget = sample_widget(viewer)
    controller = widget.controller
    controller.start_session(image, create_engine("embedded"), cache=feature_cache)
    wait_idle(qtbot, controller)
    controller.add_object(name="skier")
    click(qtbot, controller, 144, 335)
    mask = labels_of(controller, 0).copy()
    controller.close_session()
    assert labels_keeping.RecoveryWrite.wait_all(timeout=60)
    ((thread, frames),) = calls
    assert thread is not threading.main_thread() and not thread.daemon
    assert frames == [0]
    (path,) = (tmp_path / "recovered").glob("*.zarr")
    with AnnotationStore.open(path) as store:
        assert np.array_equal(np.asarray(store.read_labels(0)), mask)
        assert [o.name for o in store.objects()] == ["skier"]
        assert store.video.n_frames == image.data.shape[0] and not store.video.labels_only


def test_a_starting_widget_says_once_that_recovery_stores_exist(
    make_napari_viewer, tmp_path, monkeypatch
):
    """Recovery stores were written and never offered back: the user learnt of none."""
    from napari_skipclick._qt.widget import SkipClickWidget

    told: list[str] = []
    monkeypatch.setattr(labels_keeping, "show_info", told.append)
    monkeypatch.setattr(labels_keeping, "_told", False)
    viewer = make_napari_viewer()
    SkipClickWidget(viewer)
    assert told == []  # none yet: nothing said
    monkeypatch.setattr(labels_keeping, "_told", False)
    folder = tmp_path / "recovered"
    for _ in range(2):
        recovered.new_recovery_path(folder)
    SkipClickWidget(viewer)
    SkipClickWidget(viewer)
    assert len(told) == 1
    assert "2 recovery store(s)" in told[0] and str(folder) in told[0]
    assert "skipclick recovered" in told[0]


EXITING = """
import sys, time
from pathlib import Path
import numpy as np
from qtpy.QtWidgets import QApplication
from napari_skipclick._qt import labels_keeping
from napari_skipclick.io import recovered

app = QApplication([])
write = labels_keeping.write_labels
def slow(*args, **kwargs):  # a long clip: the process is ending before the write starts
    time.sleep(1)
    return write(*args, **kwargs)
labels_keeping.write_labels = slow
labels = np.zeros((3, 8, 8), np.uint16)
labels[1, 2:4, 2:6] = 7
path = recovered.new_recovery_path(Path(sys.argv[1]))
labels_keeping.RecoveryWrite(path, labels, {}, [1], "layer").start()
print(path)
"""


def test_a_process_that_ends_meanwhile_waits_for_the_copy(tmp_path):
    """The copy's thread was waited for only after Python had shut its thread pools, which the
    store writes through: the copy failed, the labels were lost with the window."""
    done = subprocess.run(
        [sys.executable, "-c", EXITING, str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    path = Path(done.stdout.split()[-1])
    with AnnotationStore.open(path) as store:
        assert store.annotated_frames() == [1]
        assert (np.asarray(store.read_labels(1)) == 7).sum() == 8


KILLED = """
import sys, time
from pathlib import Path
import numpy as np
from qtpy.QtWidgets import QApplication
from napari_skipclick._qt import labels_keeping
from napari_skipclick.io import recovered

app = QApplication([])
def counting(self, _t):  # frames 0 and 1 are written when frame 2's turn comes
    self.written += 1
    if self.written == 3:
        print("cut", flush=True)
        time.sleep(120)
labels_keeping.RecoveryWrite._count = counting
labels = np.zeros((5, 8, 8), np.uint16)
labels[:, 2:4, 2:6] = 7
path = recovered.new_recovery_path(Path(sys.argv[1]))
print(path, flush=True)
labels_keeping.RecoveryWrite(path, labels, {}, [0, 1, 2, 3, 4], "layer").start()
"""


def test_a_copy_cut_short_is_listed_as_partial(tmp_path, capsys):
    """A copy killed outright (kill -9) was listed as a whole copy of the session's labels."""
    from napari_skipclick.cli import main

    child = subprocess.Popen(
        [sys.executable, "-c", KILLED, str(tmp_path / "recovered")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        path = Path(child.stdout.readline().strip())
        assert child.stdout.readline().strip() == "cut"
        assert "still copying" in recovered.describe(path).partial
    finally:
        child.kill()
        child.wait()
    r = recovered.describe(path)
    assert r.frames == 2 and "cut short" in r.partial and str(child.pid) in r.partial
    assert main(["recovered"]) == 0
    assert "partial: its copy was cut short" in capsys.readouterr().out
