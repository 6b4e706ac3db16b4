"""Whether labels may go into a store at all, before any frame is compared: labels of its
video (as their export says), not the store itself, and no labels past the video's end
(``labels_import.check_import`` starts with these)."""

from __future__ import annotations

import numpy as np

from ..frame_lists import counted
from ..types import LABELS_ONLY, VideoInfo
from .fingerprints import same_video
from .label_sources import LabelsImportError, LabelSource
from .store import AnnotationStore
from .store.frame_files import SHOWN
from .store.layout import same_place


def check_provenance(store: AnnotationStore, source: LabelSource) -> None:
    """``LabelsImportError`` for labels ``source`` that cannot go into ``store``: exported from
    another video, the store itself, or holding frames past the video's end (empty frames
    there are left out of ``source``)."""
    video = store.video
    _check_same_video(source, video, store.frame_files())
    if source.states is not None and same_place(source.path, store.path):
        raise LabelsImportError(f"{source.path} is the store imported into: give another")
    _check_frames_inside(source, video.n_frames)


def _check_same_video(source: LabelSource, video: VideoInfo, files: tuple[str, ...] | None) -> None:
    """``LabelsImportError`` for labels exported from another video than ``video``'s (their
    export's ``objects.json`` says which): masks of the same size, of other frames. Labels of
    a folder of photos changed since (``video``'s, whose ``files`` the store records) are its
    when each frame's photo is the one the export names (photos added after the last)."""
    theirs = source.video or {}
    fingerprint = theirs.get("fingerprint")
    if not fingerprint or video.labels_only or str(fingerprint).startswith(LABELS_ONLY):
        return
    if same_video(video, theirs):
        return
    if not (files and source.originals and theirs.get("path") == video.path):
        raise LabelsImportError(
            f"{source.path} holds labels of {theirs.get('path') or 'another video'} (its "
            f"export says so), not of {video.path}: import them into that video's store"
        )
    moved = [
        (t, n) for t, n in sorted(source.originals.items()) if t >= len(files) or files[t] != n
    ]
    if moved:
        said = "; ".join(
            f"frame {t} was {n}, is {files[t] if t < len(files) else 'no photo'}"
            for t, n in moved[:SHOWN]
        )
        more = f"; and {len(moved) - SHOWN} more" if len(moved) > SHOWN else ""
        raise LabelsImportError(
            f"{source.path} holds labels of the folder {video.path} as it was when exported, "
            f"and its photos moved since: {said}{more}. Put the folder back as it was to "
            "import them"
        )


def _check_frames_inside(source: LabelSource, n_frames: int) -> None:
    """``LabelsImportError`` if a frame past the video's end holds labels; empty ones (an
    array longer than the video) are left out, as empty frames are."""
    outside = [t for t in source.frames if not 0 <= t < n_frames]
    labelled = []
    for t in outside:
        raw = source.frames[t]()
        if len(raw) if isinstance(raw, list) else np.asarray(raw).any():
            labelled.append(t)
        else:
            del source.frames[t]
    if labelled:
        raise LabelsImportError(
            f"{source.path}: frames {labelled[:5]}{' …' if len(labelled) > 5 else ''} hold "
            f"labels, but the video has {counted(n_frames, 'frame')} (0..{n_frames - 1})"
        )
