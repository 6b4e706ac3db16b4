"""The embedded engine on a negative click that corrects a one-pixel error beside a thin object."""

from __future__ import annotations

import numpy as np
import pytest
from thin_scenes import long_pole_on_snow

from napari_skipclick.engines.embedded import EmbeddedEngine
from napari_skipclick.types import Click

#: positive clicks near both ends of the synthetic pole from (20, 20) to (220, 300)
ON_ENDS = [Click(30, 34, True), Click(210, 286, True)]


@pytest.fixture(scope="module")
def pole_scene():
    image, pole = long_pole_on_snow()
    engine = EmbeddedEngine()
    return engine, engine.encode(image), pole


@pytest.mark.parametrize("t", [0.15, 0.35, 0.55, 0.75])
def test_a_negative_click_on_a_snow_pixel_beside_a_pole_keeps_the_pole(pole_scene, t):
    # the previous mask is the pole and one snow pixel just right of it; the negative click on
    # that pixel fixed its whole superpixel, pole included, to background: 44-66 % were left
    engine, features, pole = pole_scene
    y = int(20 + t * 200)
    x = int(np.flatnonzero(pole[y]).max()) + 1
    prev = np.where(pole, 0.9, 0.1).astype(np.float32)
    prev[y, x] = 0.9
    mask = engine.decode(features, [*ON_ENDS, Click(y, x, False)], prev_mask=prev) > 0.5
    assert not mask[y, x]
    assert np.count_nonzero(mask & pole) >= 0.97 * np.count_nonzero(pole)
    assert np.count_nonzero(mask & ~pole) <= 0.05 * np.count_nonzero(pole)


def test_a_negative_click_deep_in_a_wrong_mask_still_takes_its_superpixel(pole_scene):
    # the previous mask holds the pole and a 15-px block of snow beside it; a negative click
    # in the middle of that block (7 px from its edge) removes the block (its superpixel)
    engine, features, pole = pole_scene
    prev = np.where(pole, 0.9, 0.1).astype(np.float32)
    block = np.zeros_like(pole)
    block[100:115, 160:175] = True
    block &= ~pole
    prev[block] = 0.9
    mask = engine.decode(features, [*ON_ENDS, Click(107, 167, False)], prev_mask=prev) > 0.5
    assert np.count_nonzero(mask & block) <= 0.1 * np.count_nonzero(block)
