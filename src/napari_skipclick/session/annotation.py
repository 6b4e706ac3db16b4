"""``AnnotationSession``: objects, clicks per (frame, object), masks, statuses, undo, store."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

import numpy as np

from ..checks import ids_in, made_by_user
from ..engines.base import Engine, features_key, working_grid
from ..engines.cache import FeatureCache
from ..types import DEFAULT_CLASS, Click, FrameStatus
from . import propagation as prop
from .absent import SessionAbsent
from .accepted import accept_not_carried, judge_after
from .clicks import ClickTable, timed_anew
from .corrections import corrected, one_click_added
from .deleting import SessionDeleting
from .frame_changes import FrameChange, TimedClicks, frame_change
from .frame_keys import SessionFrames
from .history import History
from .label_edits import object_edit
from .labels import LabelVolume
from .objects import SessionObjects
from .painting import SessionPainting
from .priors import DecodePriors
from .propagating import SessionPropagation
from .results import EditResult, FeaturesNotReady, StaleResultError, split_inside
from .review import SessionReview, edit_change
from .review_stops import runs_on
from .saving import SessionSaving
from .spurs import without_spur
from .state import ObjectRegistry, stored_registry
from .store_protocol import Store, check_store_fits, check_store_ids
from .thin_parts import thin_part_of
from .track import Courses
from .undoing import SessionUndo
from .zoom import decode_in_crop, zoom_box


class AnnotationSession(
    SessionObjects,
    SessionSaving,
    SessionUndo,
    SessionDeleting,
    SessionPainting,
    SessionAbsent,
    SessionPropagation,
    SessionReview,
    SessionFrames,
):
    """Annotation state of one video: the API the napari widget drives (no napari/Qt here).

    Masks come from clicks (``set_clicks``), propagation (``propagate``, ``fill``) and painting
    by hand (``paint``); each edit is undoable.

    Edits change memory only; ``commit``/``commit_all`` write them to the store and ``close``
    saves and releases it (rules in ``session.saving``). A deletion that a crash left half
    written in the store stays marked there until ``finish_deletions`` (the widget runs it as
    it opens the store).
    """

    def __init__(
        self,
        frames: Any,
        engine: Engine,
        *,
        store: Store | None = None,
        cache: FeatureCache | None = None,
        classes: str | Sequence[str] = (DEFAULT_CLASS,),
        labels_max_mib: float = 512,
        history_max: int = 10_000,
    ) -> None:
        if not hasattr(frames, "shape") or not hasattr(frames, "dtype"):
            raise ValueError(
                "frames must be an array-like (T, H, W, 3) uint8 (a numpy array, open_video(...)), "
                f"not {type(frames).__name__}"
            )
        shape = tuple(frames.shape)
        if len(shape) != 4 or shape[3] != 3:
            raise ValueError(f"frames must be (T, H, W, 3) RGB, got shape {shape}")
        if np.dtype(frames.dtype) != np.uint8:  # refused here, not at the first click
            raise ValueError(
                f"frames must be uint8 RGB, got {np.dtype(frames.dtype)}: scale them to 0..255 "
                "first (what the engines see)"
            )
        if store is not None:
            check_store_fits(store, shape, getattr(frames, "info", None))
            check_store_ids(store)
            store.claim(self)
        self.frames = frames
        self.engine = engine
        self.store = store
        self.cache = cache if cache is not None else FeatureCache()
        self.generation = 0
        self.labels = LabelVolume(shape[:3], store=store, max_mib=labels_max_mib)
        self.history = History(max_edits=history_max)
        self._lock = threading.RLock()
        self._clicks = ClickTable(store, self.labels.unreadable)  # one rule for damage
        self._hashes: dict[int, str] = {}
        self._ids: dict[int, tuple[int, frozenset[int]]] = {}
        #: frame -> objects whose mask there propagation made (corrections are local), and
        #: those whose pixels there the user painted or erased; the frames the user accepted
        #: before an edit made them *clicked* (``review``: whose work it is); frame -> objects
        #: the user marked not on it (``absent``)
        self._carried: dict[int, set[int]] = {}
        self._painted: dict[int, set[int]] = {}
        #: (frame, object) -> when you last painted its pixels there (``painted_at``)
        self._paint_times: dict[tuple[int, int], float] = {}
        self._accepted: set[int] = set()
        self._absent: dict[int, set[int]] = {}
        self._derived: dict[int, set[int]] = {}  # frame -> ``Marks.derived``
        #: frame -> object -> why propagation marked the frame for review
        self._review_reasons: dict[int, dict[int, str]] = {}
        #: how far propagation moved each object onto each frame: the next step's course
        self.courses = Courses(lambda: self.store)
        self.courses.index_ahead()
        self._priors = DecodePriors()
        self._init_saving()
        if store is not None:
            self.registry, damaged = stored_registry(store, classes)
            listed = self._list_unlisted_objects()
            self._status = {int(t): FrameStatus(s) for t, s in store.statuses().items()}
            for t, obj in store.carried_masks():
                self._carried.setdefault(t, set()).add(obj)
            for t, obj in store.painted_masks():
                self._painted.setdefault(t, set()).add(obj)
            for t, obj in store.absent_marks():
                self._absent.setdefault(t, set()).add(obj)
            for t, obj in store.derived_marks():
                self._derived.setdefault(t, set()).add(obj)
            self._accepted = set(store.accepted_frames())
            for t, reasons in [*store.settled_reasons().items(), *store.review_reasons().items()]:
                self._review_reasons.setdefault(t, {}).update(reasons)
            #: what opening the store repaired, in words (empty for a sound store)
            self.repaired = [f"object {i} listed again (pixels with no object)" for i in listed]
            self.repaired[:0] = [*getattr(store, "repairs", []), *([damaged] if damaged else [])]
        else:
            self.registry = ObjectRegistry((), classes)
            self._status = {}
            self.repaired = []

    # -- facts ---------------------------------------------------------------------------------

    @property
    def n_frames(self) -> int:
        return self.labels.shape[0]

    @property
    def frame_shape(self) -> tuple[int, int]:
        return self.labels.shape[1], self.labels.shape[2]

    def locked(self) -> AbstractContextManager[Any]:
        """The session's (re-entrant) lock, which every method takes: a worker holds it around
        several calls that must see one state (read, then change)."""
        return self._lock

    def set_engine(self, engine: Engine) -> None:
        """Switch engine; results computed with the previous one are refused from now on."""
        with self._lock:
            self.engine = engine
            self.generation += 1

    def frames_with_labels(self) -> list[int]:
        """The frames that may hold pixels or clicks of some object: stored, changed in
        memory, with a status or with clicks (sorted)."""
        with self._lock:
            frames = set(self.labels.stored_frames()) | set(self.labels.in_memory())
            return sorted(frames | set(self._status) | self._clicks.frames())

    def frames_of(self, obj_id: int) -> list[int]:
        """Frames where the object has pixels or clicks (reads unseen store frames once)."""
        with self._lock:
            return [
                t
                for t in self.frames_with_labels()
                if obj_id in self.ids_on(t) or self._clicks.on(t).get(obj_id)
            ]

    def ids_on(self, t: int) -> frozenset[int]:
        """IDs of the objects that have pixels on frame ``t`` (cached per frame version; a
        frame unchanged since it was saved is not read: the store noted its IDs)."""
        t = self.labels.frame_index(t)
        with self._lock:
            version = self.labels.version(t)
            cached = self._ids.get(t)
            if cached is None or cached[0] != version:
                ids = self.labels.saved_ids(t)
                ids = ids_in(self.labels.read(t)) if ids is None else ids
                cached = self._ids[t] = (version, ids)
            return cached[1]

    # -- clicks -> masks -----------------------------------------------------------------------

    def clicks(self, t: int, obj_id: int) -> list[Click]:
        """The object's clicks on frame ``t``, in the order they were made."""
        return [c for c, _ in self.timed_clicks(t, obj_id)]

    def timed_clicks(self, t: int, obj_id: int) -> TimedClicks:
        """The object's clicks on frame ``t`` with the time each was made (for undo records)."""
        with self._lock:
            return list(self._clicks.on(t).get(obj_id, []))

    def user_clicks(self, t: int, obj_id: int) -> list[Click]:
        """The clicks the user made for the object on frame ``t``.

        Where propagation carried the object to ``t``, it wrote the clicks it derived there
        first, all at one time; the user's are those made later (elsewhere, all).
        """
        return self._clicks_by(t, obj_id, user=True)

    def derived_clicks(self, t: int, obj_id: int) -> list[Click]:
        """The clicks propagation derived for the object on frame ``t`` (not the user's)."""
        return self._clicks_by(t, obj_id, user=False)

    def _clicks_by(self, t: int, obj_id: int, *, user: bool) -> list[Click]:
        """The object's clicks on frame ``t`` the user made (``user``), else propagation."""
        with self._lock:
            timed = list(self._clicks.on(t).get(obj_id, []))
            derived = self.marks_on(t).clicks_derived(obj_id)
        mine = made_by_user([when for _, when in timed], derived)
        return [c for (c, _), by_user in zip(timed, mine, strict=True) if by_user == user]

    def compute(
        self,
        t: int,
        obj_id: int,
        clicks: Sequence[Click | tuple],
        *,
        zoom: bool = False,
        cached_only: bool = False,
    ) -> EditResult:
        """Decode ``clicks`` for the object on frame ``t``; changes nothing (thread-safe).

        With ``zoom`` and no clicks, clicks derived from the object's mask (as in propagation)
        are used; applying the result makes them the object's clicks on that frame. With
        ``cached_only`` it never encodes: ``FeaturesNotReady`` if the features are not cached
        (the GUI thread's fast path uses it).
        """
        t = self.labels.frame_index(t)
        with self._lock:
            self.registry.get(obj_id)
            engine, generation, base = self.engine, self.generation, self._version(t)
            prior = (self.labels.read(t) == obj_id).astype(np.float32)
            carried = self._carried_mask(t, obj_id)
            # a carried mask stays the reference that each correction edits locally
            belief = prior if carried else self._priors.prior((generation, t, obj_id), prior > 0)
            previous = [c for c, _ in self._clicks.on(t).get(obj_id, [])]
        kept, ignored = split_inside(clicks, self.frame_shape)
        thin = thin_part_of(prior > 0)  # the rules a correction passes through share it
        if zoom and not clicks:
            kept = prop.derive_clicks(prior > 0, prop.PropagationSettings())
        grid = working_grid(engine, self.frame_shape)
        box = zoom_box(prior > 0, kept, grid=grid) if zoom and kept else None
        if box == (0, self.frame_shape[0], 0, self.frame_shape[1]):
            box = None  # the crop would be the whole frame
        if not kept:
            probabilities = np.zeros(self.frame_shape, np.float32)
        else:
            decode = self._decoder(t, engine, box, cached_only)
            probabilities = decode(kept, belief)
            if carried:
                local = corrected(
                    prior,
                    probabilities,
                    kept,
                    previous,
                    lambda: self.image(t),
                    lambda click: decode([click], np.zeros(self.frame_shape, np.float32)),
                    thin,
                )
                probabilities = probabilities if local is None else local
        if one_click_added(kept, previous):
            probabilities = without_spur(prior > 0, probabilities, kept, thin)
        return EditResult(t, obj_id, kept, ignored, probabilities, generation, base, box)

    def _decoder(
        self, t: int, engine: Engine, box: tuple[int, int, int, int] | None, cached_only: bool
    ) -> Callable[[Sequence[Click], np.ndarray], np.ndarray]:
        """Decodes clicks with a prior on frame ``t``: in the zoom crop ``box`` when given,
        else with the frame's features (with ``cached_only``, ``FeaturesNotReady`` if they are
        not cached)."""
        if box is not None:
            key, image = self.keyed_image(t)
            return lambda clicks, prior: decode_in_crop(
                engine, self.cache, key, image, box, clicks, prior
            )
        features = self.cache.get(self.frame_key(t), features_key(engine)) if cached_only else None
        if cached_only and features is None:
            raise FeaturesNotReady(f"the features of frame {t} are not cached")
        features = self.features(t, engine) if features is None else features
        return lambda clicks, prior: np.asarray(engine.decode(features, clicks, prior), np.float32)

    def apply(self, result: EditResult, *, override: bool = False) -> EditResult:
        """Write a computed result (clicks, pixels by the overlap rule, status, undo entry)."""
        t, obj_id = result.frame, result.obj_id
        with self._lock:
            if obj_id not in self.registry:
                raise StaleResultError(f"object {obj_id} was deleted")
            self.check_current(result.generation, t, result.base_version)
            edit = object_edit(self.labels.read(t), obj_id, result.mask, override)
            previous = self._clicks.on(t).get(obj_id, [])
            timed = timed_anew(previous, result.clicks, time.time())
            zoomed = result.zoom_box is not None
            change = self._change(t, edit, {obj_id: timed}, zoomed=zoomed)
            group = self.history.new_group()
            self.record(change, group, stamp=result.stamp)
            judge_after(self, t, group, [obj_id])  # your mask is the reference from now on
            mask = self.labels.read(t) == obj_id
            self._priors.remember((result.generation, t, obj_id), result.probabilities, mask)
        return result

    def set_clicks(
        self,
        t: int,
        obj_id: int,
        clicks: Sequence[Click | tuple],
        *,
        override: bool = False,
        zoom: bool = False,
    ) -> EditResult:
        """Replace the object's clicks on frame ``t`` and update its mask (decode + apply)."""
        return self.apply(self.compute(t, obj_id, clicks, zoom=zoom), override=override)

    def refine_zoom(self, t: int, obj_id: int) -> EditResult:
        """Zoom-in refinement of the object on frame ``t`` with its current clicks."""
        return self.set_clicks(t, obj_id, self.clicks(t, obj_id), zoom=True)

    # -- statuses ------------------------------------------------------------------------------

    def status(self, t: int) -> FrameStatus:
        return self._status.get(self.labels.frame_index(t), FrameStatus.EMPTY)

    def statuses(self) -> dict[int, FrameStatus]:
        """Status of every frame that is not EMPTY."""
        with self._lock:
            return dict(sorted(self._status.items()))

    def set_status(self, t: int, status: FrameStatus) -> bool:
        """Set frame ``t``'s status (undoable; a status none of yours gives back a frame you
        accepted: ``review``). ``ValueError`` for *empty* on a frame with an absent mark.
        False: the frame was so already, and no undo step is recorded (it would change
        nothing, and take the next undo). A frame made *reviewed* is the reference of the later
        frames of its runs, and accepts the absence of the objects whose frames not carried
        after a stop **Review ▶** shows on it (``review_stops.runs_on``), in the same undo step
        (``accepted``)."""
        t = self.labels.frame_index(t)
        with self._lock:
            self._refuse_empty(t, FrameStatus(status))
            runs = runs_on(self, t) if status == FrameStatus.REVIEWED else ()
            none = np.zeros((0, 0), self.labels.dtype)
            change = frame_change(t, none, none, {}, {}, self.status(t), FrameStatus(status))
            change = self._status_given(change)
            if change.status_before == change.status_after and change.marks_after is None:
                return False
            group = self.history.new_group()
            self.record(change, group)
            if status == FrameStatus.REVIEWED:  # the frame is the reference from now on
                judge_after(self, t, group, self.ids_on(t))
                accept_not_carried(self, runs, group)
            return True

    # -- steps of work done outside the session (propagation) ---------------------------------

    def check_current(self, generation: int, t: int, base: tuple[int, int] | None = None) -> None:
        """Raise ``StaleResultError`` unless a result is still valid (call under ``locked``).

        Args:
            generation: the session's ``generation`` (engine) when the result was computed.
            t: the frame the result changes.
            base: frame ``t``'s version then (labels, clicks), or None not to check it.
        """
        if generation != self.generation:
            raise StaleResultError("the engine changed since this result was computed")
        if base is not None and base != self._version(t):
            raise StaleResultError(f"frame {t} changed since this result was computed")

    # -- internals -----------------------------------------------------------------------------

    def _version(self, t: int) -> tuple[int, int]:
        return self.labels.version(t), self._clicks.version(t)

    def _change(
        self,
        t: int,
        edit: tuple[tuple[int, int, int, int], np.ndarray, np.ndarray],
        clicks: dict[int, TimedClicks],
        *,
        clicked: bool = True,
        zoomed: bool = False,
    ) -> FrameChange:
        """Frame ``t`` changed by ``edit`` (see ``object_edit``) and new clicks (``zoomed``: a
        refinement in a zoom crop), with its status and marks (``review``)."""
        frame, current, status = self.labels.read(t), self._clicks.on(t), self.status(t)
        change = edit_change(t, frame, edit, current, clicks, status, clicked)
        return self._after_edit(change, zoomed)
