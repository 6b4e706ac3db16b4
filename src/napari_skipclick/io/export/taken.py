"""What an export or the training ``Dataset`` takes from a store when it is built, and the
rule that reads each frame against it while another process may write the store.

A store may be written while it is read (``docs/store-format.md``). The frames, their
statuses and the object list are taken once, when the export is planned or the ``Dataset``
made; a frame is read later, its labels with its record from one commit
(``AnnotationStore.read_frame``):

* a frame whose status, as read, is no longer one asked for (or that holds nothing any more)
  is left out: its labels never go with the status it was chosen by;
* the pixels of objects not taken are left out, as if not annotated yet: those added since,
  and those being deleted (``leaving``); label ids that no object had when taken (pixels with
  no object) get the category :data:`UNLABELLED`, in the class list from the start.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ...checks import ids_in
from ...types import DEFAULT_CLASS, FrameStatus, ObjectInfo
from ..store import AnnotationStore, StoreCorruptError, StoreError
from ..store.records import annotated

#: category given to label ids that have no object entry in the store
UNLABELLED = "unlabelled"
#: the status counted for a frame whose record cannot be read (its labels can)
DAMAGED = "damaged"


@dataclass(frozen=True)
class TakenObjects:
    """The objects of one store an export or a ``Dataset`` took: their categories (category
    ``i + 1`` is ``names[i]`` of the shared class list) and the ids with no object."""

    objects: tuple[ObjectInfo, ...]  # listed, not being deleted
    by_object: dict[int, int]  # object id -> category id
    unlabelled: frozenset[int]  # ids the chosen frames held with no object entry
    unlabelled_category: int | None  # their category (None: there are none)

    @property
    def ids(self) -> frozenset[int]:
        """Every label id that frames read against these objects can hold (``labels`` leaves
        the others out): what an export can write, whatever is written meanwhile."""
        return frozenset(self.by_object) | self.unlabelled

    def category(self, oid: int) -> int:
        """Category id of taken label ``oid`` (one ``labels`` keeps)."""
        if oid in self.by_object:
            return self.by_object[oid]
        assert self.unlabelled_category is not None and oid in self.unlabelled
        return self.unlabelled_category

    def labels(self, labels: np.ndarray) -> np.ndarray:
        """``labels`` without the pixels of ids not taken (objects added since or being
        deleted): zero, as if not annotated yet."""
        out = [i for i in ids_in(labels) if i not in self.by_object and i not in self.unlabelled]
        return np.where(np.isin(labels, out), 0, labels).astype(labels.dtype) if out else labels


def problem_warnings(store: AnnotationStore) -> list[str]:
    """What to warn of before taking anything from ``store``: each of its ``problems`` (what
    is damaged, unfinished or was repaired), named with the store. The one rule for an export
    (Python or ``skipclick export``) and the training ``Dataset``."""
    return [f"{store.path.name}: {problem}" for problem in store.problems]


def _objects(store: AnnotationStore) -> list[ObjectInfo]:
    """``store``'s objects; ``StoreCorruptError`` with the way forward when its list is damaged
    (store-format.md, *Damage*: a session lists the objects again)."""
    try:
        return store.objects()
    except StoreCorruptError as exc:
        raise StoreCorruptError(
            f"{exc}. Open {store.path.name} for annotation (the widget, or an "
            "AnnotationSession) to list its objects again from its frames (unnamed, the "
            "damaged file kept beside it), then export again",
            exc.path,
        ) from exc


def take_objects(
    stores: Sequence[AnnotationStore], frames: Sequence[Iterable[int]], names: list[str]
) -> list[TakenObjects]:
    """The objects of each store, for its chosen ``frames``, with one class list ``names``
    (extended in place) shared by the stores.

    Classes of the stores' class lists come first, in order, then classes of objects missing
    from them, then :data:`UNLABELLED` when a chosen frame holds an id without an object. The
    default class of a new store (``DEFAULT_CLASS``) is left out while no object has it: the
    classes a user added in the widget came after it.
    """
    taken = []
    for store, chosen in zip(stores, frames, strict=True):
        leaving = set(store.leaving())
        objects = tuple(o for o in _objects(store) if o.id not in leaving)
        used = {o.class_name for o in objects}
        listed = [c for c in store.classes() if c != DEFAULT_CLASS or c in used]
        names.extend(c for c in listed if c not in names)
        names.extend(c for c in dict.fromkeys(o.class_name for o in objects) if c not in names)
        by_object = {o.id: names.index(o.class_name) + 1 for o in objects}
        known = {o.id for o in store.objects()}
        held = set().union(*(_held(store, t) for t in chosen))
        taken.append((objects, by_object, frozenset(held - known)))
    if any(orphans for *_, orphans in taken) and UNLABELLED not in names:
        names.append(UNLABELLED)
    category = names.index(UNLABELLED) + 1 if UNLABELLED in names else None
    return [
        TakenObjects(objects, by_object, orphans, category if orphans else None)
        for objects, by_object, orphans in taken
    ]


def _held(store: AnnotationStore, t: int) -> frozenset[int]:
    """The ids frame ``t`` holds: as its record noted them, else read (none if unreadable:
    reading it for the export says why)."""
    ids = store.frame_ids(t)
    if ids is not None:
        return ids
    try:
        return frozenset(ids_in(store.read_labels(t)))
    except StoreError:
        return frozenset()


def snapshot_status(store: AnnotationStore, t: int) -> str:
    """Frame ``t``'s status as the store was opened (:data:`DAMAGED`: its record is)."""
    try:
        record = store.frame_record(t)
    except StoreCorruptError:
        return DAMAGED
    return FrameStatus.EMPTY.value if record is None else record["status"]


def kept(status: str, statuses: Iterable[str] | None) -> bool:
    """Whether a frame of ``status`` is taken when ``statuses`` are asked for (None: every
    annotated frame; a frame whose record is damaged has no status asked for)."""
    return statuses is None or status in set(statuses)


def read_taken(
    store: AnnotationStore, t: int, statuses: Iterable[str] | None, objects: TakenObjects
) -> tuple[np.ndarray, str] | None:
    """Frame ``t``'s labels as taken (``TakenObjects.labels``) and its status as read, from
    one commit; None when it is left out: its status is no longer one of ``statuses``, or it
    holds nothing any more."""
    frame = store.read_frame(t)
    if frame.damage is not None:
        status = DAMAGED
    elif frame.record is None or not annotated(frame.record):
        return None
    else:
        status = frame.record["status"]
    if not kept(status, statuses):
        return None
    return objects.labels(frame.labels), status
