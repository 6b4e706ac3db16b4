"""Synthetic thin-object scenes (a dark pole on snow, a bright line on dark texture, a board),
the real giant-slalom frame 0, and decoding clicks one after the other, as an annotator makes
them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

from napari_skipclick.engines.embedded import EmbeddedEngine
from napari_skipclick.types import Click


def decode_clicks(engine: EmbeddedEngine, image: np.ndarray, clicks: list[Click]) -> np.ndarray:
    """The mask after decoding click after click, each time with the previous answer as the
    prior."""
    features = engine.encode(image)
    prob = None
    for k in range(1, len(clicks) + 1):
        prob = engine.decode(features, clicks[:k], prev_mask=prob)
    return prob > 0.5


#: giant-slalom frame 0 and its annotated objects (tests/data)
SLALOM = Path(__file__).parents[1] / "data" / "giant_slalom"


def slalom_frame(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Giant-slalom frame 0 and its annotated object ``name`` (skis, poles, skier)."""
    frame = np.asarray(Image.open(SLALOM / "00000.jpg").convert("RGB"))
    index = {"skis": 1, "poles": 2, "skier": 3}[name]
    return frame, np.asarray(Image.open(SLALOM / f"00000_obj{index}_{name}.png")) == 1


def _texture(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> np.ndarray:
    """Smooth random texture in about [-1, 1]."""
    field = ndimage.gaussian_filter(rng.normal(0, 1, shape), sigma)
    return field / max(float(np.abs(field).max()), 1e-6)


def _line(shape: tuple[int, int], start, end, width: float) -> np.ndarray:
    """Pixels within ``width / 2`` of the segment from ``start`` to ``end`` (y, x)."""
    yy, xx = np.mgrid[: shape[0], : shape[1]].astype(float)
    (ay, ax), (by, bx) = start, end
    dy, dx = by - ay, bx - ax
    t = np.clip(((yy - ay) * dy + (xx - ax) * dx) / (dy * dy + dx * dx), 0.0, 1.0)
    return np.hypot(yy - ay - t * dy, xx - ax - t * dx) <= width / 2


def _finish(image: np.ndarray) -> np.ndarray:
    return np.clip(image, 0, 255).astype(np.uint8)


def pole_on_snow(seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[Click]]:
    """A 3-pixel dark pole across textured snow; clicks at its two ends."""
    rng = np.random.default_rng(seed)
    shape = (240, 320)
    snow = 215 + 30 * _texture(rng, shape, 3) + rng.normal(0, 6, shape)
    image = np.repeat(snow[..., None], 3, axis=2) + np.array([-4.0, 0.0, 8.0])
    start, end = (40.0, 60.0), (200.0, 250.0)
    pole = _line(shape, start, end, 3.0)
    image[pole] = np.array([120.0, 120.0, 130.0]) + rng.normal(0, 6, (int(pole.sum()), 3))
    clicks = [Click(*_inside(start, end, 0.03), True), Click(*_inside(start, end, 0.97), True)]
    return _finish(image), pole, clicks


def long_pole_on_snow(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A 2-pixel dark pole across textured snow from (20, 20) to (220, 300); no clicks."""
    rng = np.random.default_rng(seed)
    shape = (240, 320)
    snow = 215 + 30 * _texture(rng, shape, 3) + rng.normal(0, 6, shape)
    image = np.repeat(snow[..., None], 3, axis=2) + np.array([-4.0, 0.0, 8.0])
    pole = _line(shape, (20.0, 20.0), (220.0, 300.0), 2.0)
    image[pole] = np.array([120.0, 120.0, 130.0]) + rng.normal(0, 6, (int(pole.sum()), 3))
    return _finish(image), pole


def two_poles_on_snow(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two 2-pixel dark poles across textured snow, as a skier holds them: one from (30, 40)
    to (200, 120), the other from (40, 200) to (210, 290); no clicks."""
    rng = np.random.default_rng(seed)
    shape = (240, 320)
    snow = 215 + 30 * _texture(rng, shape, 3) + rng.normal(0, 6, shape)
    image = np.repeat(snow[..., None], 3, axis=2) + np.array([-4.0, 0.0, 8.0])
    first = _line(shape, (30.0, 40.0), (200.0, 120.0), 2.0)
    second = _line(shape, (40.0, 200.0), (210.0, 290.0), 2.0)
    for pole in (first, second):
        image[pole] = np.array([120.0, 120.0, 130.0]) + rng.normal(0, 6, (int(pole.sum()), 3))
    return _finish(image), first, second


def bright_line_on_dark(seed: int = 1) -> tuple[np.ndarray, np.ndarray, list[Click]]:
    """A 3-pixel white line across dark textured trees; clicks at its two ends."""
    rng = np.random.default_rng(seed)
    shape = (240, 320)
    trees = 60 + 35 * _texture(rng, shape, 2) + rng.normal(0, 8, shape)
    image = np.stack([trees * 0.8, trees, trees * 0.7], axis=2)
    start, end = (200.0, 30.0), (60.0, 290.0)
    line = _line(shape, start, end, 3.0)
    image[line] = np.array([235.0, 235.0, 240.0]) + rng.normal(0, 5, (int(line.sum()), 3))
    clicks = [Click(*_inside(start, end, 0.03), True), Click(*_inside(start, end, 0.97), True)]
    return _finish(image), line, clicks


def board_before_mountains(seed: int = 2) -> tuple[np.ndarray, np.ndarray, list[Click]]:
    """A dark 6-pixel board over textured blue-grey mountains with snow patches; three clicks."""
    rng = np.random.default_rng(seed)
    shape = (240, 320)
    rock = _texture(rng, shape, 2)
    mountains = np.stack([70 + 40 * rock, 85 + 40 * rock, 120 + 40 * rock], axis=2)
    snow = _texture(rng, shape, 4) > 0.35
    mountains[snow] = (215, 220, 235)
    sky = np.zeros(shape, dtype=bool)
    sky[:60] = True
    mountains[sky] = (90, 150, 220)
    image = mountains + rng.normal(0, 6, (*shape, 3))
    start, end = (130.0, 90.0), (122.0, 230.0)
    board = _line(shape, start, end, 6.0)
    image[board] = np.array([35.0, 35.0, 70.0]) + rng.normal(0, 5, (int(board.sum()), 3))
    clicks = [Click(*_inside(start, end, t), True) for t in (0.1, 0.5, 0.9)]
    return _finish(image), board, clicks


def _inside(start, end, t: float) -> tuple[float, float]:
    return (
        round(start[0] + t * (end[0] - start[0])),
        round(start[1] + t * (end[1] - start[1])),
    )
