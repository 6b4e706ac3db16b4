"""The contrast limits of a 16-bit or float image layer, followed by its session: the engine
sees the frames scaled as the user sees them, after a change too."""

from __future__ import annotations

from typing import Any

from qtpy.QtCore import QObject, QTimer

from .frames import LayerFrames

#: ms after the last change of the limits before they are used (a drag is many changes)
SETTLE_MS = 300


class ContrastFollowing(QObject):
    """Scales a session's ``LayerFrames`` with its layer's contrast limits as they change
    (``apply``: at once, as Apply does); frames encoded with the old ones are encoded again."""

    def __init__(self, controller: Any) -> None:
        super().__init__()
        self._controller = controller
        self._layer: Any = None
        self._frames: LayerFrames | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SETTLE_MS)
        self._timer.timeout.connect(self.apply)

    def follow(self, layer: Any, frames: Any) -> None:
        """Follow ``layer``'s limits for ``frames`` (nothing to follow for uint8 frames)."""
        self.stop()
        if isinstance(frames, LayerFrames) and frames.scaled:
            self._layer, self._frames = layer, frames
            layer.events.contrast_limits.connect(self._on_changed)

    def stop(self) -> None:
        """Follow no layer (the session closes)."""
        self._timer.stop()
        if self._layer is not None:
            self._layer.events.contrast_limits.disconnect(self._on_changed)
        self._layer = self._frames = None

    def apply(self) -> None:
        """Scale the frames with the layer's limits now; if they changed, the features of
        the frames encoded so far are computed again (their pixels' hash, the feature cache's
        key, changed)."""
        self._timer.stop()
        frames, controller = self._frames, self._controller
        if frames is None:
            return
        limits, session = self._layer.contrast_limits, controller.session
        if not session.rescale_frames(lambda: frames.set_contrast_limits(limits)):
            return
        controller.loader.set_session(session)  # features computing with the old limits go
        controller._request_features(controller._frame)
        controller.edits.kick()
        low, high = frames.contrast_limits
        controller._say(f"Contrast {low:g}–{high:g}: the engine sees the frames as shown")

    def _on_changed(self, _event: Any = None) -> None:
        self._timer.start()
