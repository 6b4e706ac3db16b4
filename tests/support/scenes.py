"""Synthetic scenes, image files and the mask overlap the tests share."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy import ndimage
from scipy.ndimage import gaussian_filter


def grey_rgb(grey: np.ndarray) -> np.ndarray:
    """Grey levels clipped to [0, 255] as a uint8 RGB image."""
    return np.repeat(np.clip(grey, 0, 255)[..., None], 3, axis=2).astype(np.uint8)


def save_sideways(path: Path, frame: np.ndarray) -> None:
    """``frame`` as a phone saves it: pixels stored turned, EXIF orientation 6 to turn back."""
    from PIL import Image

    image = Image.fromarray(np.ascontiguousarray(np.rot90(frame, 1)))
    exif = image.getexif()
    exif[0x0112] = 6
    image.save(path, exif=exif, quality=98)


def snow(height: int, width: int, seed: int = 0) -> np.ndarray:
    """Bright textured snow: smooth noise around grey level 220, as uint8 RGB."""
    rng = np.random.default_rng(seed)
    noise = gaussian_filter(rng.normal(0, 1, (height, width)), 2.0)
    return grey_rgb(220 + 60 * noise / noise.std())


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two boolean masks (0 when both are empty)."""
    return float((a & b).sum() / max((a | b).sum(), 1))


def line_mask(
    shape: tuple[int, int], start: tuple[float, float], end: tuple[float, float], width: float
) -> np.ndarray:
    """A straight segment ``width`` pixels wide from ``start`` to ``end`` (row, column)."""
    rows, cols = np.mgrid[: shape[0], : shape[1]].astype(np.float64)
    (y0, x0), (y1, x1) = start, end
    length = np.hypot(y1 - y0, x1 - x0)
    along = ((rows - y0) * (y1 - y0) + (cols - x0) * (x1 - x0)) / length
    across = (-(rows - y0) * (x1 - x0) + (cols - x0) * (y1 - y0)) / length
    return (np.abs(across) <= width / 2) & (along >= 0) & (along <= length)


#: the size of ``panned_frames``' frames
PANNED_SHAPE = (64, 96)


def panned_frames(n: int, step: float) -> tuple[np.ndarray, list[np.ndarray]]:
    """``n`` frames of textured snow with a dark ski on it, a camera panning ``step`` px to
    the right a frame, and the ski's mask on each (it moves with the snow)."""
    rng = np.random.default_rng(3)
    noise = ndimage.gaussian_filter(rng.normal(0, 1, PANNED_SHAPE), 2.0)
    scene = 200 + 40 * noise / noise.std()
    truth = np.zeros(PANNED_SHAPE, np.float64)
    truth[10:50, 30:33] = 1.0
    scene = np.where(truth > 0, 40.0, scene)
    frames, masks = [], []
    for t in range(n):
        moved = ndimage.shift(scene, (0, step * t), order=1, mode="nearest")
        frames.append(grey_rgb(moved))
        masks.append(ndimage.shift(truth, (0, step * t), order=1) > 0.5)
    return np.stack(frames), masks


#: the size of the frames of ``entering`` (rows, columns) and ``emerging`` (rows), and of
#: their square
HEIGHT, WIDTH, SIZE = 100, 160, 30


def entering(speed: int, n_frames: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """A dark textured square on still snow coming in across the right edge ``speed`` columns
    a frame from frame 1 on (nothing of it shows on frames 0-1); frames and its masks."""
    ground, body = snow(HEIGHT, 2 * WIDTH, seed=5)[:, :WIDTH], snow(SIZE, SIZE, seed=6) // 3
    frames = np.repeat(ground[None], n_frames, axis=0)
    masks = np.zeros((n_frames, HEIGHT, WIDTH), bool)
    for t in range(n_frames):
        left = WIDTH - speed * (t - 1)
        lo, hi = max(left, 0), min(left + SIZE, WIDTH)
        if lo < hi:
            frames[t, 35 : 35 + SIZE, lo:hi] = body[:, lo - left : hi - left]
            masks[t, 35 : 35 + SIZE, lo:hi] = True
    return frames, masks


def emerging(n_frames: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """The square moving 6 columns a frame out from behind a plain panel (columns 20-69) in
    front of it: hidden on frames 2-5, whole from frame 10; frames and its masks."""
    ground, body = snow(HEIGHT, 200, seed=5), snow(SIZE, SIZE, seed=6) // 3
    frames = np.repeat(ground[None], n_frames, axis=0)
    masks = np.zeros((n_frames, HEIGHT, 200), bool)
    for t in range(n_frames):
        left = 40 + 6 * (t - 5)
        frames[t, 35 : 35 + SIZE, left : left + SIZE] = body
        masks[t, 35 : 35 + SIZE, left : left + SIZE] = True
    frames[:, :, 20:70] = 200
    masks[:, :, 20:70] = False
    return frames, masks


def behind_crest(n_frames: int = 12, size: int = 44) -> tuple[np.ndarray, np.ndarray]:
    """A dark textured square (``size`` pixels a side) standing on snow that a plain crest in
    front of it rises over, 8 rows a frame from frame 1, up to its top edge, where a 5-pixel
    notch of it stays in view (the top of a skier's helmet); frames and its masks."""
    ground, body = snow(HEIGHT, WIDTH, seed=5), snow(size, size, seed=6) // 3
    frames = np.repeat(ground[None], n_frames, axis=0)
    masks = np.zeros((n_frames, HEIGHT, WIDTH), bool)
    top, left, notch = 35, 60, 60 + size // 2 - 2
    frames[:, top : top + size, left : left + size] = body
    masks[:, top : top + size, left : left + size] = True
    for t in range(n_frames):
        shown = np.zeros((HEIGHT, WIDTH), bool)
        shown[: max(top, top + size - 8 * t)] = True
        shown[top : top + 5, notch : notch + 5] = True
        frames[t][~shown] = 200
        masks[t] &= shown
    return frames, masks


def receding(n_frames: int = 22) -> tuple[np.ndarray, np.ndarray]:
    """The dark square on still snow moving 3 columns a frame away from the camera: its side
    shrinks 5 % a frame (to a ninth of its area on frame 21); frames and its masks."""
    ground, body = snow(HEIGHT, WIDTH, seed=5), snow(SIZE, SIZE, seed=6) // 3
    frames = np.repeat(ground[None], n_frames, axis=0)
    masks = np.zeros((n_frames, HEIGHT, WIDTH), bool)
    for t in range(n_frames):
        side, left = round(SIZE * 0.95**t), 20 + 3 * t
        frames[t, 35 : 35 + side, left : left + side] = body[:side, :side]
        masks[t, 35 : 35 + side, left : left + side] = True
    return frames, masks


def spreading(n_frames: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """A dark bluish square on still snow beside which a dark purple stain spreads 5 columns a
    frame from frame 2 on (a board whose mask runs onto the rider's legs): the engine's mask
    grows onto it while its colours match the square's less and less; frames and the
    square's masks."""
    ground = snow(HEIGHT, WIDTH, seed=5)
    body = (snow(SIZE, SIZE, seed=6) // 3 * np.array([0.6, 0.6, 1.6])).astype(np.uint8)
    stain = (snow(SIZE + 20, WIDTH, seed=7) // 3 * np.array([0.9, 0.6, 1.3])).astype(np.uint8)
    frames = np.repeat(ground[None], n_frames, axis=0)
    masks = np.zeros((n_frames, HEIGHT, WIDTH), bool)
    for t in range(n_frames):
        width = max(0, 5 * (t - 1))
        frames[t, 25:75, 48 : 48 + width] = stain[:, :width]
        frames[t, 35:65, 20:50] = body
        masks[t, 35:65, 20:50] = True
    return frames, masks


def approaching(n_frames: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """The dark square on still snow coming closer: its side grows 5 % a frame (to 4.3 times
    its area on frame 15) about a still centre; frames and its masks."""
    ground, body = snow(HEIGHT, WIDTH, seed=5), snow(80, 80, seed=6) // 3
    frames = np.repeat(ground[None], n_frames, axis=0)
    masks = np.zeros((n_frames, HEIGHT, WIDTH), bool)
    for t in range(n_frames):
        side = round(SIZE * 1.05**t)
        top, left = 50 - side // 2, 60 - side // 2
        rows, cols = np.ix_(np.arange(side) * 80 // side, np.arange(side) * 80 // side)
        frames[t, top : top + side, left : left + side] = body[rows, cols]
        masks[t, top : top + side, left : left + side] = True
    return frames, masks


def slow_crest(n_frames: int = 20, size: int = 44) -> tuple[np.ndarray, np.ndarray]:
    """The dark textured square (``size`` pixels a side) standing on snow that a textured
    crest in front of it rises over, 3 rows a frame from frame 1, hiding it whole from frame
    15: each frame hides too little of it for its area checks; frames and its masks."""
    ground, body = snow(HEIGHT, WIDTH, seed=5), snow(size, size, seed=6) // 3
    crest = snow(HEIGHT, WIDTH, seed=9)
    frames = np.repeat(ground[None], n_frames, axis=0)
    masks = np.zeros((n_frames, HEIGHT, WIDTH), bool)
    top, left = 35, 60
    frames[:, top : top + size, left : left + size] = body
    masks[:, top : top + size, left : left + size] = True
    for t in range(n_frames):
        line = max(top + size - 3 * t, 0)
        frames[t, line:] = crest[line:]
        masks[t, line:] = False
    return frames, masks


def riding_away(n_frames: int = 22, size: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """A dark textured square on still snow riding away from the camera, 2 columns a frame:
    it and its texture shrink 8 % a side a frame (to 1/36 of its area on frame 21);
    frames and its masks."""
    ground, body = snow(HEIGHT, WIDTH, seed=5), snow(size, size, seed=6) // 3
    frames = np.repeat(ground[None], n_frames, axis=0)
    masks = np.zeros((n_frames, HEIGHT, WIDTH), bool)
    for t in range(n_frames):
        side = round(size * 0.92**t)
        small = ndimage.zoom(body, (side / size, side / size, 1), order=1)[:side, :side]
        top, left = 20 + (size - side) // 2, 30 + 2 * t
        frames[t, top : top + side, left : left + side] = small
        masks[t, top : top + side, left : left + side] = True
    return frames, masks
