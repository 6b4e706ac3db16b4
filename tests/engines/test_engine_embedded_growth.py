"""The embedded engine against floods from a positive click: the colour of a positive click
alone does not open the background of that colour, and an addition far thicker than the
click asked for is undone."""

from __future__ import annotations

import numpy as np
import pytest

from napari_skipclick.engines.embedded import EmbeddedEngine
from napari_skipclick.engines.embedded_growth import drop_thick_growth
from napari_skipclick.types import Click


def _room(limb_grey: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """120x160 dark room (grey 40) and a red body arching over a gap open to the bottom edge,
    with a limb of grey ``limb_grey`` hanging into the gap; the image, the body and the limb."""
    body = np.zeros((120, 160), bool)
    body[10:120, 10:150] = True
    body[40:120, 40:120] = False
    limb = np.zeros_like(body)
    limb[40:120, 40:50] = True
    image = np.full((120, 160, 3), 40.0)
    image[body] = (200, 60, 60)
    image[limb] = limb_grey
    image += np.random.default_rng(1).normal(0, 3, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8), body, limb


def _gap_flooded(mask: np.ndarray, body: np.ndarray, limb: np.ndarray) -> float:
    """Share of the gap beside the limb (background) inside ``mask``."""
    gap = ~body & ~limb
    gap[:40] = False
    return float(mask[gap].mean())


def test_a_positive_click_on_a_background_colour_does_not_open_that_colour():
    # the limb is a shade of the room's own colour (a shin in shadow before a dark room): a
    # positive click on it must not make the room's colour count as object
    image, body, limb = _room(46)
    engine = EmbeddedEngine(flood_factor=0.0)  # the colour model alone, without the flood guard
    features = engine.encode(image)
    prior = np.where(body, 0.9, 0.2).astype(np.float32)
    clicks = [Click(25, 80, True), Click(80, 20, True), Click(80, 45, True)]
    mask = engine.decode(features, clicks, prior) > 0.5
    assert _gap_flooded(mask, body, limb) < 0.05
    assert mask[80, 45] and mask[body].mean() > 0.95


def test_an_enclosed_flood_from_a_limb_click_is_undone():
    # a hole enclosed by the body is far from every background seed, so the geodesic term
    # floods it from a click on the limb whatever the colours; the flood is far thicker than the
    # limb the click asked for
    image, body, limb = _room(46)
    body[110:120, 10:150] = True
    image[body] = image[15, 15]
    engine = EmbeddedEngine()
    features = engine.encode(image)
    prior = np.where(body, 0.9, 0.2).astype(np.float32)
    clicks = [Click(25, 80, True), Click(115, 80, True), Click(60, 45, True)]
    mask = engine.decode(features, clicks, prior) > 0.5
    flooded = EmbeddedEngine(flood_factor=0.0).decode(features, clicks, prior) > 0.5
    assert _gap_flooded(flooded, body, limb) > 0.5  # the failure the guard is for
    assert _gap_flooded(mask, body, limb) < 0.05
    assert mask[60, 45] and mask[body].mean() > 0.95


@pytest.fixture
def tail_and_blob():
    before = np.zeros((100, 160), bool)
    before[10:50, 0:30] = True
    after = before.copy()
    after[20:24, 30:70] = True  # a tail four pixels wide, asked for by a click in it
    after[10:90, 70:150] = True  # a flood at its end, 80 pixels across
    return before, after


def test_thick_growth_beyond_the_asked_part_is_undone_thin_growth_stays(tail_and_blob):
    before, after = tail_and_blob
    clicks = [Click(30, 10, True), Click(22, 35, True)]  # 6 px from the mask
    out = drop_thick_growth(before, after, clicks, 2.0)
    assert out[before].all()
    assert out[20:24, 30:66].all()  # the tail, up to the flood
    assert out[10:90, 70:150].mean() < 0.05  # the flood


def test_thick_growth_is_kept_when_the_click_asked_for_it(tail_and_blob):
    before, after = tail_and_blob
    # a click deep in the large part: that part is no thicker than the click's distance allows
    deep = [Click(30, 10, True), Click(50, 110, True)]
    assert np.array_equal(drop_thick_growth(before, after, deep, 2.0), after)
    # only the newest click counts, and only a positive one outside the previous mask
    for last in (Click(60, 100, False), Click(30, 20, True)):
        assert np.array_equal(drop_thick_growth(before, after, [deep[0], last], 2.0), after)
    assert np.array_equal(drop_thick_growth(np.zeros_like(before), after, deep, 2.0), after)


def test_a_flood_against_the_image_edge_is_undone_as_one_in_the_middle(tail_and_blob):
    before, after = tail_and_blob
    after[10:90, 70:] = True  # the flood reaches the right edge of the image
    out = drop_thick_growth(before, after, [Click(30, 10, True), Click(22, 35, True)], 2.0)
    assert out[before].all() and out[20:24, 30:66].all()
    assert out[10:90, 70:].mean() < 0.05
