"""The line through a click, and a corrective click on a line that adds the line."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

from napari_skipclick.session.corrections import corrected
from napari_skipclick.session.lines import line_through
from napari_skipclick.types import Click
from support.scenes import line_mask

SHAPE = (200, 300)


def snow(seed: int = 0) -> np.ndarray:
    """Textured snow around grey 215, as float RGB."""
    rng = np.random.default_rng(seed)
    texture = gaussian_filter(rng.normal(0, 1, SHAPE), 3)
    grey = 215 + 30 * texture / texture.std() + rng.normal(0, 4, SHAPE)
    return np.repeat(grey[..., None], 3, axis=2)


def pole_scene() -> tuple[np.ndarray, np.ndarray]:
    """A dark pole 2 px wide across snow; a bright groomer's track 4 px high crosses it and a
    dark shadow line 2 px high leaves it sideways."""
    image = snow()
    image[98:102, :] = 250.0
    image[69:71, 101:200] = (90.0, 90.0, 100.0)  # the shadow, from the pole to the right
    pole = line_mask(SHAPE, (40, 60), (170, 240), 2.0)
    image[pole] = (90.0, 90.0, 100.0)
    return np.clip(image, 0, 255).astype(np.uint8), pole


def test_a_click_on_a_pole_traces_the_pole_not_what_it_touches():
    image, pole = pole_scene()
    line = line_through(image, 60, 88)  # on the pole, above the shadow and the track
    assert line is not None
    assert np.count_nonzero(line & pole) >= 0.9 * np.count_nonzero(pole)
    assert np.count_nonzero(line & ~pole) <= 0.1 * np.count_nonzero(line)
    assert not line[98:102, :120].any() and not line[98:102, 160:].any()  # not the track
    assert not line[69:71, 120:].any()  # nor the shadow: the trace runs straight on


def test_no_line_on_plain_snow_nor_on_a_wide_bar():
    image, _ = pole_scene()
    assert line_through(image, 150, 40) is None  # snow
    bar = snow(1)
    bar[:, 120:150] = 90.0  # 30 px wide: a region, not a line
    assert line_through(np.clip(bar, 0, 255).astype(np.uint8), 100, 135) is None


def test_a_positive_correction_on_a_line_adds_the_line():
    image, pole = pole_scene()
    before = np.zeros(SHAPE, bool)
    before[20:45, 30:65] = True  # the skier holding the pole's top end
    prior = before.astype(np.float32)
    blob = before.copy()
    blob[40:120, 60:160] = True  # the engine's answer floods the snow around the pole
    clicks = [Click(30, 45, True), Click(150, 214, True)]
    probs = corrected(prior, blob.astype(np.float32), clicks, clicks[:1], lambda: image)
    mask = probs > 0.5
    assert np.count_nonzero(mask & pole & ~before) >= 0.6 * np.count_nonzero(pole & ~before)
    assert np.count_nonzero(mask & ~pole & ~before) <= 0.1 * np.count_nonzero(mask & ~before)
    # without the frame, the engine's part at the click is taken as before
    assert corrected(prior, blob.astype(np.float32), clicks, clicks[:1]) is not None
