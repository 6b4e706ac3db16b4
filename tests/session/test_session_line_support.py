"""A line its surroundings' map carried needs review only where the frame shows no line there."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from napari_skipclick.session import PropagationSettings
from napari_skipclick.session.carry import MAPPED, Carried
from napari_skipclick.session.line_support import (
    OFF_LINE,
    RIDGE,
    STRENGTH,
    line_support,
    on_its_line,
)
from napari_skipclick.session.quality import ShapeHistory, assess
from napari_skipclick.session.thin_parts import ThinSettings
from support.scenes import grey_rgb

SHAPE = (64, 96)


def _ski_frame(row: int) -> tuple[np.ndarray, np.ndarray]:
    """Plain snow with a dark ski two pixels wide from ``row``, and its mask."""
    scene = np.full(SHAPE, 220.0)
    scene[::7, ::5] = 190.0  # a little texture
    mask = np.zeros(SHAPE, bool)
    mask[row : row + 2, 20:70] = True
    scene[mask] = 40.0
    return grey_rgb(scene), mask


def test_a_carried_line_is_on_the_frames_line_only_where_the_frame_shows_it():
    before, previous = _ski_frame(30)
    after, moved = _ski_frame(32)  # the camera moved the ski two rows
    settings = ThinSettings()
    assert on_its_line(before, after, previous, moved, settings)
    # a pixel beside the line, half of it on it
    assert not on_its_line(before, after, previous, np.roll(moved, 1, axis=0), settings)
    assert not on_its_line(before, after, previous, np.roll(moved, -1, axis=0), settings)
    # the line has gone (snow on it): nothing there to place it on
    snow, _ = _ski_frame(0)
    snow[:2] = 220
    assert not on_its_line(before, snow, previous, moved, settings)


def _mapped(on_line: bool) -> tuple[Carried, ShapeHistory, int]:
    _, mask = _ski_frame(30)
    probabilities = np.where(mask, 0.9, 0.05).astype(np.float32)
    # the engine's confidence and the colours say little of a line two pixels wide
    carried = Carried(
        probabilities,
        probabilities,
        [],
        0.3,
        0.5,
        MAPPED,
        0.4,
        colour_match=0.3,
        camera=True,
        on_line=on_line,
    )
    return carried, ShapeHistory.starting(mask), int(mask.sum())


def test_a_mapped_line_on_the_frames_line_passes_and_one_beside_it_needs_review():
    settings = PropagationSettings()
    carried, history, area = _mapped(on_line=True)
    *_, reason, doubtful, length = assess(carried, area, history, settings)
    # before: "it moves with its surroundings ...; the motion carried it" on every frame
    assert reason is None and not doubtful
    assert length == history.lengths[0]  # a frame that passed is a reference for the length
    *_, reason, doubtful, length = assess(replace(carried, on_line=False), area, history, settings)
    assert reason == f"{MAPPED}; the motion carried it, and {OFF_LINE}"
    assert not doubtful and length is None


def test_a_mapped_line_on_the_frames_line_is_still_held_to_its_length():
    carried, history, area = _mapped(on_line=True)
    _, short = _ski_frame(30)
    short[:, 40:] = False  # the map put on the line only the part of it still in view
    probabilities = np.where(short, 0.9, 0.05).astype(np.float32)
    shorter = replace(carried, probabilities=probabilities, prior=probabilities)
    *_, reason, _, _ = assess(shorter, area, history, PropagationSettings())
    assert reason is not None and reason.startswith(("area changed", "length changed"))


def test_a_line_the_camera_put_between_the_pixels_is_still_on_its_line():
    """A fast camera puts a ski two pixels wide half a pixel off the grid: the frame shows it
    as three rows, its middle one dark, those beside it half so, and the map's mask holds
    all three. Its line strength there was 0.67 of the ski's on the frame before (the mean
    along the mask against the median along the ski), under the limit: every frame of the
    fast `slalom_fast` clip was marked. Taken across the line on both frames, it is 0.84."""
    before, previous = _ski_frame(30)
    scene = np.full(SHAPE, 220.0)
    scene[::7, ::5] = 190.0
    scene[[32, 34], 20:70] = 130.0
    scene[33, 20:70] = 40.0
    between = np.zeros(SHAPE, bool)
    between[32:35, 20:70] = True
    settings = ThinSettings()
    assert on_its_line(before, grey_rgb(scene), previous, between, settings)
    ridge, strength, _ = line_support(before, grey_rgb(scene), previous, between, settings)
    assert ridge >= RIDGE and STRENGTH <= strength < 0.9
    # beside it by two rows, or the line gone under snow, it still needs review
    assert not on_its_line(before, grey_rgb(scene), previous, np.roll(between, 2, 0), settings)
    scene[32:35] = 220.0
    assert not on_its_line(before, grey_rgb(scene), previous, between, settings)
