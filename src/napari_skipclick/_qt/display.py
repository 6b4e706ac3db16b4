"""What napari's image layer shows while the widget annotates a lazy video: a frame is never
decoded on the GUI thread.

napari reads the frame on screen inside its slicing, on the GUI thread. A video frame that is
not decoded yet takes 40-160 ms to decode (seek to the keyframe, decode forward), more while a
worker encodes. ``VideoDisplay`` stands in for the ``VideoArray`` as the layer's data: a frame
already decoded is shown at once; any other keeps the last frame shown on screen while a
reader thread decodes it, then the layer is refreshed (napari's asynchronous slicing does the
same, but for every layer of every viewer). After the frame asked for, the reader decodes the
next ``READ_AHEAD`` frames (cheap: decoding forward), so playing or stepping forward finds them
decoded; a slider drag asks for many frames in a row and the reader takes the newest.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
from qtpy.QtCore import QObject, Signal

from ..io.video import VideoArray

#: frames after the one asked for that the reader decodes when it has nothing else to do
READ_AHEAD = 4


class _Relay(QObject):
    """Carries "frame decoded" from the reader thread to the GUI thread."""

    decoded = Signal(int)


class VideoDisplay:
    """Read-only ``(T, H, W, 3) uint8`` array-like over a ``VideoArray`` for napari to show.

    Integer frame reads return the frame if it is decoded, else the frame shown last (the
    frame itself follows through ``on_decoded``); other reads go to the video. Everything but
    the GUI thread's display should read ``video`` itself. A frame the reader could not decode
    is read from the video at the next ask, so that napari reports the video's error.

    Args:
        video: the lazy video.
        on_decoded: called on the GUI thread when the frame last asked for, which was shown
            stale, is decoded (refresh the layer).
        read_ahead: frames after the one asked for to decode when idle.
    """

    dtype = np.dtype(np.uint8)
    ndim = 4

    def __init__(
        self,
        video: VideoArray,
        on_decoded: Callable[[int], None],
        read_ahead: int = READ_AHEAD,
    ) -> None:
        self.video = video
        self.shape = tuple(video.shape)
        self.read_ahead = int(read_ahead)
        self._relay = _Relay()
        self._relay.decoded.connect(self._on_decoded)
        self._on_decoded_callback = on_decoded
        self._wake = threading.Condition()
        self._wanted: int | None = None  # a frame shown stale, waiting for the reader
        self._stopped = False
        self._thread: threading.Thread | None = None
        self._shown: np.ndarray | None = None
        self._on_screen: int | None = None  # the frame napari asked for last
        self._failed: set[int] = set()  # frames the reader could not decode

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    def __deepcopy__(self, memo: dict) -> VideoArray:
        """A copy is the video itself opened again (napari's *Duplicate Layer*), with no
        reader thread or display of its own."""
        from copy import deepcopy

        return deepcopy(self.video, memo)

    def __len__(self) -> int:
        return self.shape[0]

    def __repr__(self) -> str:
        return f"VideoDisplay({self.video!r})"

    def __getitem__(self, key: Any) -> np.ndarray:
        head, rest = (key[0], key[1:]) if isinstance(key, tuple) and key else (key, ())
        if isinstance(head, (int, np.integer)):
            n_frames = self.shape[0]
            if not -n_frames <= int(head) < n_frames:
                raise IndexError(f"frame {int(head)} is out of range for {n_frames} frames")
            frame = self._frame_to_show(int(head) % n_frames, key)
            return frame[rest] if rest else frame
        if isinstance(head, slice):  # napari's thick slice of one frame: ``t:t + 1``
            frames = range(*head.indices(self.shape[0]))
            if len(frames) == 1:
                frame = self._frame_to_show(frames[0], key)[np.newaxis]
                return frame[(slice(None), *rest)] if rest else frame
        return self.video[key]

    def _frame_to_show(self, t: int, key: Any) -> np.ndarray:
        """Frame ``t`` if decoded, else the frame shown last (and ``t`` is asked for)."""
        self._on_screen = t
        if t in self._failed:
            self._failed.discard(t)
            self.video[key]  # raises the video's error where napari reports it
        frame = self.video.peek(t)
        if frame is None:
            self._ask(t)
            return self._shown if self._shown is not None else self._blank()
        self._shown = frame
        return frame

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        return self.video.__array__(dtype, copy)

    def close(self) -> None:
        """Stop the reader and close the video (the layer was removed)."""
        self.stop()
        self.video.close()

    def stop(self) -> None:
        """End the reader thread (the video stays open)."""
        with self._wake:
            self._stopped = True
            self._wanted = None
            self._wake.notify()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5.0)

    def _blank(self) -> np.ndarray:
        return np.zeros(self.shape[1:], self.dtype)

    def _ask(self, t: int) -> None:
        """Have the reader decode frame ``t`` next (a newer ask replaces one not started)."""
        with self._wake:
            if self._stopped:
                return
            self._wanted = t
            self._wake.notify()
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._read, name="SkipClick video display", daemon=True
                )
                self._thread.start()

    def _next(self, ahead: list[int]) -> tuple[int | None, bool]:
        """The next frame to decode and whether it was asked for (else read ahead); waits."""
        with self._wake:
            while not self._stopped:
                if self._wanted is not None:
                    t, self._wanted = self._wanted, None
                    return t, True
                if ahead:
                    return ahead.pop(0), False
                self._wake.wait()
            return None, False

    def _read(self) -> None:
        """Reader thread: frames asked for first, newest ask first; then the frames after."""
        ahead: list[int] = []
        while True:
            t, asked = self._next(ahead)
            if t is None:
                return
            try:
                if not asked and self.video.is_decoded(t):
                    continue
                self.video.frame(t)
            except Exception:  # closed, or unreadable: read again where napari reports it
                if asked:
                    self._failed.add(t)
                    self._relay.decoded.emit(t)
                continue
            if asked:
                self._relay.decoded.emit(t)
                ahead = [i for i in range(t + 1, t + 1 + self.read_ahead) if i < self.shape[0]]

    def _on_decoded(self, t: int) -> None:
        """GUI thread: a frame that was shown stale is decoded (or failed)."""
        if t == self._on_screen and not self._stopped:
            self._on_decoded_callback(t)


def shown_data(data: Any) -> Any:
    """The data an image layer really shows: the video behind a ``VideoDisplay``, else
    ``data`` itself."""
    return data.video if isinstance(data, VideoDisplay) else data
