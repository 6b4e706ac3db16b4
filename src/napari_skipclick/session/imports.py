"""Labels that exist (another tool, a model, a napari Labels layer) brought into a session.

Imported frames get the status ``imported``; their masks are then the prior of the next click
on each object, and propagation starts from them like from any other frame.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from ..checks import ids_in
from ..types import FrameStatus, ObjectInfo
from .history import frame_change
from .state import color_for

if TYPE_CHECKING:
    from .annotation import AnnotationSession


def import_frames(
    session: AnnotationSession,
    frames: Mapping[int, np.ndarray],
    names: Mapping[int, tuple[str, str]] | None = None,
) -> list[ObjectInfo]:
    """Set the labels of ``frames`` (frame -> ``(H, W)`` ids) in one undoable step.

    Args:
        session: the session to import into.
        frames: labels per frame; 0 is the background, every other value an object ID.
        names: object ID -> (name, class) for IDs that are not objects yet (default
            "object N" of class "object").

    Returns the objects registered for new IDs. Raises ``ValueError`` (and changes nothing)
    for a frame of another size or outside the video, or a frame that already has labels.
    """
    names = names or {}
    shape = session.frame_shape
    checked: dict[int, np.ndarray] = {}
    for t, labels in frames.items():
        labels = np.asarray(labels)
        if labels.shape != shape:
            raise ValueError(f"frame {t} has labels of shape {labels.shape}, the video {shape}")
        if not 0 <= t < session.n_frames:
            raise ValueError(f"frame {t} is outside the video's 0..{session.n_frames - 1}")
        if labels.any():
            checked[int(t)] = labels.astype(session.labels.dtype)
    with session.locked():
        taken = sorted(t for t in checked if session.ids_on(t))
        if taken:
            raise ValueError(
                f"frames {taken[:10]} already hold labels in this session; import only into "
                "frames without labels"
            )
        known = {o.id for o in session.objects}
        new_ids = sorted(set().union(*(ids_in(labels) for labels in checked.values())) - known)
        added = []
        for oid in new_ids:
            name, class_name = names.get(oid, (f"object {oid}", "object"))
            info = ObjectInfo(oid, name, class_name, color_for(oid))
            session.import_object(info)
            added.append(info)
        group = session.history.new_group()
        for t, labels in sorted(checked.items()):
            before = session.labels.read(t)
            change = frame_change(
                t, before, labels, {}, {}, session.status(t), FrameStatus.IMPORTED
            )
            session.record(change, group=group)
    return added
