"""How much an object grows or shrinks between two frames, from the dense flow over it."""

from __future__ import annotations

import numpy as np

#: the fewest textured pixels of the object over which its scale change is fitted
MIN_PIXELS = 30


def scale_change(flow: np.ndarray, inside: np.ndarray, textured: np.ndarray) -> float | None:
    """The object's size on the new frame over its size on the previous one.

    A similarity about the object's centre, ``flow(q) = a (q - c) + t``, is fitted by least
    squares to the backward flow at its textured pixels (a flow on plain snow says nothing);
    the object grows by ``1 / (1 + a)``. A camera that zooms out by 1 % a frame gives 0.990.

    Args:
        flow: backward flow ``(2, H, W)`` (rows, columns): pixel ``q`` of the new frame came
            from ``q + flow[:, q]``.
        inside: boolean ``(H, W)``, the object's pixels.
        textured: boolean ``(H, W)``, where the flow can be measured.

    Returns:
        The scale change, or None when fewer than ``MIN_PIXELS`` of the object's pixels are
        textured.
    """
    used = inside & textured
    if np.count_nonzero(used) < MIN_PIXELS:
        return None
    rows, cols = np.nonzero(used)
    dy, dx = rows - rows.mean(), cols - cols.mean()
    fy, fx = flow[0][used], flow[1][used]
    spread = float((dy**2 + dx**2).sum())  # > 0: the pixels are many and distinct
    a = float((dy * (fy - fy.mean())).sum() + (dx * (fx - fx.mean())).sum()) / spread
    return 1.0 / (1.0 + a) if a > -1.0 else None
