"""The status line of the ``AnnotationController``: its last message, and the frame on screen.

A message is *passing* news (waiting, decoding, an object updated) or stays until the next one;
a message may be about a frame. Once the slider moves to another frame, passing news and a
message about another frame give way to the frame's own line: its status and whether its
features are ready (*Frame 36 (needs review): features ready*); the status line named the
frame left (*Frame 35: object 2 updated*) while frame 36 was on screen.
"""

from __future__ import annotations

from typing import Any

from napari.utils.notifications import show_error, show_warning


class ControllerMessages:
    """The status line of the ``AnnotationController`` (a mixin)."""

    session: Any
    loader: Any
    message: Any  # Signal(str)
    propagating: bool
    source: Any  # FrameSource
    _frame: int
    last_message: str = ""
    #: the last message whole (the status line's tooltip): with every stop reason in full
    last_whole: str = ""
    #: whether the last message is passing news ("features ready" or a step replaces it)
    _passing: bool = True
    #: the frame the last message is about (None: none; a step to another replaces it)
    _said_about: int | None = None

    def _say(
        self, text: str, passing: bool = False, frame: int | None = None, whole: str = ""
    ) -> None:
        """Show ``text``; ``passing``: "features ready" may replace it (a review reason stays);
        ``frame``: the frame it is about (a step to another frame replaces it); ``whole``: the
        message in full where ``text`` shortens it (the status line's tooltip; "": ``text``)."""
        self.last_message, self._passing, self._said_about = text, passing, frame
        self.last_whole = whole or text
        self.message.emit(text)

    def _warn(self, text: str, frame: int | None = None) -> None:
        self._say(text, frame=frame)
        show_warning(text)

    def _error(self, text: str, frame: int | None = None) -> None:
        self._say(text, frame=frame)
        show_error(text)

    def _frame_shown(self, t: int) -> None:
        """The slider moved to frame ``t``: say so, unless the last message stays (it is
        about no frame or about ``t``, and not passing: a run's progress, an export's end)."""
        if self._passing or self._said_about not in (None, t):
            self._say_frame(t)

    def _say_frame(self, t: int) -> None:
        """Say frame ``t``'s status and whether its features are ready (passing news)."""
        if self.session is None:
            return
        line = f"{self.source.named(t)} ({self.session.status(t).value})"
        if not self.propagating:  # a run computes its own features: none are asked for
            ready = t in self.loader.ready_frames
            line += ": features ready" if ready else ": computing features …"
        self._say(line, passing=True, frame=t)
