"""What session edits return, and the error for results computed against an outdated state."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..checks import as_click, click_inside
from ..types import Click


class StaleResultError(RuntimeError):
    """A result was computed with another engine or before the frame changed; recompute it."""


class FeaturesNotReady(LookupError):
    """A decode that may not encode found the frame's features gone from the cache."""


@dataclass(frozen=True)
class EditResult:
    """Outcome of decoding one object's clicks on one frame.

    ``clicks`` are the clicks inside the image (the ones kept); ``ignored`` the ones outside
    it, with ``message`` saying so. ``mask`` is the decoded mask before the overlap rule;
    ``generation`` and ``base_version`` tie the result to the engine and the frame state it
    was computed from. ``stamp`` is when the user asked for the edit (``History.tick``; None:
    when it is applied): its undo step keeps that place among their actions.
    """

    frame: int
    obj_id: int
    clicks: list[Click]
    ignored: list[Click]
    probabilities: np.ndarray = field(repr=False)
    generation: int
    base_version: tuple[int, int]
    zoom_box: tuple[int, int, int, int] | None = None
    stamp: int | None = None

    @property
    def mask(self) -> np.ndarray:
        """Boolean (H, W) mask: probabilities above 0.5."""
        return self.probabilities > 0.5

    @property
    def message(self) -> str | None:
        """Why some clicks were ignored, or None."""
        if not self.ignored:
            return None
        where = ", ".join(f"(y={c.y:g}, x={c.x:g})" for c in self.ignored)
        height, width = self.probabilities.shape
        noun = "click" if len(self.ignored) == 1 else "clicks"
        return f"ignored {noun} outside the {height}x{width} image: {where}"


def split_inside(
    clicks: Sequence[Click | tuple], shape: tuple[int, int]
) -> tuple[list[Click], list[Click]]:
    """Clicks inside the (H, W) image, and those outside it (or not finite)."""
    kept, ignored = [], []
    for i, value in enumerate(clicks):
        click = as_click(value, i)
        (kept if click_inside(click.y, click.x, shape) else ignored).append(click)
    return kept, ignored
