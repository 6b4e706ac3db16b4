"""Sessions set up where a propagation run starts, as the session tests need them."""

from __future__ import annotations

import numpy as np

from napari_skipclick.session import AnnotationSession
from napari_skipclick.types import FrameStatus


def started_session(frames: np.ndarray, start: np.ndarray, engine) -> tuple[AnnotationSession, int]:
    """A session on ``frames`` with ``engine`` and one object whose mask on frame 0 is the
    boolean ``start``, that frame reviewed: where a propagation run starts. Returns the session
    and the object's id."""
    session = AnnotationSession(frames, engine)
    obj = session.add_object().id
    session.labels.set_frame(0, np.where(start, obj, 0).astype(session.labels.dtype))
    session.set_status(0, FrameStatus.REVIEWED)
    return session, obj
