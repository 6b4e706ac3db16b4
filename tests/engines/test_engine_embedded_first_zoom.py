"""The embedded engine's first click on a small object in a large frame: the crop around the
click stands in for a flood of the background (docs/engines.md, *A first click on a small
object*)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi

from napari_skipclick.engines.embedded import EmbeddedEngine
from napari_skipclick.types import Click

CENTRE = (265, 480)


def _scene(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A 960x540 frame (the GoPro clip's size): sky, a band of mountains textured with dark
    patches of nearly a board's colour, snow; a dark board 141x17 px tilted 25 degrees on the
    mountains. Returns the image and the board's mask."""
    rng = np.random.default_rng(seed)
    height, width = 540, 960
    image = np.empty((height, width, 3))
    image[:] = (70, 120, 200)
    image[330:] = (235, 238, 245)
    noise = ndi.gaussian_filter(rng.random((height, width)), 4)
    noise = (noise - noise.mean()) / noise.std()
    mountain = np.where(noise[..., None] < -0.3, (36, 40, 55), (60, 72, 100))
    mountain = np.where(noise[..., None] > 0.8, (95, 110, 140), mountain)
    image[190:330] = mountain[190:330]
    yy, xx = np.mgrid[:height, :width]
    angle = np.deg2rad(25)
    along = (xx - CENTRE[1]) * np.cos(angle) + (yy - CENTRE[0]) * np.sin(angle)
    across = -(xx - CENTRE[1]) * np.sin(angle) + (yy - CENTRE[0]) * np.cos(angle)
    board = (np.abs(along) <= 70) & (np.abs(across) <= 8)
    image[board] = (25, 25, 35)
    image += rng.normal(0, 6, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8), board


def _first_click(engine: EmbeddedEngine, image: np.ndarray, click: Click) -> np.ndarray:
    """The mask of one positive click with the session's empty prior."""
    prior = np.zeros(image.shape[:2], np.float32)
    return engine.decode(engine.encode(image), [click], prior) > 0.5


@pytest.mark.parametrize("seed", [1, 3, 4])
def test_one_click_on_a_dark_board_before_dark_mountains_stays_on_the_board(seed):
    # in the frame the board's colours are rare, so the mountain patches of nearly its colour
    # read as object and the cut floods them (5-8 times the board, IoU under 0.2); in the crop
    # they are the background's
    image, board = _scene(seed)
    mask = _first_click(EmbeddedEngine(), image, Click(*CENTRE, True))
    iou = (mask & board).sum() / (mask | board).sum()
    # 0.6: more than half of the mask is board even at twice its area, and no flood reaches it
    assert iou >= 0.6
    assert mask.sum() <= 2 * board.sum()


def test_the_first_click_crop_is_not_tried_on_a_photo_sized_frame():
    # on a 640x480 photo a 240-px crop covers a fifth of the frame: a large object's own
    # colours would fill its rim (GrabCut's first clicks fell from IoU 0.34 to 0.25)
    image, _ = _scene(1)
    photo = image[25:505, 160:800]
    assert photo.shape[:2] == (480, 640)
    click = Click(CENTRE[0] - 25, CENTRE[1] - 160, True)  # the board's centre
    with_crop = _first_click(EmbeddedEngine(), photo, click)
    without = _first_click(EmbeddedEngine(first_zoom_side=0), photo, click)
    assert np.array_equal(with_crop, without)
