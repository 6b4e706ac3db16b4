"""The quality check of a propagated frame: when it needs review, and when the track itself
is in doubt (docs/annotation.md, *Quality measure*)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .carry import Carried, boundary_pixels, within

if TYPE_CHECKING:
    from .propagation import PropagationSettings


def assess(
    carried: Carried,
    previous_area: int,
    areas: list[int],
    settings: PropagationSettings,
    hidden: bool = False,
) -> tuple[np.ndarray, int, float, float, str | None, bool]:
    """Mask, area, area ratio, confidence, why the frame needs review (or None), and whether
    the track itself is in doubt (the engine disagreed, the object coasted or still seems
    hidden, or the confidence is low; an area check alone is no doubt about the track).

    Args:
        carried: what carrying the object produced.
        previous_area: the object's area on the previous frame.
        areas: its areas on the frames of this run so far, the start frame first.
        settings: the limits.
        hidden: the object still seems stopped against the background after a coasting run
            ended (it may still be behind the occluder).

    Area limits are widened by a band of ``jitter`` pixels along the mask's boundary, so a
    thin or small object is not judged like a large one.
    """
    probabilities = carried.probabilities
    mask = probabilities > 0.5
    area = int(mask.sum())
    ratio = area / previous_area if previous_area else 0.0
    confidence = carried.confidence
    band = settings.jitter * boundary_pixels(mask)
    start_area = areas[0] if areas else 0
    back = min(settings.trend_frames, len(areas))
    trend_area = areas[-back] if areas else 0
    reason = None
    if area == 0:
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
    elif not carried.from_engine:
        reason = f"{carried.refusal}; the motion carried it"
    elif not within(area, previous_area, settings.max_area_ratio, band):
        reason = f"area changed by a factor {ratio:.2f} (limit {settings.max_area_ratio:g})"
    elif trend_area and not within(area, trend_area, settings.max_trend_ratio, band):
        reason = (
            f"area changed by a factor {area / trend_area:.2f} over {back} frames "
            f"(limit {settings.max_trend_ratio:g})"
        )
    elif start_area and not within(area, start_area, settings.max_drift_ratio, band):
        reason = (
            f"area drifted by a factor {area / start_area:.2f} since the start frame "
            f"(limit {settings.max_drift_ratio:g})"
        )
    elif confidence < settings.min_confidence:
        reason = f"low confidence {confidence:.2f} (limit {settings.min_confidence:g})"
    doubtful = (
        carried.coasting
        or hidden
        or not carried.from_engine
        or confidence < settings.min_confidence
    )
    return mask, area, ratio, confidence, reason, doubtful
