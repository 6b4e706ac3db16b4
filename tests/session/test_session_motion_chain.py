"""A mask that the motion alone carries over several steps follows a fraction of a pixel a
frame: it is moved from the last agreed mask through the motions composed."""

from __future__ import annotations

import numpy as np
import pytest

from napari_skipclick.session import AnnotationSession, PropagationSettings
from napari_skipclick.session import carry as carry_module
from napari_skipclick.session.motion import Motion, source_points, warp_mask
from napari_skipclick.session.motion_chain import Chain, follow
from napari_skipclick.session.thin_parts import ThinSettings
from napari_skipclick.types import FrameStatus
from support.engines import FloodEngine
from support.scenes import PANNED_SHAPE, iou, panned_frames


def panning(rows: float, cols: float, box=(0, 64, 0, 96)) -> Motion:
    """A motion that moves everything in ``box`` by (``rows``, ``cols``) pixels."""
    y0, y1, x0, x1 = box
    flow = np.empty((2, y1 - y0, x1 - x0), np.float32)
    flow[0], flow[1] = -rows, -cols  # backward: a new pixel came from where it was before
    return Motion(box, flow)


def ski(offset: int = 0) -> np.ndarray:
    """A ski two pixels wide and 40 long, ``offset`` columns to the right."""
    mask = np.zeros(PANNED_SHAPE, bool)
    mask[10:50, 30 + offset : 32 + offset] = True
    return mask


def test_a_chain_moves_a_mask_by_the_sum_of_its_steps_fractions():
    motion = panning(0.0, 0.4)
    stepped, chained, chain = ski(), ski(), None
    for _ in range(5):
        stepped = warp_mask(stepped, motion) > 0.5
        chain = follow(chain, chained, motion)
        chained = chain.mask > 0.5  # what propagation writes on the frame
    # moved and cut to whole pixels each step, the ski never moves: 0.4 px is lost each time
    np.testing.assert_array_equal(stepped, ski())
    # five steps composed: each pixel came from 2 px to its left on the first frame
    np.testing.assert_allclose(chain.source[1], source_points(motion)[1] - 1.6, atol=1e-4)
    np.testing.assert_array_equal(chain.mask > 0.5, ski(2))


def test_a_chain_reads_its_displacement_beyond_its_box_at_the_box_edge():
    chain = Chain.starting(ski(), panning(0.0, 1.0, box=(5, 55, 25, 40)))
    longer = chain.then(panning(0.0, 1.0, box=(5, 55, 25, 45)))
    np.testing.assert_array_equal(longer.mask > 0.5, ski(2))


def test_a_chain_that_strays_from_the_mask_moved_one_step_starts_again():
    chain = Chain.starting(ski(), panning(0.0, 6.0))  # a flow torn by a leak
    motion = panning(0.0, 0.4)
    strayed = follow(chain, ski(), motion)
    # started again from the previous mask: one step back, not 6.4 px
    np.testing.assert_allclose(strayed.source, source_points(motion))
    np.testing.assert_array_equal(strayed.mask > 0.5, warp_mask(ski(), motion) > 0.5)
    agreeing = follow(Chain.starting(ski(), panning(0.0, 0.4)), ski(), motion)
    np.testing.assert_allclose(agreeing.source[1], source_points(motion)[1] - 0.4, atol=1e-4)


def test_a_ski_the_engine_never_sees_follows_a_slow_pan():
    """The engine's mask floods the snow, so the motion carries the ski on every frame; the
    camera pans 0.4 px a frame. Moved one step at a time and cut to whole pixels, the mask
    kept only the steps its flow rounded to a whole pixel."""
    frames, masks = panned_frames(8, 0.4)
    session = AnnotationSession(frames, FloodEngine())
    obj = session.add_object().id
    session.labels.set_frame(0, np.where(masks[0], obj, 0).astype(session.labels.dtype))
    session.set_status(0, FrameStatus.REVIEWED)
    settings = PropagationSettings(thin=ThinSettings(width=0))
    steps = list(session.propagate([obj], 0, n_frames=7, settings=settings))
    assert [step.frame for step in steps] == list(range(1, 8))
    assert all(not step.ok for step in steps)  # each frame asks for review
    carried = session.labels.read(7) == obj
    assert iou(carried, masks[7]) > 0.5  # before: 0 (it stayed on the columns of frame 0)
    moved = np.nonzero(carried)[1].mean() - np.nonzero(masks[0])[1].mean()
    # of the 2.8 px the camera panned: its map measures them all (before it: about 2.3)
    assert moved > 2.5


def test_a_wide_object_the_motion_carries_is_moved_one_step_at_a_time(monkeypatch):
    """A fraction of a pixel is a small part of a wide object, and flows composed over many
    frames through an occlusion or a leak carry it off: only a thin object is chained."""
    frames, _ = panned_frames(6, 0.4)
    block = np.zeros(PANNED_SHAPE, bool)
    block[14:46, 40:72] = True
    session = AnnotationSession(frames, FloodEngine())
    obj = session.add_object().id
    session.labels.set_frame(0, np.where(block, obj, 0).astype(session.labels.dtype))
    session.set_status(0, FrameStatus.REVIEWED)
    chains = []
    original = carry_module.follow

    def recording(chain, previous, motion):
        chains.append(chain)
        return original(chain, previous, motion)

    monkeypatch.setattr(carry_module, "follow", recording)
    settings = PropagationSettings(thin=ThinSettings(width=0))
    steps = list(session.propagate([obj], 0, n_frames=5, settings=settings))
    assert len(steps) == 5 and all(not step.ok for step in steps)
    assert len(chains) == 5 and all(chain is None for chain in chains)


def test_a_correction_on_a_chains_latest_frame_goes_back_onto_its_anchor():
    """The ski's top erased on the chain's latest frame: the edited chain holds the erased mask
    there and moves it on by its fractions; restarted from the erased whole-pixel mask, it lost
    the 0.4 px the chain had moved."""
    motion = panning(0.0, 0.4)
    chain = None
    for _ in range(4):
        chain = follow(chain, ski(), motion)
    erased = chain.pixels.copy()
    erased[10:14] = False
    edited = chain.edited(erased)
    np.testing.assert_array_equal(edited.pixels, erased)
    later, restarted, strayed = edited, Chain.starting(erased, motion), 0
    for _ in range(3):
        chain, later = chain.then(motion), later.then(motion)
        expected = chain.pixels.copy()
        expected[10:14] = False
        np.testing.assert_array_equal(later.pixels, expected)
        strayed += not np.array_equal(restarted.pixels, expected)
        restarted = restarted.then(motion)
    assert strayed
    # a change beyond the chain's box: nothing says where it came from
    beyond = erased.copy()
    beyond[PANNED_SHAPE[0] - 1, PANNED_SHAPE[1] - 1] = True
    assert Chain(chain.anchor, (0, 50, 0, 60), chain.source[:, :50, :60]).edited(beyond) is None


def _long_chain(cols: float) -> Chain:
    """A ski moved five steps of ``cols`` px to the right, each step's motion composed."""
    chain, mask = None, ski()
    for _ in range(5):
        chain = follow(chain, mask, panning(0.0, cols))
        mask = chain.pixels
    return chain


def test_a_chain_read_back_from_its_arrays_is_the_same_chain():
    """Exactly: rounded even to 1/32 px, a line a pixel wide carried on lands elsewhere."""
    chain = _long_chain(0.37)
    back = Chain.from_arrays(chain.arrays())
    assert back.box == chain.box
    np.testing.assert_array_equal(back.anchor, chain.anchor)
    np.testing.assert_array_equal(back.source, chain.source)


def test_arrays_that_do_not_describe_a_chain_are_refused():
    arrays = _long_chain(0.4).arrays()
    for broken in (
        {k: v for k, v in arrays.items() if k != "box"},
        {**arrays, "box": np.array([0, 200, 0, 96])},  # beyond the frame
        {**arrays, "source": arrays["source"][:, :-1]},  # not the box's size
        {**arrays, "source": arrays["source"].astype(np.float16)},  # not exact
        {**arrays, "corner": np.array([60, 0])},  # the anchor's pixels beyond the frame
    ):
        with pytest.raises(ValueError):
            Chain.from_arrays(broken)
