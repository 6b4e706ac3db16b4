"""Import a napari Labels layer of the video's shape into the running session, in a worker.

The worker reads the layer frame by frame (progress in napari's activity dock; Escape or
closing the session cancels it between frames), finds the object IDs, then makes the import
one undoable step of the session (under the session's lock, like a propagation step). The GUI
thread only shows the result.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .._layer_data import DERIVED, OBJECTS, REVIEW, STATUSES, STORE, VIDEO
from ..checks import ids_in, relabelled
from ..frame_lists import counted
from ..io.fingerprints import same_video
from ..io.store.layout import same_place
from ..session import AnnotationSession
from ..session.imports import FrameStates, fresh_ids, import_frames, labels_met
from ..types import DEFAULT_CLASS, LABELS_ONLY, FrameStatus, VideoInfo
from .stoppable import StoppableWorker

#: what an import gives back: the frames imported, the number of new objects, the layer's
#: IDs that took new ones (the session gave them to other objects) -> the new IDs, and where
#: the labels met the session's (``session.imports.labels_met``), which kept their pixels
_Imported = tuple[list[int], int, dict[int, int], dict[int, tuple[set[int], set[int], int]]]


def labelled_frames(data: Any, n_frames: int) -> Iterator[tuple[int, np.ndarray | None]]:
    """Frame index and labels of each frame of ``data`` ((T, H, W), or (H, W) for one frame),
    None for a frame without labels (a lazy layer is read here, not on the GUI thread)."""
    if getattr(data, "ndim", 0) == 2 and n_frames == 1:
        data = np.asarray(data)[None]
    if getattr(data, "ndim", 0) != 3 or data.shape[0] != n_frames:
        raise ValueError(f"a labels layer of shape {tuple(data.shape)} does not fit the video")
    for t in range(n_frames):
        labels = np.asarray(data[t])
        keep = np.issubdtype(labels.dtype, np.integer) and labels.any()
        yield t, labels if keep else None


def layer_object_names(layer: Any) -> dict[int, tuple[str, str]]:
    """ID -> (name, class) of the objects a layer's metadata lists (a store's layer opened
    by the reader): labels of this session's own store come back as their objects."""
    try:
        return {
            int(o["id"]): (str(o["name"]), str(o["class_name"]))
            for o in getattr(layer, "metadata", {}).get(OBJECTS) or []
        }
    except (TypeError, KeyError, ValueError):
        return {}


def layer_states(layer: Any) -> FrameStates | None:
    """The frame statuses, reasons for review and derived clicks a layer's metadata gives (a
    store's layer opened by the reader); None for a layer without them."""
    meta = getattr(layer, "metadata", {})
    if not meta.get(STATUSES):
        return None
    try:
        return FrameStates(
            {int(t): FrameStatus(s) for t, s in meta[STATUSES].items()},
            {int(t): {int(o): str(r) for o, r in by.items()} for t, by in _items(meta, REVIEW)},
            {int(t): {int(o): list(c) for o, c in by.items()} for t, by in _items(meta, DERIVED)},
        )
    except (TypeError, ValueError, AttributeError):
        return None


def _items(meta: dict, key: str) -> Any:
    return (meta.get(key) or {}).items()


def candidate_layers(viewer: Any, controller: Any) -> list[Any]:
    """Labels layers of the session's video shape, other than the session's own; not a layer
    that says it holds another video's labels (a store of it, opened by the reader)."""
    session, layers = controller.session, controller.layers
    if session is None or layers is None:
        return []
    shape = (session.n_frames, *session.frame_shape)
    wanted = {shape, shape[1:]} if session.n_frames == 1 else {shape}
    return [
        layer
        for layer in viewer.layers
        if layer.__class__.__name__ == "Labels"
        and not layers.holds(layer)
        and tuple(layer.data.shape) in wanted
        and not _of_another_video(layer, getattr(session.frames, "info", None))
    ]


def import_choices(layers: list[Any]) -> list[tuple[str, str]]:
    """Text and tooltip of each layer in the Import labels list: its name, and for the layer of
    a store whose folder name another listed store shares (napari names the second one
    "… [1]"), the folders that tell them apart; the tooltip is the store's path."""
    stores = [_store_of(layer) for layer in layers]
    choices = []
    for layer, store in zip(layers, stores, strict=True):
        if store is None:
            choices.append((layer.name, ""))
            continue
        twins = [s for s in stores if s is not None and s.name == store.name and s != store]
        where = f" in {_telling_folders(store.parent, [t.parent for t in twins])}" * bool(twins)
        choices.append((layer.name + where, f"Store: {store}"))
    return choices


def _store_of(layer: Any) -> Path | None:
    store = getattr(layer, "metadata", {}).get(STORE)
    return Path(os.path.abspath(store)) if store else None


def _telling_folders(folder: Path, others: list[Path]) -> str:
    """The last parts of ``folder`` that none of ``others`` ends in (all of it if need be)."""
    parts = folder.parts
    for k in range(1, len(parts) + 1):
        if all(other.parts[-k:] != parts[-k:] for other in others):
            return str(Path(*parts[-k:]))
    return str(folder)


def _of_another_video(layer: Any, info: VideoInfo | None) -> bool:
    theirs = layer.metadata.get(VIDEO) or {}
    fingerprint = theirs.get("fingerprint")
    if info is None or not fingerprint or str(fingerprint).startswith(LABELS_ONLY):
        return False
    return not same_video(info, theirs)


def _of_another_store(layer: Any, path: Any) -> bool:
    """Whether ``layer`` is a store's (opened by the reader) other than the one at ``path``."""
    theirs = getattr(layer, "metadata", {}).get(STORE)
    return bool(theirs) and (path is None or not same_place(theirs, path))


class LabelsImport(StoppableWorker):
    """One layer's import running in a worker thread; ``cancel`` stops it between frames
    (nothing is imported then; once importing began, it completes)."""

    doing = "labels are imported"

    def __init__(
        self,
        session: AnnotationSession,
        data: Any,
        name: str,
        named: dict[int, tuple[str, str]] | None = None,
        states: FrameStates | None = None,
        others: bool = False,
    ) -> None:
        self.name = name
        self.named = named or {}
        self.states = states
        self.others = others  # the layer is another store's: its objects are others
        progress = {"total": session.n_frames, "desc": f"SkipClick: importing {name}"}
        # errors are reported once, by ``start_import``
        super().__init__(self._run, (session, data, name), progress)

    def _run(
        self, session: AnnotationSession, data: Any, name: str
    ) -> Generator[int, None, _Imported | None]:
        frames: dict[int, np.ndarray] = {}
        for t, labels in labelled_frames(data, session.n_frames):
            if labels is not None:
                frames[t] = labels
            yield t
            if self.cancelled:
                return None
        ids = set().union(*(ids_in(labels) for labels in frames.values()))
        names = {i: self.named.get(i, (f"{name} {i}", DEFAULT_CLASS)) for i in ids}
        # IDs the session gave other objects (any, from another store's layer): new ones
        given = fresh_ids(session.registry, ids, names, others=self.others)
        moved = {i: j for i, j in given.items() if i != j}
        states = self.states.renumbered(given) if self.states else None
        if moved:
            frames = {t: relabelled(labels, moved) for t, labels in frames.items()}
            names = {given[i]: named for i, named in names.items()}
        # one undoable step, frame by frame
        met = labels_met(session, frames)
        added = import_frames(session, frames, names, states)
        return sorted(frames), len(added), moved, met


def met_said(session: AnnotationSession, met: dict[int, tuple[set[int], set[int], int]]) -> str:
    """Where imported labels met the session's, which kept their pixels, in words."""
    named = {o.id: o.name for o in session.objects}

    def names(ids: set[int]) -> str:
        return ", ".join(named.get(i, str(i)) for i in sorted(ids))

    frames = sorted(met)
    said = "; ".join(
        f"frame {t}: {names(met[t][0])} under {names(met[t][1])} ({met[t][2]} px)"
        for t in frames[:3]
    )
    more = f" and {len(frames) - 3} more frame(s)" if len(frames) > 3 else ""
    return f"where they met this session's labels, those kept their pixels ({said}{more})"


def start_import(controller: Any, layer: Any) -> LabelsImport:
    """Import ``layer``'s labelled frames into the controller's session in a worker (one
    undoable step; objects are named after the layer), then show them on the GUI thread."""
    named, states = layer_object_names(layer), layer_states(layer)
    session = controller.session
    others = _of_another_store(layer, getattr(session.store, "path", None))
    run = LabelsImport(session, layer.data, layer.name, named, states, others)

    def done(result: _Imported | None) -> None:
        if result is None:
            return  # cancelled
        frames, added, moved, met = result
        controller._after_history_change(frames[0] if frames else None, frames)
        imported = f"Imported {counted(len(frames), 'frame')} of {layer.name}"
        said = f"{imported} ({counted(added, 'new object')})"
        doubt = [t for t in frames if controller.session.status(t) == FrameStatus.NEEDS_REVIEW]
        if doubt:
            said += f"; {len(doubt)} of them still need review, as in {layer.name}"
        if moved:
            renumbered = ", ".join(f"{i} → {j}" for i, j in sorted(moved.items()))
            said += f"; IDs this session gave other objects took new ones: {renumbered}"
        if met:
            said += "; " + met_said(controller.session, met)
        controller._say(said)

    controller._start_background_edit(run, done, f"import {layer.name}")
    return run
