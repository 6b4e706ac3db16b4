"""A frame's features are keyed by the hash of the very pixels encoded, whenever the frames'
contrast changes."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from napari_skipclick.engines.base import features_key
from napari_skipclick.engines.cache import frame_hash
from napari_skipclick.session import AnnotationSession
from support.engines import ColourEngine, moving_squares


class Lifted:
    """Frames made brighter by ``lift`` (as contrast limits scale a 16-bit layer);
    ``before_read`` runs once, as the next frame is read."""

    dtype = np.dtype(np.uint8)

    def __init__(self, frames: np.ndarray) -> None:
        self._frames, self.shape, self.lift = frames, frames.shape, 0
        self.before_read: Callable[[], object] | None = None

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, t: int) -> np.ndarray:
        hook, self.before_read = self.before_read, None
        if hook is not None:
            hook()
        return np.clip(self._frames[t].astype(int) + self.lift, 0, 255).astype(np.uint8)

    def set_lift(self, lift: int) -> bool:
        changed, self.lift = lift != self.lift, lift
        return changed


def test_a_contrast_change_between_reading_the_key_and_the_frame_keys_the_new_pixels():
    """The key was read before the change and the frame after: the features of the new
    pixels were stored under the hash of the old ones."""
    frames = Lifted(moving_squares(3))
    session = AnnotationSession(frames, ColourEngine())
    old_key, engine_key = session.frame_key(0), features_key(session.engine)
    frames.before_read = lambda: session.rescale_frames(lambda: frames.set_lift(40))
    features = session.features(0)
    image = session.image(0)
    assert frames.lift == 40 and np.array_equal(features.arrays["image"], image)
    assert session.frame_key(0) == frame_hash(image) != old_key
    assert session.cache.contains(frame_hash(image), engine_key)
    assert not session.cache.contains(old_key, engine_key)
    frames.before_read = lambda: session.rescale_frames(lambda: frames.set_lift(80))
    session.rescale_frames(lambda: frames.set_lift(60))  # hashed again: changed while hashing
    assert session.frame_key(0) == frame_hash(session.image(0))
    assert frames.lift == 80 and not session.has_features(0)
