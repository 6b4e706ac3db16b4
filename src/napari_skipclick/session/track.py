"""An object's motion over a propagation run: what it coasts on with past an occluder, and
the course it keeps from one run to the next."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from ..engines.cache import frame_hash
from .carry import Carried
from .motion import MotionSettings
from .motion_background import Momentum
from .motion_chain import Chain

#: frames an object's chains are kept for (``Courses.remember_chain``; each holds where every
#: pixel of the object's box came from: about 0.5 MB for a box of 250 × 250 pixels)
KEPT_CHAINS = 32
#: steps over which an object's steady motion against the background is taken (the median of
#: those the engine agreed with, ``Momentum.steady``)
STEADY_STEPS = 5


@dataclass
class Track:
    """An object's motion against the background on its last step, how many steps in a row it
    has coasted on with it, the motion it had before its last coasting run began, and its
    relative motions on the last ``STEADY_STEPS`` steps that did not coast (None where the
    engine disagreed); ``chain``, the motions that carried its mask since the engine last
    agreed with it (``Moved.chain``; None when the engine agreed on the last step), kept for
    a ``chained`` object only (a thin one: ``ShapeHistory.thin``)."""

    last: Momentum | None = None
    coasted: int = 0
    before_coasting: Momentum | None = None
    recent: list[np.ndarray | None] = field(default_factory=list)
    chain: Chain | None = None
    chained: bool = False

    def momentum(self, max_coast: int) -> Momentum | None:
        """The last step's motion, with the steady motion to coast on with (the median of the
        recent relative motions the engine agreed with); None when the last step's is unknown
        or once ``max_coast`` steps in a row coasted."""
        if self.last is None or self.coasted >= max_coast:
            return None
        kept = [r for r in self.recent if r is not None]
        steady = np.median(kept, axis=0).astype(np.float32) if kept else None
        return Momentum(self.last.relative, self.last.background, steady)

    def update(self, carried: Carried, settings: MotionSettings) -> bool:
        """Remember the step's motion, unless the engine disagreed with it (the flow may have
        torn: a leak, a change of appearance) and it was not coasting; a step that did not
        coast also joins the recent ones the steady motion is taken over.

        Returns whether the object, after a coasting run ended, still keeps less than
        ``settings.stall`` of its motion against the background from before the run: it may
        still be behind the occluder, its mask moving with it.
        """
        if carried.coasting and not self.coasted:
            self.before_coasting = self.last
        self.coasted = self.coasted + 1 if carried.coasting else 0
        trusted = carried.from_engine or carried.coasting
        self.last = carried.momentum if trusted else None
        if not carried.coasting:
            agreed = carried.momentum if carried.from_engine else None
            relative = None if agreed is None else agreed.relative
            self.recent = [*self.recent, relative][-STEADY_STEPS:]
        if carried.coasting or self.before_coasting is None:
            return False
        now = carried.momentum
        speed = float(np.hypot(*self.before_coasting.relative))
        if now is not None and float(np.hypot(*now.relative)) < settings.stall * speed:
            return True
        self.before_coasting = None  # it moves against the background again, or unmeasured
        return False


class Courses:
    """How far each object moved onto each frame that propagation carried it to
    (``Carried.shift``): the course the next step from that frame expects, within a run and
    when the user propagates one frame at a time and corrects in between (the motion between
    two frames does not change with a correction); and the chains that carried a thin object's
    mask onto the frames runs left it on (``Track.chain``), which a run from one of them goes
    on with, edited to a correction of that mask since (``Chain.edited``): propagated one
    frame at a time, or again from a frame corrected in the middle of a run, a thin object
    moves as in one run, not cut to whole pixels there. Thread-safe; not saved (a hint, not
    an annotation)."""

    def __init__(self) -> None:
        self._moves: dict[tuple[int, int], tuple[int, np.ndarray]] = {}
        self._chains: dict[int, dict[int, tuple[Chain, str]]] = {}
        self._lock = threading.Lock()

    def remember_chain(self, t: int, obj_id: int, chain: Chain | None, mask: np.ndarray) -> None:
        """Object ``obj_id``'s mask ``mask`` (boolean, frame-sized) on frame ``t``, carried
        there by ``chain`` (None: not by a chain, which forgets the object's there); the
        object's chains on the ``KEPT_CHAINS`` frames it was carried onto last are kept."""
        with self._lock:
            chains = self._chains.setdefault(obj_id, {})
            chains.pop(t, None)
            if chain is not None:
                chains[t] = (chain, frame_hash(np.asarray(mask, bool)))
            while len(chains) > KEPT_CHAINS:
                del chains[next(iter(chains))]

    def chain(self, t: int, obj_id: int, mask: np.ndarray) -> Chain | None:
        """The chain that carried object ``obj_id`` onto frame ``t`` the last time it was
        carried there, edited to its mask there now, ``mask``, when that changed since (a
        correction, an undo: ``Chain.edited``); None when no kept chain carried it there, or
        ``mask`` changed beyond the chain's box."""
        with self._lock:
            kept = self._chains.get(obj_id, {}).get(t)
        if kept is None:
            return None
        mask = np.asarray(mask, bool)
        return kept[0] if kept[1] == frame_hash(mask) else kept[0].edited(mask)

    def remember(self, t: int, obj_id: int, direction: int, shift: np.ndarray | None) -> None:
        """Object ``obj_id`` moved by ``shift`` (rows, columns; None: unknown) onto frame
        ``t`` from frame ``t - direction``."""
        with self._lock:
            if shift is None:
                self._moves.pop((t, obj_id), None)
            else:
                self._moves[(t, obj_id)] = (direction, np.asarray(shift, np.float32).copy())

    def forget(self, obj_id: int) -> None:
        """Drop every move and the chain of object ``obj_id`` (it was deleted)."""
        with self._lock:
            self._moves = {key: move for key, move in self._moves.items() if key[1] != obj_id}
            self._chains.pop(obj_id, None)

    def expected(self, t: int, obj_id: int, direction: int) -> np.ndarray | None:
        """The displacement the object is expected to make from frame ``t`` to
        ``t + direction``: its last move onto ``t``, reversed when it came from the other
        side; None when unknown."""
        with self._lock:
            move = self._moves.get((t, obj_id))
        if move is None:
            return None
        came, shift = move
        return shift if came == direction else -shift
