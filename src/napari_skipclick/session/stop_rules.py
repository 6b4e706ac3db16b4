"""When a propagated object stops or its frame needs review beyond the quality check: a mask
that shrank to a speck or faded into the snow (``shrunk``), one that grew off the object
(``slid``), one another object's mask covers (``covered``), and what each stop says
(docs/annotation.md, *Quality measure*)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .carry import Carried
    from .propagation_settings import PropagationSettings
    from .quality import ShapeHistory


#: the share of ``min_colour_match`` under which a mask's colours no longer match the object's
#: at all (``shrunk``): a patch of snow a crest left, not an object that turned or got shaded
FADED = 0.5


def shrunk(
    area: int, carried: Carried, history: ShapeHistory, settings: PropagationSettings, hidden: bool
) -> str | None:
    """Why the object's new mask of ``area`` pixels is not the object while nothing hides it
    (it neither coasted nor still seems ``hidden``: an occluder in front shrinks it, and it may
    show again), or None. ``max_shrunk_run`` such frames in a row stop it. Either the mask is
    under ``1/max_drift_ratio`` of the area expected (``ShapeHistory.expected``, as in
    ``lost``): a speck of background the engine keeps finding (a skier gone behind a snow
    crest, a rigid blob of snow carried on with the camera). Or its colours match the object's
    under ``FADED`` times ``min_colour_match`` while its area is below the one
    ``trend_frames`` before: a crest rising slowly over it, each frame passing its area checks
    so that the area expected followed the mask down onto a patch of snow. A rider behind tree
    trunks coasts, or keeps half his colours; one riding away shrinks by his own scale
    (``size_change``), the area expected following him."""
    if area == 0 or carried.coasting or hidden:
        return None
    if area * settings.max_drift_ratio < history.expected:
        limit = f"1/{settings.max_drift_ratio:g} of the {history.expected:.0f} pixels expected"
        return f"its mask was under {limit}"
    match, faded = carried.colour_match, FADED * settings.min_colour_match
    trend = history.area_references(0, settings.trend_frames)[1]
    if match is not None and match < faded and area < trend:
        return (
            f"its colours matched the object's under {faded:g} as well as on the start frame "
            "while its area fell"
        )
    return None


def slid(
    area: int, carried: Carried, history: ShapeHistory, settings: PropagationSettings, hidden: bool
) -> bool:
    """Whether the object's new mask of ``area`` pixels has grown off the object: more than
    ``max_slid_growth`` times its area on the start frame (as its crossings of the picture's
    edges changed it) while the engine's mask was refused, the object neither coasting nor
    still seeming ``hidden``, or its colours match below ``min_colour_match``.
    ``max_slid_run`` such frames in a row stop it: a board seen from above whose mask spread
    onto the rider's legs and the mountains behind. An object coming closer grows as well,
    but the engine keeps agreeing and its colours stay its own; a leak that keeps both
    grows on, marked by the area checks."""
    start = history.areas[0]
    if not settings.max_slid_run or not start or area <= start * settings.max_slid_growth:
        return False
    refused = not (carried.from_engine or carried.camera or carried.coasting or hidden)
    match = carried.colour_match
    return refused or (match is not None and match < settings.min_colour_match)


def stop_slid(sliding: int, area: int, history: ShapeHistory) -> str:
    """Why an object whose mask ``slid`` on ``sliding`` frames in a row stops, ``area`` pixels
    on this one."""
    return (
        f"its mask grew to {area / history.areas[0]:.2f} times its start area while the engine "
        f"disagreed or its colours did not match {_in_a_row(sliding)}: it has grown off the "
        "object onto what is around it: click it where it shows"
    )


def stop_in_doubt(
    in_doubt: int, shrinking: int, why: str | None, settings: PropagationSettings
) -> str:
    """Why an object whose mask is written on the frame stops there: its mask was ``shrunk``
    (``why``, on the frame) on ``shrinking`` frames in a row (``max_shrunk_run``), or its
    track was in doubt on ``in_doubt`` (``max_review_run``)."""
    if shrinking >= settings.max_shrunk_run and why is not None:
        return (
            f"{why} {_in_a_row(shrinking)}: what the engine finds is not the object "
            "(hidden?): click it where it shows"
        )
    return f"its track was in doubt {_in_a_row(in_doubt)}"


def _in_a_row(frames: int) -> str:
    """On how many frames in a row, ending on this one."""
    return "on this frame" if frames == 1 else f"on {frames} frames in a row"


def covered(pixels: int) -> str:
    """Why a frame needs review where the overlap rule left an object none of the ``pixels`` of
    its mask there: another object's mask (one not carried with it: yours, or an earlier
    run's) holds them all. The object stops there, and may still be in view."""
    return (
        f"another object's mask holds all {pixels} pixels of its mask here (the overlap rule): "
        "it may still be in view, in front of that object"
    )
