"""One object carried to the next frame: motion-warped prior, derived clicks, engine, check.

The previous mask moves with the optical flow between the two frames (``motion``), the object
keeping its course (its shift on the step before) unless the new frame says otherwise; an engine
that can match an object between two frames' features (``ObjectMatcher``) adds its own guess.
Clicks are derived from the carried mask; the clicks the user made on the previous frame move
with the motion and join them where the carried mask still agrees with them; the engine decodes
them all with the carried mask as its prior. When the engine's mask agrees with the carried
one as well as the object's size allows, the two probability maps are averaged
(``engine_weight``), pixels of the carried mask that the motion tracks well
(``Motion.tracked``) are kept (and, when the object moves with its surroundings, such pixels
beyond it, ``Motion.outside``, are kept out, and those on its rim are not kept when it
shrinks, ``Motion.shrinks``), pixels that move with the background (``Motion.background``)
are taken out and those beyond it that the background's shift explains
(``Motion.explained``) kept out; otherwise the carried mask stands in and the frame asks for
review, moved from the last mask the engine agreed with through the steps' motions composed
(``motion_chain``), not cut to whole pixels on every step. An object of lines that moves with
its surroundings' affine map (``Motion.placed``) is what the map carries (``MAPPED``), each
pixel taken whole from where it came from (``Chain.pixels``), not held to its earlier size.
The thin parts of any other mask (lines, poles) are followed onto the new frame along their
own line (``thin_parts``), whose pixels join the mask unless they move with the background; a
straight part that turned (a swinging pole) is found again as one line (``straight_parts``).
Objects carried onto a frame together are each moved first (``move_object``): the engine's
answer for one does not take what the others' moved masks hold and its own does not (a ski's
answer that runs up the boots of the skier carried with it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import ndimage

from ..engines.base import Engine, Features, ObjectMatcher, carried_decode
from ..types import Click
from .appearance import ColourModel, ring_width
from .derived_clicks import carried_clicks, derive_clicks
from .fusion import fuse
from .line_support import on_its_line
from .mask_measures import boundary_pixels, expected_agreement, iou, strongest, within
from .motion import Motion, estimate_motion
from .motion_background import Momentum
from .motion_chain import Chain, follow
from .picture_edges import in_picture
from .straight_parts import with_thin_parts
from .thin_parts import mostly_lines, thin_part

if TYPE_CHECKING:
    from .propagation_settings import PropagationSettings


@dataclass(frozen=True)
class Carried:
    """What carrying one object produced.

    ``probabilities`` is the new mask's probability map; ``prior`` the carried (warped) mask
    given to the engine; ``clicks`` the clicks derived from it, then the user's clicks carried
    from the previous frame (``carried_clicks``); ``agreement`` the IoU of the engine's mask
    with the carried one and ``expected`` the agreement the object's size allows;
    ``refusal`` says why the carried mask replaced the engine's result (its IoU with the
    carried mask, or its area, with the limit; ``MAPPED`` for an object of lines its
    surroundings' map moved, ``Moved.mapped``), None when the engine's result was taken
    (``from_engine``); ``confidence`` is the engine's mean probability over the new mask;
    ``momentum`` and ``coasting`` are the motion's (``Motion.momentum``, ``Motion.coasting``);
    ``shift`` is the object's displacement that moved the mask (``Motion.shift``), None when
    the mask did not move with one; ``in_frame`` the object's area within the picture as the
    motion moves it across an edge (``Moved.visible``), relative to its area on the previous
    frame: below 1 as it leaves, 0 when it has left (its mask is empty), above 1 as it enters;
    ``colour_match`` how well the new mask's colours match the object's (``ColourModel.match``),
    None without colours; ``held_back`` the pixels a line object's budget kept off the mask
    (``thin_parts.line_budget``): the engine, the colours and the lines found wanted it larger;
    ``zoom`` the camera's zoom the motion measured (``Motion.zoom``), None where unmeasured;
    ``camera`` whether it moved with its surroundings' affine map (``Motion.camera``);
    ``scale`` the object's own scale change the motion measured on its pixels
    (``Motion.scale``), None where unmeasured;
    ``on_line`` whether the frame shows an object the map carried (``MAPPED``) as a line where
    the map put it (``line_support.on_its_line``).
    """

    probabilities: np.ndarray
    prior: np.ndarray
    clicks: list[Click]
    agreement: float
    expected: float
    refusal: str | None
    confidence: float
    momentum: Momentum | None = None
    coasting: bool = False
    shift: np.ndarray | None = None
    in_frame: float = 1.0
    colour_match: float | None = None
    held_back: int = 0
    zoom: float | None = None
    camera: bool = False
    scale: float | None = None
    on_line: bool = False

    @property
    def left_frame(self) -> bool:
        """Whether the object has left the frame: the motion moved all of it beyond an edge."""
        return self.in_frame == 0.0

    @property
    def from_engine(self) -> bool:
        """Whether the engine's result was taken (it agreed with the carried mask)."""
        return self.refusal is None


@dataclass(frozen=True)
class Moved:
    """The previous mask moved onto the new frame: the ``motion`` (None for an empty mask, and
    for one moved across frames it is marked absent on, ``ready.moved_across``),
    the moved mask's probabilities ``prior`` and pixels ``carried``, the object's
    displacement ``shift`` (None when the mask did not move with one), ``visible``, its area
    within the picture as the motion moves it across an edge (``in_picture``: what left it
    does not count, what entered it does) and ``entering``, the pixels of ``carried`` that
    came in from beyond an edge (None when none did); ``chain`` the motions that moved it since
    the last mask the engine agreed with (``motion_chain``; None when the mask stayed);
    ``mapped`` whether it is an object of lines that its surroundings' affine map moved
    and places (``Motion.placed``, ``thin_parts.mostly_lines``): the map alone carries it."""

    motion: Motion | None
    prior: np.ndarray
    carried: np.ndarray
    shift: np.ndarray | None
    visible: int
    entering: np.ndarray | None = None
    chain: Chain | None = None
    mapped: bool = False


def move_object(
    previous_image: np.ndarray,
    image: np.ndarray,
    previous: np.ndarray,
    settings: PropagationSettings,
    matched: np.ndarray | None = None,
    momentum: Momentum | None = None,
    course: np.ndarray | None = None,
    chain: Chain | None = None,
    thin: bool = False,
) -> Moved:
    """The mask ``previous`` moved from ``previous_image`` onto ``image``; where the motion tore
    or squeezed it beyond ``max_area_ratio`` (of its area within the picture, ``in_picture``:
    an object crossing an edge of the picture shrinks or grows), it stays where it was.

    Args:
        previous_image: the frame ``previous`` belongs to, uint8 ``(H, W, 3)``.
        image: the new frame, same shape.
        previous: the object's boolean mask on ``previous_image``.
        settings: the motion and area settings.
        matched: an engine's own probability that each pixel of ``image`` shows the object
            (see ``ObjectMatcher``), averaged with the motion-warped mask when given.
        momentum: how the object and the background moved on the step before
            (``Carried.momentum``), so that it coasts past an occluder (``estimate_motion``).
        course: the object's displacement on the step before (``Carried.shift``), or None:
            the object keeps its course unless the new frame says clearly otherwise.
        chain: the motions that moved the object onto ``previous_image`` since the engine last
            agreed with its mask (``Moved.chain``), or None: a mask the motion alone carried
            is moved from that mask through them, at sub-pixel positions, not from ``previous``.
        thin: the object is thin (``ShapeHistory.thin``): moving with its surroundings, it
            moves with their affine map (``estimate_motion``'s ``surroundings``).
    """
    area = int(np.count_nonzero(previous))
    band = settings.jitter * boundary_pixels(previous)
    motion = estimate_motion(
        previous_image, image, previous, settings.motion, momentum, course, surroundings=thin
    )
    if motion is None:
        return Moved(None, previous.astype(np.float32), previous, None, area)
    chain = follow(chain, previous, motion)
    prior = chain.mask
    # moved with its surroundings' map, an object of lines is the pixels the map puts it on,
    # each whole (a line one pixel wide keeps its width); the engine is still given the
    # bilinear prior, whose soft edge its answers are used to
    mapped = motion.placed and _lines_only(previous, settings)
    pixels = chain.pixels if mapped else prior > 0.5
    visible, entering = in_picture(previous, motion, pixels)
    if matched is not None:
        prior = 0.5 * (prior + np.clip(np.asarray(matched, np.float32), 0.0, 1.0))
    carried = pixels if mapped else prior > 0.5
    if visible and not within(int(carried.sum()), visible, settings.max_area_ratio, band):
        # the flow tore or squeezed the mask (a large change of appearance): do not trust it
        return Moved(motion, previous.astype(np.float32), previous, None, area)
    return Moved(motion, prior, carried, motion.shift, visible, entering, chain, mapped)


def carry_object(
    previous_image: np.ndarray,
    image: np.ndarray,
    previous: np.ndarray,
    moved: Moved,
    features: Features,
    engine: Engine,
    settings: PropagationSettings,
    colours: ColourModel | None = None,
    user_clicks: Sequence[Click] = (),
    others: np.ndarray | None = None,
    expected_area: float | None = None,
) -> Carried:
    """Carry the boolean mask ``previous`` of ``previous_image`` onto ``image``.

    Args:
        previous_image: the frame ``previous`` belongs to, uint8 ``(H, W, 3)``.
        image: the new frame, same shape.
        previous: the object's mask on ``previous_image``.
        moved: ``previous`` moved onto ``image`` (``move_object``).
        features: the engine's features of ``image``.
        engine: decodes the derived clicks with the carried prior.
        settings: derived clicks, motion and agreement settings.
        colours: the object's colour model from the start frame, or None.
        user_clicks: the clicks the user made for the object on ``previous_image`` (a
            correction says what the object is, and is not, on the next frame too); those
            that hold there (``carried_clicks``, ``settings.click_depth``) join the derived
            clicks.
        others: the pixels that the other objects carried onto ``image`` with this one hold
            (their moved masks), or None: the engine's answer does not take them where this
            object's moved mask does not hold them (a ski's answer that runs up the boots of
            the skier carried with it).
        expected_area: the area it is expected to have on ``previous_image``
            (``quality.ShapeHistory.expected``), a line object's budget's base; None: none.
    """
    area = int(np.count_nonzero(previous))
    band = settings.jitter * boundary_pixels(previous)
    motion, prior, carried, shift = moved.motion, moved.prior, moved.carried, moved.shift
    visible = moved.visible  # its area within the picture as the motion moves it
    if visible == 0:
        # the motion moved all of it beyond an edge of the picture: nothing is left to find
        empty = np.zeros(previous.shape, np.float32)
        return Carried(empty, prior, [], 1.0, 1.0, None, 0.0, shift=shift, in_frame=0.0)
    likelihood = None
    if colours is not None and settings.colour_weight > 0:
        likelihood = colours.likelihood(image, carried, ring_width(previous))
    # what came in from beyond an edge of the picture continues the object as it was at the
    # edge: a guess the motion cannot check, no ground for clicks, unknown to the engine,
    # and the engine says
    entering = moved.entering
    known, asked = carried, prior
    if entering is not None:
        known, asked = carried & ~entering, np.where(entering, 0.5, prior).astype(np.float32)
    clicks = derive_clicks(known, settings)
    if settings.click_depth >= 0:
        clicks += carried_clicks(user_clicks, motion, known, settings.click_depth)
    probabilities = np.asarray(carried_decode(engine)(features, clicks, asked), np.float32)
    if others is not None:
        theirs = others & ~carried
        probabilities[theirs] = np.minimum(probabilities[theirs], 0.49)
    decoded = probabilities > 0.5
    agreement = iou(decoded, carried)
    expected = expected_agreement(carried, settings.jitter)
    refusal = _refusal(agreement, expected, int(decoded.sum()), visible, band, settings)
    mapped = moved.mapped
    if mapped:
        refusal = MAPPED
    if refusal is None:
        fused = fuse(probabilities, prior, carried, likelihood, settings)
        if motion is not None:
            y0, y1, x0, x1 = motion.box
            crop = fused[y0:y1, x0:x1]  # a view: the changes below land in ``fused``
            if motion.tracked is not None:
                # what the motion follows well stays, whatever the engine and colours say
                own = known[y0:y1, x0:x1]
                kept = motion.tracked & own
                if motion.shrinks(settings.motion.shrink):
                    # ... except on the rim of an object that shrinks with its surroundings
                    # (a camera zooming out), which the motion follows there as well: the
                    # engine and the colours take off the sliver it lost
                    kept &= ndimage.binary_erosion(own)
                crop[kept] = np.maximum(crop[kept], 0.51)
            if motion.outside is not None:
                # the object moves with its surroundings (a camera panning over a standing
                # skier, a still frame): what the motion follows well beyond it stays out, or
                # the ring the engine and the colours each put a pixel out grows it frame
                # after frame
                out = motion.outside & ~carried[y0:y1, x0:x1]
                crop[out] = np.minimum(crop[out], 0.49)
            if motion.background is not None:
                # what moves with the background is not the object, whatever its colour
                crop[motion.background] = np.minimum(crop[motion.background], 0.49)
            if motion.explained is not None:
                # beyond the moved mask, what the background's shift explains stays out,
                # however plain: the engine and the colours creep into a streaked background
                # a ring a frame behind a rider the camera follows
                out = motion.explained & ~carried[y0:y1, x0:x1]
                crop[out] = np.minimum(crop[out], 0.49)
        if entering is not None:
            fused[entering] = probabilities[entering]
    else:
        # the engine lost the object (occlusion) or leaked: the motion carries it for review
        # no larger than before: a flow spread over texture (a board before trees) would
        # otherwise grow the mask frame after frame with nothing to check it (an object of
        # lines the map moved has the size the map gives it: a camera zooming in lengthens a
        # pole)
        carried = known if mapped else strongest(prior, known, visible)
        fused = np.where(carried, np.maximum(prior, 0.51), np.minimum(prior, 0.49))
        if mapped and entering is not None:
            # what came in from beyond an edge the map cannot place: the engine says
            fused[entering] = probabilities[entering]
    turned, held = False, 0
    if motion is not None and not motion.coasting and not mapped and settings.thin.width:
        fused, turned, held = with_thin_parts(
            fused, previous_image, image, previous, motion, settings.thin, visible, expected_area
        )
        if turned:
            # a line that turned left the clicks derived from the carried mask on the snow
            # where it was: they describe the new mask instead
            clicks = derive_clicks(fused > 0.5, settings)
            if settings.click_depth >= 0:
                clicks += carried_clicks(user_clicks, motion, fused > 0.5, settings.click_depth)
    mask = fused > 0.5
    confidence = float(probabilities[mask].mean()) if mask.any() else 0.0
    on_line = mapped and on_its_line(previous_image, image, previous, mask, settings.thin)
    colour_match = None if likelihood is None else colours.match(likelihood, mask)
    fused = fused.astype(np.float32)
    measured, coasting = (motion.momentum, motion.coasting) if motion else (None, False)
    if turned:
        measured = None  # the shift of a line that swings is no speed against the background
    return Carried(
        fused,
        prior,
        clicks,
        agreement,
        expected,
        refusal,
        confidence,
        measured,
        coasting,
        shift,
        visible / area if area else 1.0,
        colour_match,
        held,
        None if motion is None else motion.zoom,
        motion is not None and motion.camera,
        None if motion is None else motion.scale,
        on_line,
    )


#: why an object of lines (a pole, skis) that moved with its surroundings' affine map is
#: carried by the map alone (``Motion.placed``): the map places it to a tenth of a pixel, and
#: the engine's answer for a line a few pixels wide, loose by a pixel or two, would undo that
#: (its agreement with the carried mask tells little at that width: ``expected_agreement``)
MAPPED = (
    "it moves with its surroundings (a camera's pan, zoom or roll), whose map places a line "
    "this thin better than the engine"
)


def _lines_only(mask: np.ndarray, settings: PropagationSettings) -> bool:
    """Whether the object of boolean ``mask`` is mostly lines (``thin_parts.mostly_lines``)."""
    return mostly_lines(mask, thin_part(mask, settings.thin), settings.thin)


def _refusal(
    agreement: float,
    expected: float,
    decoded_area: int,
    area: int,
    band: float,
    settings: PropagationSettings,
) -> str | None:
    """Why the engine's mask is not taken (in words, with the limit), or None when it is:
    its IoU with the carried mask is below ``min_agreement`` of what the object's size allows
    (``expected``), or its area ``decoded_area`` is not within ``max_area_ratio`` of the
    object's ``area`` on the previous frame, widened by ``band``."""
    needed = settings.min_agreement * expected
    if agreement < needed:
        return (
            f"the engine's mask disagrees with the motion (IoU {agreement:.2f}, at least "
            f"{needed:.2f} needed for an object of this size)"
        )
    if not within(decoded_area, area, settings.max_area_ratio, band):
        return (
            f"the engine's mask has {decoded_area:,} pixels where the object had {area:,} "
            f"(limit: a factor {settings.max_area_ratio:g} either way, give or take "
            f"{band:.0f} pixels along its boundary)"
        )
    return None


def matcher_of(engine: Engine) -> ObjectMatcher | None:
    """The engine as an ``ObjectMatcher`` when it offers one, else None."""
    return engine if isinstance(engine, ObjectMatcher) else None
