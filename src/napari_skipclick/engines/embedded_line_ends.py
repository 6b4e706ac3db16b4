"""A pole traced on past the clicks on it, while the image shows it.

Two clicks on a pole give the thin pass the pole between them, and a little beyond (its crop);
the annotator meant the whole pole. So when the thin pass answers clicks on a pole
(``thin_objects``), the line through two clicks made one after the other on it is followed on
from each of them, a pixel at a time, as far as the pole still stands out from the snow on
both sides of it: at each step the pixel at most one pixel across the line that stands out
most must be darker (or brighter, as the pole is at the clicks) than each of the two points
``SIDE`` pixels beyond the pole's edges by at least ``SHARE`` of that contrast at the clicks.
The trace bends with the pole by half a pixel a step at most, jumps gaps of up to ``MAX_GAP``
pixels (a gate pole crossing it) and stops at a negative click, at the image's edge, or after
``MAX_LENGTH`` pixels (docs/engines.md, *Two clicks on a pole give the whole pole*). A lone
click on a pole is traced the same way, with a point two pixels along the pole's direction as
its second click (``embedded_thin_pass``; *One click on a pole gives the pole*).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np

from ..types import Click
from .embedded_features import lab_lightness

if TYPE_CHECKING:
    from .embedded_settings import EmbeddedSettings

#: pixels beyond the pole's edge where its surroundings are read, on either side
SIDE = 3.0
#: share of the pole's contrast at the clicks that the trace needs at each step
SHARE = 0.5
#: the longest run of steps without the pole that the trace jumps
MAX_GAP = 3
#: the longest trace, in pixels, from either click
MAX_LENGTH = 300
#: share of the way between two clicks over which the pole must show for them to be on one
HELD = 0.8
#: a negative click this close to the trace stops it
STOP_NEAR = 3.0


def traced_ends(
    lab8: np.ndarray, clicks: list[Click], widths: dict[int, float], s: EmbeddedSettings
) -> np.ndarray:
    """Pixels of the poles beyond the clicks on them (boolean, the image's shape).

    Args:
        lab8: the image's Lab colours (``lab_uint8``).
        clicks: all clicks.
        widths: the line widths at the positive clicks, by click index (``line_width``);
            the clicks with a width of at most ``s.thin_width`` are on a pole.
        s: the engine's settings.

    Each two clicks on a pole made one after the other (the annotator clicks along one pole,
    then along the next) between which the pole shows at ``SHARE`` of its contrast at them
    over at least ``HELD`` of the way are on one pole: it is traced on from both (see the
    module).
    """
    out = np.zeros(lab8.shape[:2], bool)
    on = [i for i in sorted(widths) if widths[i] <= s.thin_width]
    if len(on) < 2:
        return out
    lightness = lab_lightness(lab8)
    stops = np.array([[c.y, c.x] for c in clicks if not c.positive], np.float64).reshape(-1, 2)
    for first, second in pairwise(on):
        a = np.array([clicks[first].y, clicks[first].x])
        b = np.array([clicks[second].y, clicks[second].x])
        length = float(np.hypot(*(b - a)))
        if length < 1:
            continue
        along = (b - a) / length
        pole = _Pole.through(lightness, a, b, (widths[first] + widths[second]) / 4 + SIDE)
        if pole.level <= 0:
            continue
        steps = np.arange(1, max(int(length), 2))
        if np.mean([pole.at(a + t * along) is not None for t in steps]) < HELD:
            continue
        for start, direction in ((b, along), (a, -along)):
            _trace(out, pole, start, direction, stops)
    return out


@dataclass(frozen=True)
class _Pole:
    """How a pole shows in ``lightness``: ``across`` it, darker (``sign`` −1) or brighter (+1)
    than the points ``side`` pixels beyond its edges on both sides by at least ``level``."""

    lightness: np.ndarray
    across: np.ndarray
    side: float
    sign: float
    level: float = 0.0

    @classmethod
    def through(cls, lightness: np.ndarray, a: np.ndarray, b: np.ndarray, side: float) -> _Pole:
        """The pole through clicks ``a`` and ``b`` (distinct): its polarity and ``SHARE`` of
        its contrast there (the smaller side's, the mean of the two clicks)."""
        along = (b - a) / float(np.hypot(*(b - a)))
        probe = cls(lightness, np.array([-along[1], along[0]]), side, 1.0)
        middle = [probe.value(p) - 0.5 * sum(probe.sides(p)) for p in (a, b)]
        sign = float(np.sign(np.mean(middle)))
        pole = replace(probe, sign=sign)
        contrast = np.mean([pole.contrast(p) for p in (a, b)])
        return replace(pole, level=SHARE * float(contrast))

    def value(self, p: np.ndarray) -> float:
        """Lightness at the pixel nearest ``p`` (clamped to the image)."""
        height, width = self.lightness.shape
        y, x = np.rint(p).astype(int)
        return float(self.lightness[min(max(y, 0), height - 1), min(max(x, 0), width - 1)])

    def sides(self, p: np.ndarray) -> tuple[float, float]:
        """Lightness at the two points ``side`` pixels across from ``p``."""
        return self.value(p + self.side * self.across), self.value(p - self.side * self.across)

    def contrast(self, p: np.ndarray) -> float:
        """How far ``p`` stands out from both sides in the pole's polarity (the smaller of the
        two differences: an edge between snow and a darker leg is no pole)."""
        centre = self.value(p)
        return min(self.sign * (centre - side) for side in self.sides(p))

    def at(self, p: np.ndarray) -> int | None:
        """The offset (−1, 0 or 1 pixel across) at which the pole shows near ``p``, or None."""
        found, offset = max((self.contrast(p + k * self.across), k) for k in (-1, 0, 1))
        return offset if found >= self.level else None


def _trace(
    out: np.ndarray, pole: _Pole, start: np.ndarray, direction: np.ndarray, stops: np.ndarray
) -> None:
    """Mark in ``out`` the pole's pixels from ``start`` along ``direction`` (see the module)."""
    height, width = out.shape
    base, gap = start.copy(), 0
    for step in range(1, MAX_LENGTH + 1):
        here = base + step * direction
        if not (0 <= here[0] <= height - 1 and 0 <= here[1] <= width - 1):
            return
        if len(stops) and np.hypot(*(stops - here).T).min() <= STOP_NEAR:
            return
        offset = pole.at(here)
        if offset is None:
            gap += 1
            if gap > MAX_GAP:
                return
            continue
        gap = 0
        y, x = np.rint(here + offset * pole.across).astype(int)
        out[min(max(y, 0), height - 1), min(max(x, 0), width - 1)] = True
        base = base + 0.5 * offset * pole.across  # the pole bends a little: follow it
