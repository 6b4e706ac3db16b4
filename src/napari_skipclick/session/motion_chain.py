"""A mask that the motion alone carries over several steps, moved from the last mask the
engine agreed with through the steps' motions composed.

Moved one step at a time, such a mask is cut to whole pixels on every frame (a pixel is in it
or not) and the fraction of a pixel each step moves it is lost: a ski two pixels wide that a
camera pans over by 0.4 px a frame does not move at all, and one that it zooms onto sheds or
gains a pixel of width where rounding says so, frame after frame. A chain keeps, for every
pixel of the latest frame, where it came from on the anchor frame, so that the mask is
sampled from the anchor once, at sub-pixel positions. Where the chain's mask strays from the
previous mask moved one step (a flow torn by a leak composes badly), the chain starts again.
A correction on the latest frame goes back onto the anchor (``Chain.edited``), so that the
chain goes on with it: restarted from the corrected whole-pixel mask, a line a pixel or two
wide lands up to half a pixel off, and half of it misses on the next frame.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import ndimage
from scipy.ndimage import map_coordinates

from .motion import Motion, mask_at, source_points

#: the share of a chain's mask that must lie within a pixel of the previous mask moved one step
#: for the chain to go on (``follow``)
AGREEMENT = 0.9


@dataclass(frozen=True)
class Chain:
    """The mask ``anchor`` (float32, frame-sized) on the frame a chain starts from, and
    ``source``, where each pixel of ``box`` (``(y0, y1, x0, x1)``) on the latest frame came from
    on that frame (rows, columns; ``(2, y1 - y0, x1 - x0)``)."""

    anchor: np.ndarray
    box: tuple[int, int, int, int]
    source: np.ndarray

    @classmethod
    def starting(cls, mask: np.ndarray, motion: Motion) -> Chain:
        """The chain of one step: ``mask`` (boolean or float) moved by ``motion``."""
        return cls(np.asarray(mask, np.float32), motion.box, source_points(motion))

    def then(self, motion: Motion) -> Chain:
        """The chain one step further, ``motion`` moving its latest frame onto the next.

        Each pixel of the next frame came from a point of the latest one (``motion``), which
        came from the anchor frame by the chain's displacement there, interpolated; beyond the
        chain's box its displacement continues as at the box's edge.
        """
        points = source_points(motion)
        y0, _, x0, _ = self.box
        height, width = self.source.shape[1:]
        rows, cols = np.mgrid[0:height, 0:width].astype(np.float32)
        local = points - np.array([y0, x0], np.float32)[:, None, None]
        moved = [
            map_coordinates(self.source[axis] - grid, local, order=1, mode="nearest")
            for axis, grid in ((0, rows + y0), (1, cols + x0))
        ]
        return Chain(self.anchor, motion.box, points + np.stack(moved))

    def arrays(self) -> dict[str, np.ndarray]:
        """The chain as plain named arrays to save (``Chain.from_arrays`` reads them back):
        the anchor's pixels within their bounding box (``anchor``, boolean, at ``corner``), the
        frame's size, the chain's box, and where each box pixel came from (``source``, exact:
        rounded even to 1/32 px, a line a pixel wide carried on from it lands elsewhere within a
        few frames)."""
        held = self.anchor > 0.5
        rows, cols = np.nonzero(held)
        corner = (int(rows.min()), int(cols.min())) if rows.size else (0, 0)
        end = (int(rows.max()) + 1, int(cols.max()) + 1) if rows.size else (0, 0)
        return {
            "anchor": held[corner[0] : end[0], corner[1] : end[1]],
            "corner": np.array(corner, np.int64),
            "frame": np.array(self.anchor.shape, np.int64),
            "box": np.array(self.box, np.int64),
            "source": np.asarray(self.source, np.float32),
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> Chain:
        """The chain that ``arrays`` (``Chain.arrays``) hold; raises ``ValueError`` when they
        do not describe one (a damaged or foreign file)."""
        try:
            frame = tuple(int(n) for n in arrays["frame"])
            corner = tuple(int(n) for n in arrays["corner"])
            box = tuple(int(n) for n in arrays["box"])
            held, source = np.asarray(arrays["anchor"], bool), np.asarray(arrays["source"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a saved chain: {exc}") from exc
        y0, y1, x0, x1 = box if len(box) == 4 else (0, -1, 0, -1)
        size = (y1 - y0, x1 - x0)
        if (
            len(frame) != 2
            or len(corner) != 2
            or not 0 <= y0 < y1 <= frame[0]
            or not 0 <= x0 < x1 <= frame[1]
            or source.shape != (2, *size)
            or source.dtype != np.float32
            or held.ndim != 2
            or min(corner) < 0
            or corner[0] + held.shape[0] > frame[0]
            or corner[1] + held.shape[1] > frame[1]
        ):
            raise ValueError("a saved chain's arrays do not fit its frame and box")
        anchor = np.zeros(frame, np.float32)
        anchor[corner[0] : corner[0] + held.shape[0], corner[1] : corner[1] + held.shape[1]] = held
        return cls(anchor, box, source)

    @cached_property
    def mask(self) -> np.ndarray:
        """The anchor's mask on the latest frame, sampled bilinear: float32 in [0, 1], 0 off
        the box."""
        return mask_at(self.anchor, self.box, self.source)

    @cached_property
    def pixels(self) -> np.ndarray:
        """The anchor's pixels on the latest frame, each taken from the nearest pixel where it
        came from (boolean): a line one pixel wide keeps its width, where the bilinear
        ``mask`` falls below one half between two pixels on both sides of it."""
        return mask_at(self.anchor, self.box, self.source, order=0) > 0.5

    def edited(self, mask: np.ndarray) -> Chain | None:
        """The chain whose pixels on its latest frame are (nearly) the boolean ``mask``: each
        anchor pixel that a pixel where they differ came from takes the value that most of the
        pixels coming from it have in ``mask`` (a tie keeps it in the mask). Under a zoom onto
        the object several pixels come from one anchor pixel, and a correction of one of them
        may stay or take the others with it. None when ``mask`` differs beyond the chain's box
        (nothing says where those pixels came from)."""
        differ = mask != self.pixels
        if not differ.any():
            return self
        y0, y1, x0, x1 = self.box
        inside = differ[y0:y1, x0:x1]
        if np.count_nonzero(inside) != np.count_nonzero(differ):
            return None
        height, width = mask.shape
        rows = np.clip(np.rint(self.source[0]), 0, height - 1).astype(np.intp)
        cols = np.clip(np.rint(self.source[1]), 0, width - 1).astype(np.intp)
        origin = (rows * width + cols).ravel()  # the anchor pixel each box pixel came from
        touched = np.unique(origin[inside.ravel()])
        held = mask[y0:y1, x0:x1].ravel().astype(np.float64)
        votes = np.bincount(origin, weights=held)[touched]
        counts = np.bincount(origin)[touched]
        anchor = self.anchor.copy()
        anchor.flat[touched] = votes >= 0.5 * counts
        return Chain(anchor, self.box, self.source)


def follow(chain: Chain | None, previous: np.ndarray, motion: Motion) -> Chain:
    """The chain that moves the boolean mask ``previous`` by ``motion``: ``chain`` (the motions
    that carried it since its mask was last agreed, or None) one step further, unless at least
    ``1 - AGREEMENT`` of its pixels (``Chain.pixels``) lie more than a pixel from those of
    ``previous`` moved one step (a flow torn by a leak composes badly; a user or a line search
    changed the mask), when a chain of one step from ``previous`` starts."""
    fresh = Chain.starting(previous, motion)
    if chain is None:
        return fresh
    longer = chain.then(motion)
    y0, y1, x0, x1 = motion.box
    ours = longer.pixels[y0:y1, x0:x1]
    near = ndimage.binary_dilation(fresh.pixels[y0:y1, x0:x1], np.ones((3, 3), bool))
    if ours.any() and np.count_nonzero(ours & near) >= AGREEMENT * np.count_nonzero(ours):
        return longer
    return fresh
