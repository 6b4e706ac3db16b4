"""``LabelsAhead``: the saved labels of the frames next to the one on screen, read into memory
by a background thread, so that a step of the time slider finds its frame there (a 4K frame
read from the store takes tens of milliseconds, more on a slow disk)."""

from __future__ import annotations

import threading

from .labels import LabelVolume

#: frames in the direction of travel whose labels are read ahead
READ_AHEAD = 4


class LabelsAhead:
    """Reads the frames after the one on screen (before it, when the last step went back)
    from ``volume``'s store in a thread of its own; a newer frame on screen replaces the
    frames still to read. The volume keeps what is read (``LabelVolume.read``: a write of a
    frame during its read wins), so a read the user has stepped past shows nothing."""

    def __init__(self, volume: LabelVolume, frames: int = READ_AHEAD) -> None:
        self.volume = volume
        self.frames = int(frames)
        self._wake = threading.Condition()
        self._queue: list[int] = []
        self._last: int | None = None
        self._stopped = False
        self._thread: threading.Thread | None = None

    def shown(self, t: int) -> None:
        """Frame ``t`` is on screen: read the next ``frames`` in the direction of travel."""
        step = -1 if self._last is not None and t < self._last else 1
        self._last = t
        ahead = (t + step * i for i in range(1, self.frames + 1))
        wanted = [f for f in ahead if 0 <= f < len(self.volume) and not self.volume.held(f)]
        with self._wake:
            if self._stopped:
                return
            self._queue = wanted
            self._wake.notify()
            if wanted and self._thread is None:
                self._thread = threading.Thread(
                    target=self._read, name="SkipClick labels ahead", daemon=True
                )
                self._thread.start()

    def stop(self) -> None:
        """End the thread (the frame it reads is read to the end)."""
        with self._wake:
            self._stopped = True
            self._queue = []
            self._wake.notify()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5.0)

    def _next(self) -> int | None:
        with self._wake:
            while not self._queue and not self._stopped:
                self._wake.wait()
            return None if self._stopped else self._queue.pop(0)

    def _read(self) -> None:
        while (t := self._next()) is not None:
            try:
                self.volume.read(t)
            except Exception:  # a store closed or failing: the read on screen says why
                continue
