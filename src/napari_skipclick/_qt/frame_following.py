"""The time slider followed by the ``AnnotationController``: the frame on screen, its features
and the next ones' computed ahead (``prefetch``), and a frame that cannot be encoded told once."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..io.store import StoreError


class ControllerFrames:
    """The frame on screen and its features in the ``AnnotationController`` (a mixin)."""

    session: Any
    layers: Any
    loader: Any
    edits: Any
    prefetch: int
    propagating: bool
    frame_changed: Any  # Signal(int)
    current_object_changed: Any  # Signal()
    current_object: int | None
    source: Any  # FrameSource
    _frame: int
    _passing: bool
    mode_changed: Any  # Signal()
    #: (frame, error) of the encodes whose failure was shown (a notification once)
    _failures_told: set[tuple[int, str]]

    def _on_dims_changed(self, _event: Any = None) -> None:
        if self.session is None or self.layers is None:
            return
        t = self.layers.slider.frame_on_screen()
        if t == self._frame:  # or past the video's end, where no clicks show
            self._sync_prompts()
            self.frame_changed.emit(t)
            return
        self._frame = t
        self.layers.frame_shown(t)
        self.save()
        if self.source.photos and self.current_object is not None:
            # another photo's objects are not this one's: its first click makes a new object
            self.current_object = None
            self.current_object_changed.emit()
        self._sync_prompts()
        self.frame_changed.emit(t)
        self._request_features(t)
        self._frame_shown(t)

    def use_photos(self, photos: bool) -> None:
        """Annotate the session's folder as separate photos, or as a video's frames (Apply
        with *Separate photos* changed), as its store records: nothing of the annotations
        changes."""
        source = self.source
        if self.session is None or not source.folder or photos == source.photos:
            return
        if self.session.store is not None:
            try:
                self.session.store.note_photos(photos)
            except StoreError as exc:
                self._error(f"Cannot change how the folder is annotated: {exc}")
                return
        self.source = replace(source, photos=photos)
        self.layers.slider.label_frame_axis(self.source.word)
        self.mode_changed.emit()
        how = "separate photos" if photos else "a video's frames"
        self._say(f"Annotating {self.session.n_frames} {self.source.word}(s) as {how}")

    def _request_features(self, t: int) -> None:
        if self.session is None or self.propagating:
            return
        wanted = [t, *self.edits.waiting_frames(), *range(t + 1, t + 1 + self.prefetch)]
        # the slider moved: what it passed over is dropped from the queue
        self.loader.request([f for f in wanted if f not in self.loader.ready_frames], only=True)

    def _on_features_ready(self, t: int) -> None:
        self.edits.kick()
        if t == self._frame and self._passing:
            self._say_frame(t)

    def _on_features_failed(self, t: int, error: str) -> None:
        """A frame that cannot be encoded (an unreadable image): a notification once, the
        status line when prefetch or a click meets it again."""
        text = f"{self.source.named(t)}: computing features failed: {error}"
        if (t, error) in self._failures_told:
            self._say(text, frame=t)
        else:
            self._failures_told.add((t, error))
            self._error(text, frame=t)
        self.edits.discard(t=t)
        if t == self._frame:
            self._sync_prompts()
