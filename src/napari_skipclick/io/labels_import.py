"""Start from labels that exist: label PNGs, COCO json (RLE or polygons), YOLO datasets, numpy
or zarr arrays (read by ``label_sources``).

``read_labels_source(path, shape)`` opens the labels and their objects; ``check_import``
checks them against a store without writing; ``import_labels`` checks everything first, then
writes the frames with status ``imported`` and the objects, so bad input writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..checks import ids_in, relabelled
from ..colors import color_for
from ..frame_lists import frame_ranges, frames_named
from ..types import DEFAULT_CLASS, FrameStatus, ObjectInfo
from .label_sources import LabelsImportError, LabelSource, frame_labels, read_labels_source
from .labels_provenance import check_provenance
from .store import AnnotationStore, StoreError
from .store.frame_copy import copy_frame
from .store.frame_record import read_record
from .store.import_mark import begin_import, end_import, frames_done, merge_left
from .store.layout import same_place

__all__ = [
    "Erased",
    "ImportReport",
    "LabelsImportError",
    "check_import",
    "import_labels",
    "read_labels_source",
]

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Erased:
    """A store's object that importing over its frames erases (the labels do not hold it)."""

    id: int
    name: str
    frames: list[int]
    pixels: int

    def __str__(self) -> str:
        return f"{self.name} (id {self.id}) on {frames_named(self.frames)}, {self.pixels} px"


@dataclass
class ImportReport:
    """What an import wrote (or, with ``dry_run``, would write)."""

    frames: list[int]  # the frames that hold labels (the others are not imported)
    objects: list[ObjectInfo]
    overlaps: dict[int, int]  # frame -> pixels claimed by more than one instance
    replaced: list[int] = field(default_factory=list)  # frames the store labelled before
    erased: list[Erased] = field(default_factory=list)  # what replacing them erases
    #: frames whose labels join the objects the store holds there (``merge``)
    merged: list[int] = field(default_factory=list)
    #: the labels' IDs the store gave other objects -> the new IDs they were imported under
    moved: dict[int, int] = field(default_factory=dict)
    #: merged frames where the labels meet the store's, which keep their pixels, in words
    kept: dict[int, str] = field(default_factory=dict)
    #: frames that still need review, as the store read as the labels says (``states``)
    review: list[int] = field(default_factory=list)
    #: frames replaced -> the status and the number of clicks the store held there
    overwritten: dict[int, tuple[str, int]] = field(default_factory=dict)

    def erased_text(self, verb: str) -> str:
        """What replacing the store's frames erases (``verb``: "erased", "would erase"), said
        by the refusal and the summary."""
        if not self.erased:
            return f"{verb} no object: the labels hold every object the store has there"
        listed = "; ".join(map(str, self.erased))
        return f"{verb} the store's objects the labels do not hold there: {listed}"

    def overwritten_text(self, verb: str) -> str:
        """What replacing the store's frames overwrites beside their masks (``verb``:
        "overwrote", "would overwrite"): their statuses, with reasons for review, and clicks."""
        frames: dict[str, list[int]] = {}
        for t, (status, _) in sorted(self.overwritten.items()):
            frames.setdefault(status, []).append(t)
        said = []
        for status, at in frames.items():
            doubt = status == FrameStatus.NEEDS_REVIEW.value
            why = f", with {'its' if len(at) == 1 else 'their'} reasons" if doubt else ""
            said.append(f"{status} on {frames_named(at)}{why}")
        clicks = sum(n for _, n in self.overwritten.values())
        return f"{verb} their statuses ({'; '.join(said)}) and {clicks} click(s)"


def check_import(
    store: AnnotationStore,
    source: LabelSource,
    progress: Progress | None = None,
    *,
    allow_overlaps: bool = False,
    replace: bool = False,
    merge: bool = False,
) -> ImportReport:
    """Check every frame of ``source`` against ``store`` (read twice, so memory stays bounded);
    nothing is written. Returns what an import would write; ``LabelsImportError`` for what it
    would refuse (``allow_overlaps``, ``replace``, ``merge``: as :func:`import_labels`)."""
    v = store.video
    shape = (v.height, v.width)
    check_provenance(store, source)
    seen: set[int] = set()
    overlaps: dict[int, int] = {}
    labelled = []
    annotated, statuses = set(store.annotated_frames()), store.statuses()
    worked: dict[int, tuple[str, int]] = {}  # frame replaced -> its status, clicks
    held: dict[int, tuple[frozenset[int], dict[int, int]]] = {}  # frame -> ids, store's pixels
    meeting: dict[int, Meeting] = {}  # frame -> where the labels meet the store's there
    resumed = merge_left(store.path, source.path) if merge else None  # a merge cut short
    if resumed is not None:  # its frames merged already are left out
        source.frames = {t: read for t, read in source.frames.items() if t in resumed[0]}
    for k, t in enumerate(source.frames):
        labels, overlap = frame_labels(source, t, shape)
        ids = ids_in(labels)
        if ids:
            labelled.append(t)
            seen.update(ids)
            if t in annotated and merge:
                meeting[t] = _meeting(labels, store.read_labels(t))
            elif t in annotated:
                held[t] = ids, _pixels(store.read_labels(t))
                clicks = sum(map(len, store.clicks(t).values()))
                worked[t] = statuses.get(t, FrameStatus.EMPTY).value, clicks
        if overlap:
            overlaps[t] = overlap
        if progress is not None:
            progress(k + 1, 2 * len(source.frames))
    stored = {o.id: o for o in store.objects()}
    for oid in sorted(seen - set(source.objects)):  # unnamed: the store's object of that id
        known = stored.get(oid)
        named = (known.name, known.class_name) if known else (f"object {oid}", DEFAULT_CLASS)
        source.objects[oid] = named
    moved = resumed[1] if resumed is not None else _new_ids(store, source, seen)
    objects = []
    for i in sorted(seen):
        j = moved.get(i, i)
        objects.append(stored.get(j) or ObjectInfo(j, *source.objects[i], color_for(j)))
    theirs = {o.id: o.name for o in objects}
    ours = {i: o.name for i, o in stored.items()}
    twice = {t: m.twice(moved) for t, m in meeting.items() if m.twice(moved)}
    if twice:
        said = "; ".join(f"frame {t}: {_names(twice[t], ours)}" for t in sorted(twice)[:5])
        raise LabelsImportError(
            f"objects already have a mask in {store.path} on frames "
            f"{frame_ranges(sorted(twice))} ({said}): an object has one mask on a frame; "
            "nothing was imported"
        )
    kept = {
        t: f"{_names(m.kept(moved), theirs)} under {_names(m.ours, ours)} ({m.pixels} px)"
        for t, m in sorted(meeting.items())
        if m.pixels
    }
    taken = sorted(annotated & set(labelled))
    if merge:
        report = ImportReport(labelled, objects, overlaps, merged=taken, moved=moved, kept=kept)
    else:
        gone = {t: _left_out(pixels, ids, moved) for t, (ids, pixels) in held.items()}
        erased = _erased(gone, stored)
        report = ImportReport(labelled, objects, overlaps, taken, erased, moved=moved)
        report.overwritten = worked
    states = source.states
    if states is not None:
        doubt = [t for t in labelled if states.statuses.get(t) == FrameStatus.NEEDS_REVIEW]
        report.review = [t for t in doubt if states.reasons.get(t)]
    if taken and not (replace or merge):
        raise LabelsImportError(
            f"{store.path} already holds labels on frames {taken[:10]}"
            f"{' …' if len(taken) > 10 else ''}; add the labels' objects beside the store's "
            f"(--merge), replace them (--replace {report.erased_text('would erase')}; "
            f"{report.overwritten_text('would overwrite')}) or import into a new store"
        )
    if overlaps and not allow_overlaps:
        worst = sorted(overlaps.items(), key=lambda kv: -kv[1])[:5]
        listed = ", ".join(f"frame {t}: {n} px" for t, n in worst)
        raise LabelsImportError(
            f"{source.path}: instances overlap on {len(overlaps)} frame(s) ({listed}); "
            "each pixel belongs to one object: fix the labels, or allow overlaps "
            "(--allow-overlaps; the smaller instance then keeps the pixels)"
        )
    return report


def _pixels(stored: np.ndarray) -> dict[int, int]:
    """The objects of a frame's ``stored`` labels, with their pixels."""
    values, counts = np.unique(stored, return_counts=True)
    return {int(v): int(n) for v, n in zip(values, counts, strict=True) if v}


def _left_out(pixels: dict[int, int], ids: frozenset[int], moved: dict[int, int]) -> dict[int, int]:
    """The store's objects of a frame (``pixels``: as :func:`_pixels`) that the labels' ``ids``
    (renumbered by ``moved``) do not hold."""
    kept = {moved.get(i, i) for i in ids}
    return {oid: n for oid, n in pixels.items() if oid not in kept}


def _erased(gone: dict[int, dict[int, int]], stored: dict[int, ObjectInfo]) -> list[Erased]:
    """Per object, the frames it is erased on and its pixels there, in the order of IDs."""
    frames: dict[int, list[int]] = {}
    pixels: dict[int, int] = {}
    for t, objects in sorted(gone.items()):
        for oid, n in objects.items():
            frames.setdefault(oid, []).append(t)
            pixels[oid] = pixels.get(oid, 0) + n
    named = {oid: o.name for oid, o in stored.items()}
    return [Erased(i, named.get(i, f"object {i}"), frames[i], pixels[i]) for i in sorted(frames)]


def _new_ids(store: AnnotationStore, source: LabelSource, ids: set[int]) -> dict[int, int]:
    """Labels ID -> new ID for the labels' IDs the store gave other objects, by the session's
    rule (``session.imports.fresh_ids``, the widget's): listed under another name, deleted,
    or any listed one where the labels were exported from another store (another
    annotator's "skier 1" is not this store's)."""
    from ..session.imports import fresh_ids  # the one rule for IDs, the session's
    from ..session.state import stored_registry

    registry, _ = stored_registry(store, store.classes())
    others = source.store is not None and not same_place(source.store, store.path)
    given = fresh_ids(registry, ids, source.objects, others=others)
    return {i: j for i, j in given.items() if i != j}


@dataclass(frozen=True)
class Meeting:
    """Where labels meet a store's frame: their objects with pixels on the store's labels, the
    store's objects there, how many pixels, and the IDs on both (the same object twice,
    unless renumbered)."""

    theirs: frozenset[int]
    ours: frozenset[int]
    pixels: int
    shared: frozenset[int]

    def twice(self, moved: dict[int, int]) -> set[int]:
        """The objects on both once the labels' IDs are renumbered by ``moved``."""
        return {i for i in self.shared if i not in moved}

    def kept(self, moved: dict[int, int]) -> set[int]:
        """Their objects (renumbered by ``moved``) whose pixels the store's labels keep."""
        return {moved.get(i, i) for i in self.theirs}


def _meeting(labels: np.ndarray, stored: np.ndarray) -> Meeting:
    """Where ``labels`` meet ``stored`` (a store's frame)."""
    on = (labels != 0) & (stored != 0)
    return Meeting(
        ids_in(np.where(on, labels, 0)),
        ids_in(np.where(on, stored, 0)),
        int(on.sum()),
        ids_in(labels) & ids_in(stored),
    )


def _names(ids: set[int] | frozenset[int], named: dict[int, str]) -> str:
    return ", ".join(named.get(i, f"object {i}") for i in sorted(ids))


def import_labels(
    store: AnnotationStore,
    source: LabelSource,
    *,
    allow_overlaps: bool = False,
    replace: bool = False,
    merge: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import ``source`` into the open, writable ``store`` (frames get status ``imported``;
    those another store read as ``source`` says nobody checked keep that, as
    ``session.imports.store_record`` rules).

    Args:
        store: the store of the labels' video, opened for writing.
        source: from :func:`read_labels_source`.
        allow_overlaps: where instances overlap, give the pixels to the smaller instance
            instead of refusing; the report lists the overlaps either way.
        replace: overwrite frames that already hold labels in the store.
        merge: add the labels' objects to frames that already hold labels, beside the
            store's objects there (each such frame keeps its status, clicks and marks, and
            its labels where the labels meet them: ``ImportReport.kept``); refused, naming
            frames and objects, where an object is already on the frame.
        progress: called as ``progress(done, total)``.

    Everything is checked before anything is written: on bad input nothing changes. A
    store that fails midway (a full disk) keeps the frames written before it failed; the
    ``StoreError`` names them and those left.
    """
    from ..session.imports import store_record  # the session's rule for frames' records

    report = check_import(
        store, source, progress, allow_overlaps=allow_overlaps, replace=replace, merge=merge
    )
    states = source.states.renumbered(report.moved) if source.states is not None else None
    v = store.video
    names = {o.id: o for o in store.objects()}
    names.update({o.id: o for o in report.objects})
    classes = list(
        dict.fromkeys([*store.classes(), *source.classes, *(o.class_name for o in names.values())])
    )
    imported = {o.id for o in report.objects}
    leaving = [i for i in store.leaving() if i not in imported]  # deletions still to finish
    store.write_objects(list(names.values()), classes, leaving=leaving)
    total = len(report.frames)
    options = [*(["--void", str(source.void)] if source.void is not None else [])]
    options += ["--allow-overlaps"] if allow_overlaps else []
    options += ["--merge"] if merge else []
    begin_import(store.path, source.path, report.frames, options, report.moved)
    for k, t in enumerate(report.frames):  # frames without any label are not imported
        labels = relabelled(frame_labels(source, t, (v.height, v.width))[0], report.moved)
        try:
            if t in report.merged:  # beside the store's objects, with its commit's record
                stored = store.read_labels(t)  # keeps its pixels where the labels meet it
                joined = np.where(stored != 0, stored, labels)
                kept = read_record(store.frame_record(t), store.clicks(t))
                new = ids_in(joined) - ids_in(stored)
                copy_frame(store, store, t, joined, store_record(kept, joined, new, states, t))
            else:
                store.commit_frame(t, labels, store_record(None, labels, ids_in(labels), states, t))
        except StoreError as exc:
            raise StoreError(_cut_short(exc, report.frames[:k], report.frames[k:], merge)) from exc
        if merge:
            frames_done(store.path, report.frames[k + 1 :])
        if progress is not None:
            progress(total + k + 1, 2 * total)
    end_import(store.path)
    return report


def _cut_short(exc: StoreError, done: list[int], left: list[int], merge: bool) -> str:
    """What an import that failed midway changed: the frames written before it failed."""
    if not done:
        return f"{exc}; nothing was imported"
    merged, rest = _were(done), _were(left)
    if merge:  # --replace would erase the store's objects on the frames left
        return (
            f"{exc}; the merge stopped there: {merged} merged, {rest} not: free space and run "
            "the same command (with --merge) to merge those left"
        )
    return (
        f"{exc}; the import stopped there: {merged} imported (they replace what the store "
        f"held), {rest} not: free space and run the same command with --replace to finish"
    )


def _were(frames: list[int]) -> str:
    """``"frame 3 was"`` or ``"frames 3-5 were"``."""
    return f"{frames_named(frames)} {'was' if len(frames) == 1 else 'were'}"
