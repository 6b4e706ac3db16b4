"""Objects carried onto one frame together: a pixel that several of them claim goes to the one
whose evidence is strongest, not to the one carried first; an object of lines that its
surroundings' map places (``carry.MAPPED``) before any other."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

#: the probability a claim that another object won is capped at (just below the mask's 0.5)
LOST = 0.49


def resolve(
    probabilities: dict[int, np.ndarray], firm: Collection[int] = ()
) -> dict[int, np.ndarray]:
    """Each object's probabilities, capped at ``LOST`` where another object claims the pixel
    with a higher probability, or where one of ``firm`` claims it and this object is not.

    Args:
        probabilities: per object id, its probability map on the frame (all the same shape);
            a pixel is claimed where it is above 0.5.
        firm: the ids whose claims go before the others' (an object of lines the camera's map
            places: its pixels are taken whole from where the map says they came from, each
            claimed at barely above 0.5 where a line a pixel wide falls between two pixels,
            while an engine's answer for a skier beside it is a pixel or two loose at his boots
            and gloves and would take them); among them, the higher probability wins.

    Ties go to the object listed first. Pixels that only one object claims are unchanged.
    """
    if len(probabilities) < 2:
        return dict(probabilities)
    ids = list(probabilities)
    stack = np.stack([np.asarray(probabilities[i], np.float32) for i in ids])
    claimed = stack > 0.5
    contested = claimed.sum(axis=0) > 1
    if not contested.any():
        return dict(probabilities)
    rank = stack + np.array([i in firm for i in ids], np.float32)[:, None, None]
    winner = np.argmax(np.where(claimed, rank, -1.0), axis=0)
    out = {}
    for index, obj_id in enumerate(ids):
        lost = contested & claimed[index] & (winner != index)
        out[obj_id] = np.where(lost, np.minimum(stack[index], LOST), stack[index])
    return out


def held_by_others(moved: dict[int, np.ndarray], obj_id: int) -> np.ndarray | None:
    """The pixels the moved masks of the objects other than ``obj_id`` hold, or None."""
    rest = [mask for other, mask in moved.items() if other != obj_id]
    return np.logical_or.reduce(rest) if rest else None
