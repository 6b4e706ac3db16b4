"""The session's labels layer keeps the session's labels: its data is not replaced while the
session runs, and labels no store holds are not taken over by the next session: they stay in
a layer of their own and are copied to a recovery store (``io.recovered``) in a thread of
their own, which a closing window does not wait for and the ending process does."""

from __future__ import annotations

import contextlib
import copy
import functools
import sys
import threading
from pathlib import Path
from typing import Any, ClassVar

from napari.utils.notifications import show_info, show_warning
from qtpy.QtCore import QTimer

from .._layer_data import SAVED_IN, unwrapped
from .._writer import write_labels
from ..io import recovered
from ..model.weights import CacheFolderError
from .activity import ActivityProgress

#: milliseconds between two looks of the GUI thread at a recovery write's progress
FOLLOW_MS = 100
#: whether a widget of this process said already that recovery stores exist
_told = False


def keep_session_data(layer: Any, data: Any, _event: Any = None) -> None:
    """Connected to ``layer.events.data``: put the session's ``data`` back when it was replaced
    (``layer.data = ...``, *Convert datatype*). The layer went on showing other labels, its
    paint reached no store, and the widget said all was saved."""
    if unwrapped(layer.data) is data:
        return
    layer.data = data
    show_warning(
        f"{layer.name} shows the session's labels, which cannot be replaced while it runs: "
        "Layer > Duplicate Layer makes a copy to change"
    )


def tell_recovered() -> None:
    """When the first widget of the process starts and recovery stores exist, say how many,
    where, and the command that lists and removes them (nothing removes them otherwise)."""
    global _told
    if _told:
        return
    _told = True
    try:
        folder = recovered.recovery_folder()
        stores = recovered.recovered_stores(folder)
    except (OSError, CacheFolderError):  # a cache folder that cannot be read: nothing to tell
        return
    if stores:
        show_info(
            f"{len(stores)} recovery store(s) of labels that sessions with no store left are in "
            f"{folder}: `skipclick recovered` lists them (and removes those you no longer "
            "need); drag one onto the window to open it"
        )


def set_aside_unsaved(viewer: Any, layer: Any, data: Any) -> None:
    """When a session without a store ends with labels, rename its ``layer`` so that they stay
    in a layer of their own (the next session took the layer over, its labels gone with no
    question asked), and write them to a recovery store (``RecoveryWrite``): the session may
    end because the window closes, which takes the layer with it."""
    volume = getattr(data, "volume", None)
    if SAVED_IN in layer.metadata or volume is None or not volume.dirty_frames():
        return
    if layer not in viewer.layers:
        return
    layer.name = f"{layer.name} (not saved)"
    try:
        path = recovered.new_recovery_path(recovered.recovery_folder())
    except Exception as exc:  # a full disk, a cache folder that is a file
        show_warning(f"The session's labels could not be copied to a recovery store: {exc}")
        copy_ = "no copy could be saved: closing the window loses them"
    else:
        metadata = copy.deepcopy(dict(layer.metadata))
        RecoveryWrite(path, data, metadata, volume.dirty_frames(), layer.name).start()
        copy_ = f"a copy, which closing the window keeps, is being written to the store {path}"
    show_info(
        f"The session's labels are in no store: they stay in the layer {layer.name!r} while "
        f"the window is open (File > Save Selected Layers saves them); {copy_}"
    )


class RecoveryWrite:
    """The write of a session's changed ``frames`` (napari's writer of this plugin) into the
    new recovery store ``path``, in a thread of its own that the ending process waits for
    (``_wait_before_exit``), so a closing window keeps the labels. The GUI thread follows its
    progress (a bar in the activity dock) and says when it failed; the thread touches no Qt."""

    #: the writes under way (``wait_all`` waits for them)
    running: ClassVar[set[RecoveryWrite]] = set()

    def __init__(
        self, path: Path, data: Any, metadata: dict, frames: list[int], layer_name: str
    ) -> None:
        self.path = path
        self.layer_name = layer_name
        self.written = 0
        self.error: Exception | None = None
        self.thread = threading.Thread(
            target=self._run,
            args=(data, metadata, frames),
            name=f"SkipClick recovery {path.name}",
            daemon=False,
        )
        self._bar: ActivityProgress | None = None
        self._timer: QTimer | None = None
        self._frames = len(frames)

    def start(self) -> None:
        """Start the thread, and the bar and its follower (on the GUI thread)."""
        self._bar = ActivityProgress(f"SkipClick: copying labels to {self.path.name}", self._frames)
        self._timer = QTimer()
        self._timer.setInterval(FOLLOW_MS)
        self._timer.timeout.connect(self._follow)
        RecoveryWrite.running.add(self)
        _wait_before_exit()
        self.thread.start()
        self._timer.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the labels are written (True) or ``timeout`` s passed (False)."""
        self.thread.join(timeout)
        return not self.thread.is_alive()

    @classmethod
    def wait_all(cls, timeout: float | None = None) -> bool:
        """Block until every write under way has ended (False: one still runs)."""
        return all([write.wait(timeout) for write in list(cls.running)])

    def _run(self, data: Any, metadata: dict, frames: list[int]) -> None:
        try:
            recovered.begin_copy(self.path)  # a copy cut short (kill -9) is listed as partial
            write_labels(
                str(self.path), data, {"metadata": metadata}, only=frames, on_frame=self._count
            )
        except Exception as exc:  # told on the GUI thread, and here if that is gone
            self.error = exc
            print(
                f"skipclick: the labels could not be copied to {self.path}: {exc}", file=sys.stderr
            )
        with contextlib.suppress(OSError):
            recovered.end_copy(self.path, None if self.error is None else str(self.error))

    def _count(self, _t: int) -> None:
        self.written += 1

    def _follow(self) -> None:
        """The GUI thread's look at the write: move the bar; once it has ended, close the bar
        and say when it failed."""
        assert self._bar is not None and self._timer is not None
        self._bar.set(self.written)
        if self.thread.is_alive():
            return
        self._timer.stop()
        self._bar.close()
        RecoveryWrite.running.discard(self)
        if self.error is not None:
            show_warning(
                f"The session's labels could not be copied to a recovery store: {self.error}; "
                f"they stay in the layer {self.layer_name!r} while the window is open"
            )


@functools.cache
def _wait_before_exit() -> None:
    """Have the process, as it ends, wait for the recovery writes before Python shuts its
    thread pools, which the store writes through (``asyncio.to_thread``): joined with the other
    threads after that, a write fails and the labels are lost. Python calls its threads' exit
    functions newest first, so this one, registered after the pools' own, runs before it."""
    import concurrent.futures.thread  # noqa: F401  (registers the pools' shutdown first)

    with contextlib.suppress(RuntimeError):  # Python is ending already: joined as the others
        threading._register_atexit(_wait_at_exit)  # type: ignore[attr-defined]


def _wait_at_exit() -> None:
    if any(write.thread.is_alive() for write in list(RecoveryWrite.running)):
        print(
            "skipclick: waiting for the session's labels to reach the recovery store",
            file=sys.stderr,
        )
        RecoveryWrite.wait_all()
