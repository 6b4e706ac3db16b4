"""Propagation keeps what the motion and the object's colours say when the engine misses it."""

from __future__ import annotations

import numpy as np

from napari_skipclick.session import PropagationSettings
from napari_skipclick.session.appearance import ColourModel
from support.engines import BACKGROUND, BLUE, RED, ColourEngine
from support.sessions import started_session


def test_the_colour_model_tells_the_object_from_its_surroundings():
    image = np.full((80, 120, 3), BACKGROUND, np.uint8)
    mask = np.zeros((80, 120), bool)
    mask[20:50, 30:60] = True
    image[mask] = RED
    moved = np.full((80, 120, 3), (30, 160, 30), np.uint8)  # the surroundings turned green
    moved[25:55, 35:65] = RED
    carried = np.zeros_like(mask)
    carried[25:55, 35:65] = True
    likelihood = ColourModel(image, mask).likelihood(moved, carried, ring=4)
    assert likelihood.shape == mask.shape and likelihood.dtype == np.float32
    assert likelihood[carried].min() > 0.9  # red was the object's colour
    assert likelihood[15:20, 35:65].max() < 0.1  # green is what lies around it now
    assert (likelihood[:, 100:] == 0.5).all()  # far from the object it says nothing


class SharpColourEngine(ColourEngine):
    """The colour engine with no doubt: 0 outside the regions it segments."""

    def decode(self, features, clicks, prev_mask=None):
        probabilities = super().decode(features, clicks, prev_mask)
        return np.where(probabilities > 0.5, probabilities, 0.0).astype(np.float32)


def two_colour_object(t: int) -> tuple[np.ndarray, np.ndarray]:
    """Frame ``t``: a red body with a blue part on its right, moving 2 px right per frame."""
    frame = np.full((80, 140, 3), BACKGROUND, np.uint8)
    x = 20 + 2 * t
    frame[25:55, x : x + 30] = RED
    frame[25:55, x + 30 : x + 44] = BLUE
    mask = np.zeros((80, 140), bool)
    mask[25:55, x : x + 44] = True
    return frame, mask


def test_a_part_the_engine_does_not_segment_is_carried_for_ten_frames():
    # one derived click lands on the red body; the engine segments only the body, and the
    # blue part would fade to half probability in the first step and be lost
    frames = np.stack([two_colour_object(t)[0] for t in range(11)])
    session, obj = started_session(frames, two_colour_object(0)[1], SharpColourEngine())
    steps = list(
        session.propagate([obj], 0, n_frames=10, settings=PropagationSettings(max_positive=1))
    )
    assert len(steps) == 10 and not any(s.stopped for s in steps)
    for t in range(1, 11):
        truth = two_colour_object(t)[1]
        found = session.labels[t] == obj
        assert (found & truth).sum() / (found | truth).sum() > 0.9, t
    assert all(c.x < 20 + 2 * 10 + 30 for c in session.clicks(10, obj) if c.positive)
