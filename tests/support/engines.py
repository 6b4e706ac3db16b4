"""Deterministic test doubles for session tests: a colour engine and synthetic videos."""

from __future__ import annotations

import threading
import time

import numpy as np
from scipy import ndimage

from napari_skipclick.engines.base import (
    Features,
    check_clicks,
    check_image,
    check_prev_mask,
)

BACKGROUND = (40, 40, 40)
RED = (220, 30, 30)
BLUE = (30, 30, 220)


class UpperPartEngine:
    """Keeps the moved mask it is given above row ``blind_from`` and never sees anything below
    it: an engine blind to a leg the colour of the ground, or to a kite's line."""

    def __init__(self, blind_from: int) -> None:
        self.blind_from = blind_from
        self.name = self.key = f"upper-part-test-{blind_from}"

    def encode(self, image):
        return Features(image.shape[:2], {})

    def decode(self, features, clicks, prev_mask=None):
        rows = np.arange(features.image_shape[0])[:, None]
        keep = (np.asarray(prev_mask) > 0.5) & (rows < self.blind_from)
        return np.where(keep, 0.95, 0.05).astype(np.float32)


class ColourEngine:
    """Segments the connected region of similar colour under each positive click.

    Negative clicks remove the region under them. Inside the mask it returns ``confidence``,
    outside ``0.05``. It records every encode and the last decode's inputs.
    """

    name = "colour-test"

    def __init__(self, tolerance: int = 30, confidence: float = 0.9, tag: str = "a") -> None:
        self.tolerance = tolerance
        self.confidence = confidence
        self.tag = tag
        self.encoded_shapes: list[tuple[int, int]] = []
        self.decodes: list[tuple[list, np.ndarray | None]] = []
        self._lock = threading.Lock()

    @property
    def key(self) -> str:
        return f"colour-test:{self.tolerance}:{self.tag}"

    def encode(self, image: np.ndarray) -> Features:
        image = check_image(image)
        with self._lock:
            self.encoded_shapes.append(image.shape[:2])
        return Features(image.shape[:2], {"image": image.astype(np.int16)})

    def decode(self, features, clicks, prev_mask=None) -> np.ndarray:
        image = features.arrays["image"]
        clicks = check_clicks(clicks, features.image_shape)
        prev = check_prev_mask(prev_mask, features.image_shape)
        self.decodes.append((clicks, None if prev is None else prev.copy()))
        mask = np.zeros(features.image_shape, bool)
        for click in sorted(clicks, key=lambda c: not c.positive):
            region = self._region(image, round(click.y), round(click.x))
            mask = mask | region if click.positive else mask & ~region
        return np.where(mask, self.confidence, 0.05).astype(np.float32)

    def _region(self, image: np.ndarray, y: int, x: int) -> np.ndarray:
        similar = (np.abs(image - image[y, x]) <= self.tolerance).all(axis=2)
        components, _ = ndimage.label(similar)
        return components == components[y, x]


def moving_squares(n_frames: int = 12, height: int = 64, width: int = 96) -> np.ndarray:
    """A (T, H, W, 3) video: a red 12x12 square moving 2 px right per frame, a static blue bar."""
    frames = np.empty((n_frames, height, width, 3), np.uint8)
    frames[:] = BACKGROUND
    for t in range(n_frames):
        frames[t, 20:32, 10 + 2 * t : 22 + 2 * t] = RED
        frames[t, 40:52, 60:90] = BLUE
    return frames


def red_box(t: int) -> tuple[slice, slice]:
    """Where the red square of ``moving_squares`` is on frame ``t``."""
    return slice(20, 32), slice(10 + 2 * t, 22 + 2 * t)


class SlowCarryEngine:
    """Decodes slowly (``delay`` seconds) and never loses an object: it returns the previous mask
    unchanged (confidence 0.9), or disks of radius 10 around the positive clicks when there is
    none. A propagation with it runs to the last frame unless it is cancelled."""

    name = "slow-carry-test"
    key = "slow-carry-test"

    def __init__(self, delay: float = 0.05) -> None:
        self.delay = delay

    def encode(self, image: np.ndarray) -> Features:
        return Features(check_image(image).shape[:2])

    def decode(self, features, clicks, prev_mask=None) -> np.ndarray:
        time.sleep(self.delay)
        shape = features.image_shape
        clicks = check_clicks(clicks, shape)
        prev = check_prev_mask(prev_mask, shape)
        if prev is not None and (prev > 0.5).any():
            return np.where(prev > 0.5, 0.9, 0.05).astype(np.float32)
        yy, xx = np.mgrid[: shape[0], : shape[1]]
        mask = np.zeros(shape, bool)
        for click in clicks:
            if click.positive:
                mask |= (yy - click.y) ** 2 + (xx - click.x) ** 2 <= 100
        return np.where(mask, 0.9, 0.05).astype(np.float32)


class HeldEngine(ColourEngine):
    """A ``ColourEngine`` whose encodes wait until ``release`` is set (``started`` is set as
    one begins): a frame's features still being computed, as on a slow CPU."""

    def __init__(self) -> None:
        super().__init__()
        self.started, self.release = threading.Event(), threading.Event()

    def encode(self, image: np.ndarray) -> Features:
        self.started.set()
        if not self.release.wait(30):
            raise TimeoutError("the test never released the encode")
        return super().encode(image)


class FloodEngine:
    """Answers every click with the whole frame: an engine whose mask of a ski on snow it cannot
    tell apart floods the snow, so propagation never takes it."""

    name = key = "flood-test"

    def encode(self, image):
        return Features(image.shape[:2], {})

    def decode(self, features, clicks, prev_mask=None):
        return np.full(features.image_shape, 0.95, np.float32)


class LooseEngine:
    """Answers with the prior it is given, grown by ``slack`` pixels, with probability
    ``confidence``: an engine whose answer for a line a few pixels wide on plain snow is a
    pixel or two loose."""

    def __init__(self, slack: int, confidence: float = 0.9) -> None:
        self.slack, self.confidence = slack, confidence
        self.name = self.key = f"loose-test-{slack}-{confidence}"

    def encode(self, image):
        return Features(image.shape[:2], {})

    def decode(self, features, clicks, prev_mask=None):
        grown = ndimage.binary_dilation(np.asarray(prev_mask) > 0.25, iterations=self.slack)
        return np.where(grown, self.confidence, 0.05).astype(np.float32)
