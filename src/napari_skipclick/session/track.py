"""An object's motion over a propagation run: what it coasts on with past an occluder, and
the course it keeps from one run to the next."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ..engines.cache import frame_hash
from .carry import Carried
from .motion import MotionSettings
from .motion_background import Momentum
from .motion_chain import Chain

if TYPE_CHECKING:
    from .store_protocol import Store

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


class Move(NamedTuple):
    """An object's move onto a frame: from the frame ``direction`` before it, by ``shift``
    (rows, columns), its area within the picture changed by ``in_frame`` as it crossed an edge
    of it (``Carried.in_frame``; 1: no crossing)."""

    direction: int
    shift: np.ndarray
    in_frame: float = 1.0


#: a frame's saved courses: object ID -> named arrays (``Courses.records``)
CourseRecord = Mapping[int, Mapping[str, np.ndarray]]
#: an object's courses, as ``Courses.forget`` dropped them: its moves by (frame, object), and
#: its chains by frame
ForgottenCourses = tuple[dict[tuple[int, int], Move], dict[int, tuple[Chain, str] | None]]


class Courses:
    """How far each object moved onto each frame that propagation carried it to
    (``Carried.shift``): the course the next step from that frame expects, within a run and
    when the user propagates one frame at a time and corrects in between (the motion between
    two frames does not change with a correction); and the chains that carried a thin object's
    mask onto the frames runs left it on (``Track.chain``), which a run from one of them goes
    on with, edited to a correction of that mask since (``Chain.edited``): propagated one
    frame at a time, or again from a frame corrected in the middle of a run, a thin object
    moves as in one run, not cut to whole pixels there. Thread-safe.

    Saved in the store (``records``, written by the session's commits) and read back frame by
    frame the first time a frame's are asked for, so that a project reopened goes on as it was
    left; the store keeps the chains of the same ``KEPT_CHAINS`` frames per object as memory
    does. A hint, not an annotation: what cannot be read back is left out, not an error.

    Args:
        store: gives the store the courses are saved in (the session's, which may change), or
            None when there is none.
    """

    def __init__(self, store: Callable[[], Store | None] | None = None) -> None:
        self._moves: dict[tuple[int, int], Move] = {}
        #: object -> frame -> (chain, hash of the mask it carried there); None: saved, not read
        self._chains: dict[int, dict[int, tuple[Chain, str] | None]] = {}
        self._lock = threading.RLock()
        self._store = store or (lambda: None)
        self._indexed = False  # whether the saved chains' frames are known
        #: the store whose course index is read in the background, and that read (``index_ahead``)
        self._ahead: tuple[Store, Future[dict[int, dict[int, set[str]]]]] | None = None
        self._read: set[int] = set()  # frames whose saved courses were read
        self._changed: set[int] = set()  # frames whose courses changed since ``records``
        self._forgotten: set[int] = set()

    def index_ahead(self) -> None:
        """Start reading which frames of the store hold saved courses in a thread of its own;
        the first call that needs them takes its result (``_index_saved``)."""
        store = self._store()
        if store is None:
            return
        future: Future[dict[int, dict[int, set[str]]]] = Future()

        def read() -> None:
            try:
                future.set_result(store.course_index())
            except BaseException as exc:  # re-raised by the caller that needs it
                future.set_exception(exc)

        with self._lock:
            self._ahead = (store, future)
        threading.Thread(target=read, name="skipclick-course-index", daemon=True).start()

    def remember_chain(self, t: int, obj_id: int, chain: Chain | None, mask: np.ndarray) -> None:
        """Object ``obj_id``'s mask ``mask`` (boolean, frame-sized) on frame ``t``, carried
        there by ``chain`` (None: not by a chain, which forgets the object's there); the
        object's chains on the ``KEPT_CHAINS`` frames it was carried onto last are kept."""
        kept = None if chain is None else (chain, frame_hash(np.asarray(mask, bool)))
        with self._lock:
            self._read_saved(t)
            self._keep(obj_id, t, kept)

    def chain(self, t: int, obj_id: int, mask: np.ndarray) -> Chain | None:
        """The chain that carried object ``obj_id`` onto frame ``t`` the last time it was
        carried there, edited to its mask there now, ``mask``, when that changed since (a
        correction, an undo: ``Chain.edited``); None when no kept chain carried it there, or
        ``mask`` changed beyond the chain's box."""
        with self._lock:
            self._read_saved(t)
            kept = self._chains.get(obj_id, {}).get(t)
        if kept is None:
            return None
        mask = np.asarray(mask, bool)
        return kept[0] if kept[1] == frame_hash(mask) else kept[0].edited(mask)

    def remember(
        self,
        t: int,
        obj_id: int,
        direction: int,
        shift: np.ndarray | None,
        in_frame: float = 1.0,
    ) -> None:
        """Object ``obj_id`` moved by ``shift`` (rows, columns; None: unknown) onto frame
        ``t`` from frame ``t - direction``, its area within the picture changed by
        ``in_frame`` (``Move``)."""
        with self._lock:
            self._read_saved(t)
            self._changed.add(t)
            if shift is None:
                self._moves.pop((t, obj_id), None)
            else:
                shift = np.asarray(shift, np.float32).copy()
                self._moves[(t, obj_id)] = Move(direction, shift, float(in_frame))

    def forget(self, obj_id: int) -> ForgottenCourses:
        """Drop every move and the chains of object ``obj_id`` (it was deleted); the frames
        that saved some are saved again without them by the next commit (``records``): a new
        object given its ID after reopening starts afresh. Returns what it dropped
        (``restore`` puts it back)."""
        with self._lock:
            self._read_all_saved()
            self._forgotten.add(obj_id)
            moves = {key: move for key, move in self._moves.items() if key[1] == obj_id}
            chains = self._chains.pop(obj_id, {})
            self._changed |= {t for t, _ in moves} | set(chains)
            self._moves = {key: move for key, move in self._moves.items() if key[1] != obj_id}
            return moves, chains

    def restore(self, obj_id: int, forgotten: ForgottenCourses) -> None:
        """Put back the courses of object ``obj_id`` that ``forget`` dropped (its deletion was
        undone); the next commit saves them again."""
        moves, chains = forgotten
        with self._lock:
            self._forgotten.discard(obj_id)
            self._moves.update(moves)
            if chains:
                self._chains[obj_id] = dict(chains)
            self._changed |= {t for t, _ in moves} | set(chains)

    def came(self, t: int, obj_id: int) -> int | None:
        """The direction the object was last carried onto frame ``t`` in (1: from the frame
        before, -1: from the one after); None when unknown."""
        with self._lock:
            self._read_saved(t)
            move = self._moves.get((t, obj_id))
        return None if move is None else move.direction

    def in_frame(self, t: int, obj_id: int) -> float:
        """How the object's area within the picture changed as it was last carried onto frame
        ``t`` (``Move.in_frame``); 1 when unknown (courses saved before it was kept)."""
        with self._lock:
            self._read_saved(t)
            move = self._moves.get((t, obj_id))
        return 1.0 if move is None else move.in_frame

    def expected(self, t: int, obj_id: int, direction: int) -> np.ndarray | None:
        """The displacement the object is expected to make from frame ``t`` to
        ``t + direction``: its last move onto ``t``, reversed when it came from the other
        side; None when unknown."""
        with self._lock:
            self._read_saved(t)
            move = self._moves.get((t, obj_id))
        if move is None:
            return None
        came, shift, _ = move
        return shift if came == direction else -shift

    def records(self) -> dict[int, CourseRecord]:
        """The courses of every frame whose courses changed since they were last asked for,
        to save: object by object, the move onto the frame (``direction``, ``shift``,
        ``in_frame``) and the
        chain (``Chain.arrays`` and the ``mask`` hash it was carried to); an empty record
        removes a frame's. ``unsaved`` puts back those that could not be written."""
        with self._lock:
            changed, self._changed = sorted(self._changed), set()
            records: dict[int, dict[int, dict[str, np.ndarray]]] = {}
            for t in changed:
                self._read_saved(t)
                records[t] = {}
            for (t, obj), move in self._moves.items():  # one pass over them all
                if t in records:
                    records[t][obj] = {
                        "direction": np.array(move.direction, np.int64),
                        "shift": move.shift,
                        "in_frame": np.array(move.in_frame, np.float64),
                    }
            for obj, chains in self._chains.items():
                for t, record in records.items():
                    kept = chains.get(t)
                    if kept is not None:
                        arrays = record.setdefault(obj, {})
                        arrays.update(kept[0].arrays(), mask=np.array(kept[1]))
            return records

    def resave_all(self) -> None:
        """Read every frame's saved courses and count every frame with courses as changed, so
        that the next commits write them all: into another store (``save_to``)."""
        with self._lock:
            self._read_all_saved()
            self._changed |= {t for t, _ in self._moves}
            self._changed |= {t for chains in self._chains.values() for t in chains}

    def unsaved(self, frames: Iterable[int]) -> None:
        """The courses of ``frames`` were not saved (``records``): the next commit tries again."""
        with self._lock:
            self._changed.update(frames)

    def _keep(self, obj_id: int, t: int, kept: tuple[Chain, str] | None) -> None:
        """Set object ``obj_id``'s chain on frame ``t`` (None: none) as its newest, dropping its
        oldest beyond ``KEPT_CHAINS`` (the lock held)."""
        chains = self._chains.setdefault(obj_id, {})
        had = t in chains
        chains.pop(t, None)
        if kept is not None:
            chains[t] = kept
        if had or kept is not None:
            self._changed.add(t)
        self._trim(chains)

    def _trim(self, chains: dict[int, tuple[Chain, str] | None]) -> None:
        """Drop an object's oldest ``chains`` beyond ``KEPT_CHAINS``; their frames are saved
        again without them (the lock held)."""
        while len(chains) > KEPT_CHAINS:
            oldest = next(iter(chains))
            del chains[oldest]
            self._changed.add(oldest)

    def _read_all_saved(self) -> None:
        """Take in every frame's saved courses (the lock held)."""
        store = self._store()
        for t in [] if store is None else store.course_index():
            self._read_saved(t)

    def _index_saved(self) -> None:
        """Learn, once, on which frames the store holds each object's chains, oldest frame
        first, so that the same are kept and dropped as in memory (the lock held)."""
        if self._indexed:
            return
        self._indexed = True
        store = self._store()
        ahead, self._ahead = self._ahead, None
        if store is None:
            return
        index = ahead[1].result() if ahead and ahead[0] is store else store.course_index()
        for t, objects in sorted(index.items()):
            for obj, names in objects.items():
                if "source" in names and obj not in self._forgotten:
                    chains = self._chains.setdefault(obj, {})
                    chains[t] = None
                    self._trim(chains)

    def _read_saved(self, t: int) -> None:
        """Take in frame ``t``'s saved courses the first time the frame is touched (the lock
        held): a move or chain set since stays; one that cannot be read is left out."""
        self._index_saved()
        store = self._store()
        if store is None or t in self._read:
            return
        self._read.add(t)
        for obj, arrays in store.read_courses(t).items():
            if obj in self._forgotten:
                continue
            try:
                move = _saved_move(arrays)
                chain = Chain.from_arrays(arrays) if "source" in arrays else None
                mask_hash = str(arrays["mask"]) if chain is not None else ""
            except (KeyError, TypeError, ValueError):
                continue
            if move is not None:
                self._moves.setdefault((t, obj), move)
            chains = self._chains.get(obj, {})
            if chain is not None and t in chains and chains[t] is None:
                chains[t] = (chain, mask_hash)


def _saved_move(arrays: Mapping[str, np.ndarray]) -> Move | None:
    """The saved move among a frame's ``arrays`` for one object, None when none was saved;
    raises ``ValueError`` for a damaged one. One saved before ``in_frame`` was kept crossed no
    edge."""
    if "shift" not in arrays:
        return None
    direction = int(arrays["direction"])
    shift = np.asarray(arrays["shift"], np.float32)
    in_frame = float(arrays["in_frame"]) if "in_frame" in arrays else 1.0
    finite = np.isfinite(shift).all() and np.isfinite(in_frame) and in_frame >= 0
    if direction not in (1, -1) or shift.shape != (2,) or not finite:
        raise ValueError("not a saved move")
    return Move(direction, shift, in_frame)
