"""An object's area within the picture as the motion moves it across an edge of it."""

from __future__ import annotations

import numpy as np

from ..shapes import on_picture
from .motion import Motion, move_points


def in_picture(
    mask: np.ndarray, motion: Motion, moved: np.ndarray
) -> tuple[int, np.ndarray | None]:
    """The object's area within the picture on the new frame as the ``motion`` moves it across
    an edge, and the pixels of the moved mask ``moved`` (boolean, ``warp_mask``) that came in
    from beyond an edge (None when none did): the pixels of ``mask`` that it keeps within
    (``move_points``; none once the object has left) and those that came in count."""
    area = int(np.count_nonzero(mask))
    reach = float(np.abs(motion.flow).max(initial=0.0)) + 1.0
    rows, cols = np.nonzero(mask)
    height, width = mask.shape
    if area == 0 or (
        min(rows.min(), cols.min()) > reach
        and rows.max() < height - 1 - reach
        and cols.max() < width - 1 - reach
    ):
        return area, None  # no pixel can cross an edge
    ahead = move_points(np.stack([rows, cols], axis=1), motion)
    kept = np.isnan(ahead).any(axis=1) | on_picture(ahead[:, 0], ahead[:, 1], mask.shape)
    y0, y1, x0, x1 = motion.box
    rows, cols = np.nonzero(moved[y0:y1, x0:x1])
    source = np.stack([rows + y0, cols + x0]) + motion.flow[:, rows, cols]
    came = ~on_picture(source[0], source[1], mask.shape)
    if not came.any():
        return int(np.count_nonzero(kept)), None
    entering = np.zeros(mask.shape, bool)
    entering[rows[came] + y0, cols[came] + x0] = True
    return int(np.count_nonzero(kept) + np.count_nonzero(came)), entering
