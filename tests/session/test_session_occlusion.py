"""Occluders: an object that moved against the background coasts on behind something that
passes in front of it with the background (a tree in a pan), instead of being dragged along."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from napari_skipclick.engines import create_engine
from napari_skipclick.engines.base import Features
from napari_skipclick.session import AnnotationSession, PropagationSettings, carry
from napari_skipclick.session.motion import MotionSettings, estimate_motion, warp_mask
from napari_skipclick.session.motion_background import Momentum, stalls
from napari_skipclick.session.motion_chain import Chain
from napari_skipclick.session.thin_parts import ThinSettings
from napari_skipclick.session.track import Track
from napari_skipclick.types import FrameStatus
from support.engines import UpperPartEngine
from support.scenes import iou, snow
from support.sessions import started_session

PAN = 8  # the camera follows the object: the ground slides 8 px left per frame
TRUNK = 40  # width of the trunk that stands on the ground and passes in front of the object
SQUARE = (slice(45, 75), slice(85, 115))


def tree_pan(n_frames: int, width: int = TRUNK) -> tuple[np.ndarray, np.ndarray]:
    """Frames of a dark textured square that stays put while textured snow and a textured
    trunk ``width`` pixels wide on it slide left; the trunk starts just right of the square
    and covers all of it from frame 5 (to frame 6 at the default width). Returns the frames
    and the square's mask."""
    ground = snow(120, 200 + PAN * n_frames, seed=7)
    body = snow(30, 30, seed=8) // 3
    trunk = snow(120, width, seed=9) // 2
    mask = np.zeros((120, 200), bool)
    mask[SQUARE] = True
    frames = np.empty((n_frames, 120, 200, 3), np.uint8)
    for t in range(n_frames):
        frames[t] = ground[:, PAN * t : PAN * t + 200]
        frames[t][SQUARE] = body
        left = 130 - PAN * t
        lo, hi = max(left, 0), min(left + width, 200)
        if lo < hi:
            frames[t][:, lo:hi] = trunk[:, lo - left : hi - left]
    return frames, mask


def test_an_object_coasts_on_behind_an_occluder_that_moves_with_the_background():
    frames, mask = tree_pan(8)
    results = {}
    for stall in (0.0, MotionSettings().stall):
        settings = MotionSettings(stall=stall)
        momentum, ious, coasting = None, [], []
        for t in range(1, 8):
            motion = estimate_motion(frames[t - 1], frames[t], mask, settings, momentum)
            assert motion is not None
            momentum = motion.momentum
            ious.append(iou(warp_mask(mask, motion) > 0.5, mask))
            coasting.append(motion.coasting)
        results[stall] = ious, coasting
    dragged, _ = results[0.0]
    kept, coasting = results[MotionSettings().stall]
    # the square moves 8 px right against the ground; once the trunk covers most of it the
    # measured motion stalls with the ground: without the guard the mask goes with the trunk
    assert min(dragged[4:]) < 0.65
    assert min(kept[4:]) > 0.95 and coasting[4:] == [True] * 3
    assert not any(coasting[:4])
    assert kept[:4] == dragged[:4]  # nothing changes before the stall


def test_only_a_fast_object_that_loses_most_of_its_motion_stalls():
    settings = MotionSettings()
    pan = np.array([0.0, -10.0])  # the background's motion, the same on both steps
    fast = Momentum(np.array([0.0, 8.0]), pan)

    def stalled(relative, momentum=fast, moving=pan, scale=1.0, chosen=settings):
        return stalls(np.array(relative), moving * scale, momentum, scale, chosen)

    assert stalled([0.0, 1.0]) == pytest.approx(fast.relative)
    assert stalled([0.0, 0.5], scale=0.5) == pytest.approx(fast.relative * 0.5)  # flow pixels
    assert stalled([0.0, 5.0]) is None  # slows down, still moving
    assert stalled([0.0, -12.0]) is None  # turns, fast
    # a slow object may stop or turn round from one frame to the next (a player turning)
    assert stalled([0.0, 0.0], Momentum(np.array([0.0, 3.0]), pan)) is None
    # the background's motion jumped as well: the two steps measured different backgrounds
    assert stalled([0.0, 0.0], moving=np.array([0.0, -3.0])) is None
    assert stalled([0.0, 0.0], chosen=MotionSettings(stall=0)) is None
    with pytest.raises(ValueError):
        MotionSettings(stall=1.0)
    with pytest.raises(ValueError):
        PropagationSettings(max_coast=-1)


@pytest.mark.parametrize("max_coast", [0, 2])
def test_coasting_frames_ask_for_review_and_end_after_max_coast(max_coast):
    frames, mask = tree_pan(12)
    session, obj = started_session(frames, mask, create_engine("embedded"))
    settings = PropagationSettings(max_coast=max_coast)
    steps = list(session.propagate([obj], 0, settings=settings))
    coasted = [s.frame for s in steps if s.reason and "occluder passing" in s.reason]
    if max_coast == 0:
        assert coasted == []
        return
    assert coasted  # the trunk is taken for the object's stall at least once
    assert all(session.status(t) is FrameStatus.NEEDS_REVIEW for t in coasted)
    runs = np.split(np.array(coasted), np.flatnonzero(np.diff(coasted) > 1) + 1)
    assert max(len(run) for run in runs) <= max_coast


def _step(relative, refusal=None, coasting=False) -> carry.Carried:
    """A carried step whose object moved ``relative`` against a background panning left."""
    momentum = Momentum(np.array(relative, np.float32), np.array([0.0, -10.0], np.float32))
    empty = np.zeros((4, 4), np.float32)
    return carry.Carried(empty, empty, [], 1.0, 0.9, refusal, 0.9, momentum, coasting)


def test_an_object_coasts_on_with_its_steady_motion_not_one_torn_step():
    settings = MotionSettings()
    track = Track()
    for relative in ([0.0, 14.0], [-1.0, 13.0], [1.0, 15.0], [0.0, 14.0]):
        track.update(_step(relative), settings)
    # branches in front tear the flow: one step the engine still agrees with, slowed down
    # but not stalled, and one it disagrees with
    track.update(_step([4.0, 8.0]), settings)
    torn = track.momentum(max_coast=10)
    assert torn is not None and torn.relative == pytest.approx([4.0, 8.0])
    assert torn.steady == pytest.approx([0.0, 14.0])  # the median of the last five
    # the stall is judged against the last step, the object coasts on with the steady motion
    pan = np.array([0.0, -10.0], np.float32)
    assert stalls(np.array([0.0, 1.0]), pan, torn, 1.0, settings) == pytest.approx([0.0, 14.0])
    assert stalls(np.array([0.0, 5.0]), pan, torn, 1.0, settings) is None
    without = Momentum(torn.relative, torn.background)
    assert stalls(np.array([0.0, 1.0]), pan, without, 1.0, settings) == pytest.approx([4.0, 8.0])
    # a step the engine disagrees with adds no motion, and leaves none to coast on (as before)
    track.update(_step([9.0, -4.0], refusal="the engine's mask left"), settings)
    assert track.momentum(10) is None
    # coasting steps add nothing to the steady motion
    track.update(_step([0.0, 12.0]), settings)
    track.update(_step([0.0, 14.0], coasting=True), settings)
    assert track.momentum(10).steady == pytest.approx([0.5, 13.0])  # the last five


class MotionOnlyEngine:
    """A test engine that answers with the moved mask it is given: the motion alone decides."""

    name = key = "motion-only-test"

    def encode(self, image):
        return Features(image.shape[:2], {})

    def decode(self, features, clicks, prev_mask=None):
        return np.asarray(prev_mask, np.float32)


def test_frames_after_a_coasting_run_ask_for_review_while_the_object_seems_still_hidden():
    # a wide trunk hides the square from frame 5 to 9; coasting ends after one frame, and
    # the motion then takes the mask along with the trunk, against the ground it stood still
    frames, mask = tree_pan(12, width=72)
    session, obj = started_session(frames, mask, MotionOnlyEngine())
    steps = list(session.propagate([obj], 0, settings=PropagationSettings(max_coast=1)))
    reasons = {s.frame: s.reason or "" for s in steps}
    coasted = [t for t, r in reasons.items() if "occluder passing" in r]
    hidden = [t for t, r in reasons.items() if "still behind the occluder" in r]
    assert len(coasted) >= 1 and hidden, reasons
    assert min(hidden) == max(coasted) + 1  # right after the run ended
    assert all(session.status(t) is FrameStatus.NEEDS_REVIEW for t in hidden)
    # without coasting there is no run to end, and nothing of the kind
    session.set_status(0, FrameStatus.REVIEWED)
    steps = list(session.propagate([obj], 0, settings=PropagationSettings(max_coast=0)))
    assert not any("still behind" in (s.reason or "") for s in steps)


LEG = 60  # first row of the walker's leg


def walker(t: int) -> tuple[np.ndarray, np.ndarray]:
    """Frame ``t`` of a wide dark textured body on a leg 6 px wide of snow texture, walking
    3 px right per frame over still snow of the same colours as the leg; returns the frame
    and its mask."""
    frame = snow(120, 200, seed=1)
    mask = np.zeros((120, 200), bool)
    left = 50 + 3 * t
    mask[10:LEG, left : left + 90] = True
    mask[LEG:100, left + 40 : left + 46] = True
    frame[10:LEG, left : left + 90] = snow(LEG - 10, 90, seed=2) // 3
    frame[LEG:100, left + 40 : left + 46] = snow(100 - LEG, 6, seed=3)
    return frame, mask


def test_what_the_motion_tracks_well_stays_where_engine_and_colours_lose_it():
    frames, masks = zip(*(walker(t) for t in range(6)), strict=True)
    results = {}
    for track in (0.0, MotionSettings().track_residual):
        # the leg is 6 px wide: thin parts followed on their own would keep some of it too
        settings = PropagationSettings(
            motion=MotionSettings(track_residual=track), thin=ThinSettings(width=0)
        )
        session, obj = started_session(np.stack(frames), masks[0], UpperPartEngine(LEG))
        list(session.propagate([obj], 0, settings=settings))
        legs = [
            (session.labels.read(t) == obj)[LEG:].sum() / masks[t][LEG:].sum() for t in range(6)
        ]
        results[track] = legs, [iou(session.labels.read(t) == obj, masks[t]) for t in range(6)]
    lost, _ = results[0.0]
    kept, ious = results[MotionSettings().track_residual]
    assert max(lost[1:]) < 0.1  # the engine and the ground-coloured leg's colours drop it
    # the motion keeps most of it; its edges, where the residual's window reads the ground,
    # still wear away a little each frame
    assert kept[1] > 0.6 and min(kept) > 0.25
    assert min(ious) > 0.85


def test_an_object_the_engine_loses_is_carried_no_larger_than_it_was(monkeypatch):
    """A flow spread over texture (a board before trees) widens the moved mask a little each
    frame; with no engine result to check it, the moved mask keeps its area, its strongest
    pixels, instead of growing frame after frame."""

    def spreading(chain):  # the square stays, a soft 2-pixel fringe joins it
        mask = chain.anchor > 0.5
        ring = ndimage.binary_dilation(mask, iterations=2) & ~mask
        return np.where(mask, 1.0, np.where(ring, 0.6, 0.0)).astype(np.float32)

    monkeypatch.setattr(Chain, "mask", property(spreading))
    frames = np.stack([snow(120, 200, seed=t) for t in range(5)])
    session = AnnotationSession(frames, UpperPartEngine(0))  # sees nothing: never trusted
    obj = session.add_object().id
    start = np.zeros((120, 200), bool)
    start[SQUARE] = True
    session.labels.set_frame(0, np.where(start, obj, 0).astype(session.labels.dtype))
    session.set_status(0, FrameStatus.REVIEWED)
    settings = PropagationSettings(thin=ThinSettings(width=0))
    steps = list(session.propagate([obj], 0, n_frames=4, settings=settings))
    assert [step.frame for step in steps] == [1, 2, 3, 4]
    for t in range(1, 5):
        np.testing.assert_array_equal(session.labels.read(t) == obj, start)
        assert session.status(t) == FrameStatus.NEEDS_REVIEW
