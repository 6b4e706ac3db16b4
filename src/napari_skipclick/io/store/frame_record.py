"""A frame's record as the store writes it (``frames/NNNNNN.json``; read back by
``txn.parse_frame_record``): checked input, the IDs its labels hold, the time and a commit ID."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from ...checks import ids_in
from ...types import FrameStatus
from .checks import check_clicks, check_object_ids, check_review_reasons
from .txn import utc_now


def frame_record(
    t: int,
    labels: np.ndarray,
    status: FrameStatus,
    clicks: Mapping[int, Sequence[tuple[float, float, bool, float]]],
    engine_key: str | None,
    *,
    carried: Iterable[int] = (),
    painted: Iterable[int] = (),
    accepted: bool = False,
    absent: Iterable[int] = (),
    review: Mapping[int, str] | None = None,
    settled: Mapping[int, str] | None = None,
) -> dict:
    """The record of frame ``t`` committed with ``labels`` (checked, ``(H, W)``; the fields as
    ``AnnotationStore.commit_frame`` takes them); ``ValueError`` for bad input."""
    return {
        "frame": t,
        "status": FrameStatus(status).value,
        "labels": True,
        "clicks": check_clicks(clicks, labels.shape),
        "engine_key": engine_key,
        "carried": check_object_ids(carried),
        "painted": check_object_ids(painted),
        "accepted": bool(accepted),
        "absent": check_object_ids(absent),
        "ids": sorted(ids_in(labels)),
        "review": check_review_reasons(review or {}),
        "settled": check_review_reasons(settled or {}),
        "time": utc_now(),
        "commit": uuid.uuid4().hex,
    }


def status_record(t: int, record: dict | None, labels: bool, status: FrameStatus) -> dict:
    """Frame ``t``'s ``record`` (None: it has none yet; ``labels``: whether its labels file
    exists) with another status; its labels, clicks and marks are kept."""
    empty = {"frame": t, "labels": labels, "clicks": {}, "engine_key": None, "ids": None}
    empty.update(carried=[], painted=[], accepted=False, absent=[], review={}, settled={})
    changed = dict(record or empty)  # a record read or written has all
    changed.update(status=FrameStatus(status).value, time=utc_now(), commit=uuid.uuid4().hex)
    return changed
