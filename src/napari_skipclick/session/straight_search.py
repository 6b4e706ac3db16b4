"""Where a straight segment (a pole) lies on the next frame: the search over shifts of its
centre and turns about it or about the end it swings about (``straight_parts``)."""

from __future__ import annotations

import math

import numpy as np

from ..shapes import on_picture
from .thin_parts import ThinSettings, in_picture_mean

#: largest shift, in pixels, of its centre beyond where the motion puts it
REACH = 12
#: the rest of an object, beside a straight piece, below this share of the piece: the piece
#: may swing about either end
ALONE = 0.2


def pivots(previous: np.ndarray, piece: np.ndarray, ends: np.ndarray) -> tuple[int, ...]:
    """The ends a straight ``piece`` of mask ``previous`` may swing about (-1: ``ends[0]``,
    1: ``ends[1]``): the one nearer the rest of the object (a pole swings about the hand, a
    racket's handle about the wrist), or both when the piece is nearly all of it (a pole
    annotated alone)."""
    rest = previous.copy()
    rest[piece[:, 0], piece[:, 1]] = False
    others = np.argwhere(rest)
    if len(others) < ALONE * len(piece):
        return (-1, 1)
    near = [float(np.min(np.sum((others - end) ** 2, axis=1))) for end in ends]
    return (-1,) if near[0] <= near[1] else (1,)


def search(
    strength: np.ndarray,
    predicted: np.ndarray,
    angle: float,
    length: float,
    s: ThinSettings,
    swing: tuple[int, ...] = (),
) -> tuple[float, np.ndarray, float] | None:
    """The best placement of a segment ``length`` long on ``strength`` (clipped to 1) that lay
    at ``angle``: its score (mean strength at its points less ``drift`` per pixel of shift
    from where the turn puts it), centre and turn from ``angle``; shifts within ``REACH`` and
    turns within ``s.turn`` degrees about its centre and about each end ``swing`` names (-1:
    the end behind the centre along ``angle``, 1: the one ahead; ``pivots``): a pole swings
    about the grip, and turned about it its centre moves by more than ``REACH``. First on a
    grid twice as coarse, then around its best."""
    turn_step = math.atan2(1.0, length / 2)  # the ends move by one pixel
    max_turn, drift = math.radians(s.turn), s.drift
    t = points(length)
    half = (length / 2) * np.array([math.sin(angle), math.cos(angle)])
    coarse_turns = np.arange(-(max_turn // (2 * turn_step)), max_turn // (2 * turn_step) + 1)
    best = None
    for pivot in (None, *(predicted + sign * half for sign in swing)):
        found = best_placement(
            strength,
            predicted,
            angle,
            t,
            drift,
            predicted,
            np.arange(-REACH, REACH + 1, 2.0),
            coarse_turns * (2 * turn_step),  # no turn among them
            pivot=pivot,
        )
        if found is not None and (best is None or found[0] > best[0]):
            best = found
    if best is None:
        return None
    _, centre, turn, expected = best
    fine = np.arange(-2.0, 3.0)
    found = best_placement(
        strength,
        centre,
        angle + turn,
        t,
        drift,
        expected,
        fine,
        np.arange(-2, 3) * turn_step,
        offset=turn,
    )
    return None if found is None else found[:3]


def points(length: float) -> np.ndarray:
    """Places along a segment ``length`` long, one pixel apart, from its centre."""
    return np.linspace(-length / 2, length / 2, max(int(length) + 1, 2))


def best_placement(
    strength: np.ndarray,
    centre: np.ndarray,
    angle: float,
    t: np.ndarray,
    drift: float,
    predicted: np.ndarray,
    shifts: np.ndarray,
    turns: np.ndarray,
    offset: float = 0.0,
    pivot: np.ndarray | None = None,
) -> tuple[float, np.ndarray, float, np.ndarray] | None:
    """The best of the placements ``centre + (dy, dx)`` (``dy``, ``dx`` in ``shifts``) turned
    by each of ``turns`` from ``angle`` about ``pivot`` (None: ``centre``): (score, centre,
    turn + ``offset``, where the turn puts ``predicted``, from which the shift is measured).
    The points that the unturned placement at ``predicted`` puts beyond the picture
    (``strength`` reaches past every placement but where the picture ends) have left it: they
    count nowhere."""
    ahead = predicted[:, None] + np.outer([math.sin(angle - offset), math.cos(angle - offset)], t)
    present = on_picture(ahead[0], ahead[1], strength.shape)
    height, width = strength.shape
    dy, dx = (v.ravel() for v in np.meshgrid(shifts, shifts, indexing="ij"))
    best: tuple[float, np.ndarray, float, np.ndarray] | None = None
    for turn in turns:
        axis = np.array([math.sin(angle + turn), math.cos(angle + turn)])
        base, expected = centre, predicted
        if pivot is not None:
            c, s = math.cos(turn), math.sin(turn)
            turned = np.array([[c, s], [-s, c]])  # (rows, columns): turns like ``axis``
            base = pivot + turned @ (centre - pivot)
            expected = pivot + turned @ (predicted - pivot)
        ys = base[0] + dy[:, None] + t[None, :] * axis[0]
        xs = base[1] + dx[:, None] + t[None, :] * axis[1]
        rows, cols = np.rint(ys).astype(int), np.rint(xs).astype(int)
        inside = on_picture(rows, cols, strength.shape) & present
        values = strength[np.clip(rows, 0, height - 1), np.clip(cols, 0, width - 1)]
        # the shift, and how far the turn moves the ends: the least change wins a tie
        moved = np.hypot(base[0] + dy - expected[0], base[1] + dx - expected[1])
        moved += abs(turn + offset) * float(t[-1])
        score = in_picture_mean(values, inside, axis=1) - drift * moved
        k = int(np.argmax(score))
        if best is None or score[k] > best[0]:
            place = np.array([base[0] + dy[k], base[1] + dx[k]])
            best = (float(score[k]), place, turn + offset, expected)
    return best
