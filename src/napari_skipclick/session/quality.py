"""The quality check of a propagated frame: when it needs review, and when the track itself
is in doubt (docs/annotation.md, *Quality measure*)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..shapes import median_width, skeleton_length
from .carry import MAPPED, Carried
from .line_support import OFF_LINE
from .mask_measures import boundary_pixels, within

if TYPE_CHECKING:
    from .propagation_settings import PropagationSettings


#: the widest object, in pixels (twice the median distance of its pixels to the outside), whose
#: length the quality check follows: a ski, a pole, a board seen edge-on, a stick
THIN_WIDTH = 4.0


#: the share of an object's area on the start frame at or below which one crossing out of the
#: picture has left it (``ShapeHistory.crossing``): what the motion keeps within is a sliver,
#: most often a rim of background its mask held, which the engine and the motion then carried
#: on as the object onto every frame before ``max_review_run`` stopped it
GONE_SHARE = 0.05

#: the factor either way within which an object's area follows the square of its own scale
#: change on a step for that change to be believed (``size_change``)
SCALE_TOLERANCE = 1.1

#: the references a value is checked against: its value on the previous frame, the value
#: ``trend_frames`` before and how many frames back that is, and the start frame's value
References = tuple[int, int, int, int]

#: how the marks of the checks against the start frame (``since_start``) say where from
SINCE_START = "since the start frame"

#: how the marks of the checks against the frames before (``since_before``) say what changed,
#: the factor after it (``trend_only`` reads the marks by it), and how those against the start
#: frame's area and length say it (``since_start``; they end with ``SINCE_START``)
CHANGED = "changed by a factor"
DRIFTED = "drifted by a factor"


@dataclass
class ShapeHistory:
    """An object's shape on the frames of a propagation run so far, the start frame first: its
    areas and, for a thin object (``median_width`` at most ``THIN_WIDTH`` on the start frame),
    the lengths of its skeleton (``skeleton_length``; None on a frame that needed review, whose
    shape is no reference, unless only its line budget held pixels back); ``lengths`` is None
    for a wider object. ``expected`` is the area it is expected to have on the last frame: its
    area on the last frame that passed, grown or shrunk since by the camera's zoom as the motion
    measured it, or its own scale where it rides away (``size_change``), and by its crossings
    of the picture's edges (``crossing``), the base of a line object's budget
    (``thin_parts.line_budget``). ``inside`` is its area
    within the picture against the start frame's, as its crossings changed it,
    ``start_boundary`` the pixels of its boundary on the start frame (``growth``) and
    ``shrunk`` and ``slid`` the frames in a row up to the last on which its mask was
    ``shrunk`` and ``slid``."""

    areas: list[int] = field(default_factory=list)
    lengths: list[int | None] | None = None
    expected: float = 0.0
    inside: float = 1.0
    start_boundary: int = 0
    shrunk: int = 0
    slid: int = 0

    @property
    def thin(self) -> bool:
        """Whether the object is thin (its length is followed)."""
        return self.lengths is not None

    @classmethod
    def starting(cls, mask: np.ndarray) -> ShapeHistory:
        """The history of a run that starts from boolean ``mask``."""
        thin = 0 < median_width(mask) <= THIN_WIDTH
        area = int(np.count_nonzero(mask))
        lengths = [skeleton_length(mask)] if thin else None
        return cls([area], lengths, float(area), start_boundary=boundary_pixels(mask))

    def add(
        self,
        area: int,
        length: int | None,
        passed: bool = True,
        zoom: float | None = None,
        scale: float | None = None,
    ) -> None:
        """Record the next frame's area and length (``assess``: None when the frame is no
        reference for the shape); the area is the one expected from now on when the frame
        ``passed`` the check, else the one expected so far grows or shrinks by the step's
        size change (``size_change``), squared."""
        previous = self.areas[-1]
        self.areas.append(area)
        if self.lengths is not None:
            self.lengths.append(length)
        change = size_change(area, previous, zoom, scale)
        self.expected = float(area) if passed else self.expected * change**2

    def crossing(self, share: float) -> bool:
        """The object's area within the picture changes by ``share`` on the next frame as it
        crosses an edge of it (``Carried.in_frame``): every area and length recorded so far is
        scaled by it, so that the part that left is not missed, nor the part that entered
        taken for a leak. Returns whether it has left: crossing out, at most ``GONE_SHARE`` of
        its area on the start frame stays within the picture."""
        self.inside *= share
        if share != 1.0:
            self.areas = [round(area * share) for area in self.areas]
            self.expected *= share
            if self.lengths is not None:
                # a line crossing lengthwise shortens, one crossing broadside does not: no
                # length is a reference until a frame passes again
                self.lengths = [None] * len(self.lengths)
        return share < 1.0 and self.inside <= GONE_SHARE

    def area_references(self, previous_area: int, trend_frames: int) -> References:
        """The references of the area, with ``previous_area`` on the frame carried from."""
        back = min(trend_frames, len(self.areas))
        return previous_area, self.areas[-back], back, self.areas[0]

    def length_references(self, trend_frames: int) -> References | None:
        """The references of a thin object's length, each the nearest frame that passed at or
        before it; None for a wider object, or when no frame since it crossed an edge of the
        picture passed (``crossing``)."""
        if self.lengths is None:
            return None
        back = min(trend_frames, len(self.lengths))
        passed = [(i, n) for i, n in enumerate(self.lengths) if n is not None]
        if not passed:
            return None
        earlier = [n for i, n in passed if i <= len(self.lengths) - back]
        trend = earlier[-1] if earlier else passed[0][1]
        return passed[-1][1], trend, back, passed[0][1]


def size_change(area: int, previous: int, zoom: float | None, scale: float | None) -> float:
    """How much an object whose area went from ``previous`` to ``area`` on a step got bigger
    or smaller: its own ``scale`` the motion measured on its pixels (``Carried.scale``) where
    that shrinks it and its area shrank in step (within ``SCALE_TOLERANCE``), riding away from
    the camera; else the camera's ``zoom`` (``Carried.zoom``; None: unmeasured, 1). An occluder
    rising over it, or a speck of background the engine keeps, shrinks its flow's fit too,
    but not in step with its area; its own growth is not taken (the flow over a mask that grew
    onto its surroundings would swell it)."""
    own = scale is not None and scale < 1.0 and previous > 0
    if own and within(area, round(previous * scale**2), SCALE_TOLERANCE, 0.0):
        return scale
    return zoom or 1.0


def _changed(
    value: int,
    references: References,
    settings: PropagationSettings,
    band: float,
    what: str,
    start: bool = False,
) -> str | None:
    """Why ``value`` (an area or a length) breaks the limits against its ``references``, or
    None: the previous frame's value (``max_area_ratio``) and the one ``trend_frames`` before
    (``max_trend_ratio``), or with ``start`` the start frame's alone (``max_drift_ratio``),
    each widened by ``band``. A reference of 0 is not checked."""
    previous, trend, back, first = references
    checks = (
        ((first, settings.max_drift_ratio, DRIFTED, f" {SINCE_START}"),)
        if start
        else (
            (previous, settings.max_area_ratio, CHANGED, ""),
            (trend, settings.max_trend_ratio, CHANGED, f" over {back} frames"),
        )
    )
    for reference, limit, how, when in checks:
        if reference and not within(value, reference, limit, band):
            factor = value / reference  # the limit holds either way: 0.67 to 1.5 for 1.5
            return f"{what} {how} {factor:.2f}{when} (limits {1 / limit:.2f}-{limit:g})"
    return None


def since_start(
    area: int, length: int | None, history: ShapeHistory, settings: PropagationSettings, band: float
) -> str | None:
    """Why a mask of ``area`` pixels (a thin object's of ``length``, else None) that passed
    every other check drifted from the start frame of ``history``, or None: its area
    (``max_drift_ratio``, widened by ``band``) and its ``growth``, then its length. These
    alone are judged against a frame that far back, so a frame marked by them alone
    (``start_only``) is judged again against a later frame you accepted (``accepted``)."""
    areas = history.area_references(0, 1)
    reason = _changed(area, areas, settings, band, "area", start=True)
    reason = reason or growth(area, history, settings)
    lengths = history.length_references(1)
    if reason is None and length is not None and lengths is not None:
        reason = _changed(length, lengths, settings, 2 * settings.jitter, "length", start=True)
    return reason


def since_before(
    area: int,
    length: int | None,
    previous_area: int,
    history: ShapeHistory,
    settings: PropagationSettings,
    band: float,
) -> str | None:
    """Why a mask of ``area`` pixels (a thin object's of ``length``, else None), carried from
    a frame where it had ``previous_area``, changed too much against the frames before it in
    ``history`` (the previous one and the one ``trend_frames`` back: its area, then its
    length, against the frames that passed), or None. A frame marked by these alone
    (``trend_only``) passed every later check but those against the start frame, so it is
    judged again against a later frame you accepted (``accepted``)."""
    areas = history.area_references(previous_area, settings.trend_frames)
    reason = _changed(area, areas, settings, band, "area")
    lengths = history.length_references(settings.trend_frames)
    if reason is None and length is not None and lengths is not None:
        reason = _changed(length, lengths, settings, 2 * settings.jitter, "length")
    return reason


def _engine_doubt(carried: Carried, settings: PropagationSettings) -> str | None:
    """Why the engine's mask is in doubt: its confidence, or its colours against the start
    frame's, or None. A line its map carried onto the line the frame shows
    (``Carried.on_line``, in its own colours) took nothing from the engine, and its colours
    are its line's."""
    if not carried.from_engine:
        return None
    confidence = carried.confidence
    if confidence < settings.min_confidence:
        return f"low confidence {confidence:.2f} (limit {settings.min_confidence:g})"
    match = carried.colour_match
    if match is not None and match < settings.min_colour_match:
        return (
            f"its colours match the object's {match:.2f} as well as on the start frame "
            f"(limit {settings.min_colour_match:g})"
        )
    return None


def start_only(reason: str | None) -> bool:
    """Whether ``reason`` (a frame's, for one object) is a mark of ``since_start`` alone."""
    return reason is not None and SINCE_START in reason and "; " not in reason


def trend_only(reason: str | None) -> bool:
    """Whether ``reason`` is a mark of ``since_before`` alone."""
    return reason is not None and CHANGED in reason and "; " not in reason


def growth(area: int, history: ShapeHistory, settings: PropagationSettings) -> str | None:
    """Why ``area`` grew too much since the start frame (the cumulative growth check), or None:
    more than ``max_trend_ratio`` times the start frame's area (as the crossings of the
    picture's edges changed it since), widened by ``jitter`` pixels along the start frame's
    boundary (scaled alike). The other checks widen their limits by the band of the new mask's
    boundary, which a leak into a busy background (tree trunks, a graffiti wall) makes ragged:
    the band grew with the leak, and a mask that grew 8 % a frame passed every check up to
    three times its start area. The start frame's boundary is the object's own, whatever the
    run did since. The camera's zoom is not counted (``Carried.zoom``, measured on the
    surroundings, compounds its errors over a run): a camera zooming in, or an object coming
    closer, 1.5 times its area or more is marked, and goes on."""
    start = history.areas[0]  # as the crossings changed it
    band = settings.jitter * history.start_boundary * math.sqrt(history.inside)
    if not start or area <= start * settings.max_trend_ratio + band:
        return None
    return (
        f"area grew by a factor {area / start:.2f} {SINCE_START} (limit "
        f"{settings.max_trend_ratio:g}, give or take {band:.0f} pixels along its boundary there)"
    )


def lost(
    carried: Carried, previous_area: int, history: ShapeHistory, settings: PropagationSettings
) -> bool:
    """Whether the object is lost: the engine no longer finds it (the motion alone carries it,
    not as an object of lines its surroundings' map places: ``carry.MAPPED``) after its mask
    had shrunk to ``previous_area`` pixels on the frame before (as the motion moves it), less
    than ``1/max_drift_ratio`` of the area expected (``ShapeHistory.expected``: on the last
    frame that passed, grown or shrunk since by the camera's zoom and its crossings of the
    picture's edges). What the engine still found is a rim that an occluder did not cover
    yet, or a speck of background; carried on, it was written on every frame up to
    ``max_review_run`` (an object coming out from behind something, propagated backward). An
    object hidden at once, its mask whole on the frame before, goes on: it may show again."""
    if carried.from_engine or carried.refusal == MAPPED:
        return False
    return previous_area * settings.max_drift_ratio < history.expected


def assess(
    carried: Carried,
    previous_area: int,
    history: ShapeHistory,
    settings: PropagationSettings,
    hidden: bool = False,
) -> tuple[np.ndarray, int, float, float, str | None, bool, int | None]:
    """Mask, area, area ratio, confidence, why the frame needs review (or None), whether the
    track itself is in doubt (the engine disagreed or its confidence is low, unless the object
    moved with its surroundings' affine map, ``Carried.camera``: a ski on plain snow the camera
    pans over, whose place the picture around it tells; the object coasted or still seems
    hidden; an area, length or colour check alone is no doubt about the track),
    and the mask's length for the shape history: for a thin object on a frame that
    passed or that only its line budget marked (the budget holds its pixels, not its extent),
    else None.

    Args:
        carried: what carrying the object produced.
        previous_area: the object's area on the previous frame, as the motion moves it
            across an edge of the picture (``Moved.visible``: what left does not count, what
            entered does).
        history: its shape on the frames of this run so far, scaled to its area within the
            picture (``ShapeHistory.crossing``).
        settings: the limits.
        hidden: the object still seems stopped against the background after a coasting run
            ended (it may still be behind the occluder).

    Area limits are widened by a band of ``jitter`` pixels along the mask's boundary, so a
    thin or small object is not judged like a large one. For a thin object that band is about
    its whole area, so its length is checked by the same limits too, widened by ``jitter``
    pixels at either end: a board whose mask breaks into specks along a tree line, or a pole
    whose mask loses its ends, keeps its area within the band but not its length.
    An object of lines its surroundings' map carried (``carry.MAPPED``) is checked by its area
    and length alone where the frame shows its line where the map put it (``Carried.on_line``),
    and needs review where it does not.
    An object that is mostly lines needs review when its budget held pixels back
    (``Carried.held_back``): held to it, its mask is what the budget kept, not what the frame
    shows, and a pole or ski that swells so frame after frame stays within every other limit.
    """
    probabilities = carried.probabilities
    mask = probabilities > 0.5
    area = int(mask.sum())
    ratio = area / previous_area if previous_area else 0.0
    confidence = carried.confidence
    band = settings.jitter * boundary_pixels(mask)
    length = skeleton_length(mask) if history.lengths is not None else None
    reason = None
    held = False  # marked only because the line budget held pixels back
    if carried.left_frame:
        pass  # the motion moved it beyond an edge: it is gone, no doubt about the track
    elif area == 0:
        reason = "the object vanished (empty mask)"
    elif carried.coasting:
        reason = (
            "the object seems to stop moving against the background (an occluder passing in "
            "front?); it moved on with its earlier motion"
        )
    elif hidden:
        reason = (
            "the object still seems stopped against the background after coasting "
            f"{settings.max_coast} frames (still behind the occluder?)"
        )
    elif lost(carried, previous_area, history, settings):
        mask = np.zeros_like(mask)
        reason = (
            f"{carried.refusal}, after its mask had shrunk to {previous_area} pixels, under "
            f"1/{settings.max_drift_ratio:g} of the {history.expected:.0f} expected: it is not "
            "here (hidden, or not in view yet): click it where it shows"
        )
        area = 0
    elif not (carried.from_engine or carried.on_line):
        reason = f"{carried.refusal}; the motion carried it"
        if carried.refusal == MAPPED:
            reason += f", and {OFF_LINE}"
    else:
        trend = since_before(area, length, previous_area, history, settings, band)
        other = _engine_doubt(carried, settings)
        reason = f"{trend}; {other}" if trend and other else trend or other
        reason = reason or since_start(area, length, history, settings, band)
        held_back = (
            f"its line would grow to {area + carried.held_back} pixels, held to {area} "
            "(a pole or ski does not widen: what joined it may be background)"
        )
        held = reason is None and carried.held_back > 0
        if carried.held_back > 0 and (held or trend_only(reason)):
            # a mark of the trend alone says every check after it passed (``accepted``)
            reason = f"{reason}; {held_back}" if reason else held_back
    doubtful = (
        carried.coasting
        or hidden
        or not (carried.from_engine or carried.camera)
        or (confidence < settings.min_confidence and not carried.camera)
    )
    reference = length if reason is None or held else None
    return mask, area, ratio, confidence, reason, doubtful, reference
