"""Propagation keeps what the motion and the object's colours say when the engine misses it."""

from __future__ import annotations

import numpy as np
import pytest

from napari_skipclick.session import PropagationSettings
from napari_skipclick.session.appearance import ColourModel
from napari_skipclick.types import FrameStatus
from support.engines import BACKGROUND, BLUE, RED, ColourEngine
from support.sessions import started_session

#: a green as bright as RED in grey levels: the motion sees no change where red turns green
GREEN = (30, 85, 60)


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


def test_the_colour_match_of_a_new_mask_is_a_share_of_the_start_frames():
    image = np.full((80, 120, 3), BACKGROUND, np.uint8)
    mask = np.zeros((80, 120), bool)
    mask[20:50, 30:60] = True
    image[mask] = RED
    model = ColourModel(image, mask)
    assert model.start_match > 0.9  # red stands out from the grey around it
    same = model.likelihood(image, mask, ring=4)
    assert model.match(same, mask) == 1.0
    other = image.copy()
    other[mask] = BLUE  # something else where the object was
    assert model.match(model.likelihood(other, mask, ring=4), mask) < 0.2
    assert model.match(same, np.zeros_like(mask)) is None
    plain = np.full((80, 120, 3), BACKGROUND, np.uint8)  # an object the colour of its ground
    assert ColourModel(plain, mask).match(same, mask) is None


def square_that_turns_green(t: int) -> tuple[np.ndarray, np.ndarray]:
    """Frame ``t``: a square moving 2 px right per frame, red, from frame 3 a green as bright."""
    frame = np.full((80, 140, 3), BACKGROUND, np.uint8)
    x = 20 + 2 * t
    mask = np.zeros((80, 140), bool)
    mask[25:55, x : x + 30] = True
    frame[mask] = RED if t < 3 else GREEN
    return frame, mask


def test_a_mask_that_holds_other_colours_than_the_object_is_marked_for_review():
    # the engine and the motion agree on the square, its area and confidence hold: only its
    # colours say that what the mask holds from frame 3 on is not what was annotated
    frames = np.stack([square_that_turns_green(t)[0] for t in range(5)])
    session, obj = started_session(frames, square_that_turns_green(0)[1], SharpColourEngine())
    steps = list(session.propagate([obj], 0, n_frames=4))
    assert [s.frame for s in steps] == [1, 2, 3, 4] and not any(s.stopped for s in steps)
    assert [s.ok for s in steps] == [True, True, False, False]
    assert all("colours match" in s.reason for s in steps[2:])
    assert [session.status(t) for t in (2, 3)] == [FrameStatus.PROPAGATED, FrameStatus.NEEDS_REVIEW]
    for t in range(1, 5):  # the mask is kept for review, not dropped
        truth = square_that_turns_green(t)[1]
        found = session.labels[t] == obj
        assert (found & truth).sum() / (found | truth).sum() > 0.9, t
    off = PropagationSettings(min_colour_match=0.0)
    session, obj = started_session(frames, square_that_turns_green(0)[1], SharpColourEngine())
    assert all(s.ok for s in session.propagate([obj], 0, n_frames=4, settings=off))


@pytest.mark.parametrize("limit", [-0.1, 1.5])
def test_a_colour_match_limit_outside_zero_to_one_is_refused(limit):
    with pytest.raises(ValueError, match="min_colour_match"):
        PropagationSettings(min_colour_match=limit)


def test_without_colours_in_the_mix_no_colour_model_is_built(monkeypatch):
    # with colour_weight 0 nothing reads the start frame's colours: neither the mix nor the
    # review mark (the square that turns green passes), so they are not computed
    import napari_skipclick.session.propagation as propagation

    built = []

    class CountedColourModel(ColourModel):
        def __init__(self, image, mask):
            built.append(1)
            super().__init__(image, mask)

    monkeypatch.setattr(propagation, "ColourModel", CountedColourModel)
    frames = np.stack([square_that_turns_green(t)[0] for t in range(5)])
    session, obj = started_session(frames, square_that_turns_green(0)[1], SharpColourEngine())
    plain = PropagationSettings(colour_weight=0.0)
    assert all(s.ok for s in session.propagate([obj], 0, n_frames=4, settings=plain))
    assert not built
    session, obj = started_session(frames, square_that_turns_green(0)[1], SharpColourEngine())
    assert not all(s.ok for s in session.propagate([obj], 0, n_frames=4))
    assert built == [1]
