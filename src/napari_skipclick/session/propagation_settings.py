"""The settings of propagation: derived clicks, motion, the engine's share, review limits."""

from __future__ import annotations

from dataclasses import dataclass, field

from .motion import MotionSettings
from .thin_parts import ThinSettings


@dataclass(frozen=True)
class PropagationSettings:
    """How propagation carries an object and when a frame needs review.

    The previous mask moves with the motion between the frames (``motion``); clicks derived
    from it (at most ``max_positive`` inside, where the mask is at least ``interior`` of its
    deepest, ``max_negative`` on a ring outside; see ``derived_clicks.derive_clicks``), the
    clicks the user made on the previous frame, moved too, where they lie at least
    ``click_depth`` pixels on their side of the moved mask (``derived_clicks.carried_clicks``;
    negative: never), and the moved
    mask as prior go to the engine. When the engine's mask has an IoU with the moved mask of at
    least ``min_agreement`` times what the object's size allows (boundaries ``jitter`` pixels
    apart), the new probabilities are ``engine_weight`` times the engine's plus the rest times
    the moved mask, mixed with ``colour_weight`` of the object's colour likelihood (its colours
    on the start frame against those around it now); the engine and the colours decide only
    within ``band`` times the square root of the area of the moved boundary (see
    ``fusion.fuse``). Otherwise the moved mask stands in. A frame needs review when that
    happens, when the area differs from the previous frame's by more than ``max_area_ratio``
    either way, from the area ``trend_frames`` frames before by more than ``max_trend_ratio``
    (a leak that creeps, or a mask that an occluder wears away, a few per cent a frame), or
    from the start frame's by more than ``max_drift_ratio`` (all widened by a band of
    ``jitter`` pixels along the boundary, so small objects are judged by their size; a thin
    object's length by the same limits, ``quality.ShapeHistory``), or when the confidence
    (mean probability over the mask) is below ``min_confidence``, or when the new mask's
    colours match the object's less than ``min_colour_match`` times as well as its mask on the
    start frame did (``appearance.ColourModel.match``: a mask that slid onto something else; not
    checked with ``colour_weight`` 0, nor for an object whose colours do not stand out). The object
    goes on through such frames (short occlusions) and stops when its mask is empty, when the
    engine loses it after its mask shrank below ``1/max_drift_ratio`` of the area expected
    (``quality.lost``), or after ``max_review_run`` frames in a row on which its track is in
    doubt: the motion carried it because the engine disagreed, it coasted or still seemed
    hidden, it reappeared after frames marked absent, or the confidence was low; or after
    ``max_shrunk_run`` frames in a row on which the engine kept a mask under
    ``1/max_drift_ratio`` of the area expected, or one whose colours match under half
    ``min_colour_match`` while its area falls, while nothing seemed to hide it
    (``stop_rules.shrunk``: a speck of background, or a patch of the crest that rose over it);
    or after ``max_slid_run`` frames in a row on which its mask is more than
    ``max_slid_growth`` times its area on the start frame while the engine's mask was refused
    (not a coast) or its colours match below ``min_colour_match`` (``stop_rules.slid``: a mask
    grown off the object onto what is around it; 0 frames: never).
    A frame that needs review for its area, length or colours alone (the engine and the motion
    agree, the engine is confident) is no doubt about the track: the object goes on, the frame
    marked, and the run of doubtful frames starts again. An object that moved against the
    background and seems to stall with it (an occluder passing in front, see
    ``MotionSettings.stall``) coasts on with its earlier motion for at most ``max_coast``
    frames in a row, each of them marked for review; then its measured motion is believed,
    and frames still need review while the object seems as stopped as when the run began.
    Through at most ``max_coast`` frames in a row where you marked it absent it goes on too,
    writing nothing there, onto the next frame with the motion it is expected to keep, which
    needs review (``ready``).
    Thin parts of the mask (a kite's lines, a stick, a pole) are followed onto each frame
    along their own line (``thin``, see ``thin_parts.ThinSettings``).
    """

    max_area_ratio: float = 1.5
    max_trend_ratio: float = 1.5
    trend_frames: int = 5
    max_drift_ratio: float = 3.0
    min_confidence: float = 0.6
    min_colour_match: float = 0.7
    max_positive: int = 5
    interior: float = 0.25
    max_negative: int = 4
    click_depth: float = 3.0
    min_agreement: float = 0.5
    engine_weight: float = 0.5
    jitter: float = 1.5
    max_review_run: int = 10
    max_shrunk_run: int = 3
    max_slid_growth: float = 1.5
    max_slid_run: int = 3
    max_coast: int = 10
    colour_weight: float = 0.33
    band: float = 0.05
    motion: MotionSettings = field(default_factory=MotionSettings)
    thin: ThinSettings = field(default_factory=ThinSettings)

    def __post_init__(self) -> None:
        if min(self.max_area_ratio, self.max_trend_ratio, self.max_drift_ratio) < 1:
            raise ValueError("max_area_ratio, max_trend_ratio and max_drift_ratio must be >= 1")
        if self.trend_frames < 2:
            raise ValueError("trend_frames must be >= 2")
        shares = (self.min_confidence, self.min_agreement, self.min_colour_match)
        if not all(0 <= v <= 1 for v in shares):
            raise ValueError("min_confidence, min_agreement and min_colour_match must be in [0, 1]")
        if not all(0 <= v <= 1 for v in (self.engine_weight, self.colour_weight)):
            raise ValueError("engine_weight and colour_weight must lie in [0, 1]")
        if self.band < 0:
            raise ValueError("band must be >= 0")
        if self.max_positive < 1 or self.max_negative < 0:
            raise ValueError("need at least one positive click and no negative count below 0")
        if not 0 < self.interior <= 1:
            raise ValueError("interior must lie in (0, 1]")
        if self.jitter < 0 or min(self.max_review_run, self.max_shrunk_run) < 1:
            raise ValueError("jitter must be >= 0, max_review_run and max_shrunk_run >= 1")
        if self.max_coast < 0:
            raise ValueError("max_coast must be >= 0")
        if self.max_slid_growth < 1 or self.max_slid_run < 0:
            raise ValueError("max_slid_growth must be >= 1 and max_slid_run >= 0")
