"""A session's frames, the content hash that keys each frame's features in the cache, and their
features.

The frames' pixels change when their contrast limits do (a 16-bit or float layer scaled as it
is shown). ``rescale_frames`` makes that change under the session's lock and counts it; a
frame and its hash are read together (``keyed_image``) and read again when a change came
between the two, so features are never stored under the hash of other pixels.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..checks import check_image
from ..engines.base import Engine, Features, features_key
from ..engines.cache import FeatureCache, frame_hash
from .labels import LabelVolume


class SessionFrames:
    """Frames, their hashes and features (a mixin: it uses the session's state)."""

    frames: Any
    engine: Engine
    cache: FeatureCache
    labels: LabelVolume
    _lock: Any
    #: frame -> content hash of its pixels as they are now
    _hashes: dict[int, str]
    #: how many times the frames' pixels changed (``rescale_frames``)
    _rescales: int = 0

    def image(self, t: int) -> np.ndarray:
        """Frame ``t`` as a uint8 (H, W, 3) array."""
        return check_image(np.asarray(self.frames[self.labels.frame_index(t)]))

    def frame_key(self, t: int) -> str:
        """Content hash of frame ``t`` (computed once per frame and contrast)."""
        with self._lock:
            key = self._hashes.get(self.labels.frame_index(t))
        return self.keyed_image(t)[0] if key is None else key

    def keyed_image(self, t: int) -> tuple[str, np.ndarray]:
        """Frame ``t`` and the content hash of those very pixels."""
        t = self.labels.frame_index(t)
        while True:
            with self._lock:
                rescales, key = self._rescales, self._hashes.get(t)
            image = self.image(t)
            key = frame_hash(image) if key is None else key
            with self._lock:
                if rescales == self._rescales:  # no change came between the two reads
                    self._hashes[t] = key
                    return key, image

    def rescale_frames(self, rescale: Callable[[], bool]) -> bool:
        """Run ``rescale``, which changes the frames' pixels (their contrast limits) and says
        whether they changed, under the lock; if they did, their hashes, which key their
        features in the cache, are computed again. Returns what ``rescale`` returned."""
        with self._lock:
            changed = rescale()
            if changed:
                self._rescales += 1
                self._hashes.clear()
        return changed

    def features(self, t: int, engine: Engine | None = None) -> Features:
        """Features of frame ``t`` (encodes on a cache miss: call from a worker thread)."""
        key, image = self.keyed_image(t)
        return self.cache.get_or_compute(key, engine or self.engine, image)

    def has_features(self, t: int) -> bool:
        return self.cache.contains(self.frame_key(t), features_key(self.engine))
