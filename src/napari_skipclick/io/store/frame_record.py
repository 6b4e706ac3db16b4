"""A frame's record as the store writes it (``frames/NNNNNN.json``; read back by
``txn.parse_frame_record``): checked input, the IDs its labels hold, the time and a commit ID."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

import numpy as np

from ...checks import ids_in
from ...types import ClickRecord, FrameRecord, FrameStatus
from .checks import check_clicks, check_object_ids, check_review_reasons
from .txn import utc_now


def frame_record(t: int, labels: np.ndarray, record: FrameRecord, engine_key: str | None) -> dict:
    """The record of frame ``t`` committed with ``labels`` (checked, ``(H, W)``) and ``record``,
    its engine ``engine_key`` (``record``'s, or the store's last); ``ValueError`` for bad input."""
    return {
        "frame": t,
        "status": FrameStatus(record.status).value,
        "labels": True,
        "clicks": check_clicks(record.clicks, labels.shape),
        "engine_key": engine_key,
        "carried": check_object_ids(record.carried),
        "painted": check_object_ids(record.painted),
        "accepted": bool(record.accepted),
        "absent": check_object_ids(record.absent),
        "derived": check_object_ids(record.derived),
        "ids": sorted(ids_in(labels)),
        "review": check_review_reasons(record.review or {}),
        "settled": check_review_reasons(record.settled or {}),
        "time": utc_now(),
        "commit": uuid.uuid4().hex,
    }


def read_record(record: dict | None, clicks: Mapping[int, Sequence[ClickRecord]]) -> FrameRecord:
    """A frame's saved ``record`` (None: it has none) with its ``clicks``, as a commit takes it
    again (a frame copied into another store)."""
    record = record or {}
    return FrameRecord(
        FrameStatus(record.get("status", FrameStatus.CLICKED.value)),
        clicks,
        engine_key=record.get("engine_key"),
        carried=record.get("carried", ()),
        painted=record.get("painted", ()),
        accepted=bool(record.get("accepted", False)),
        absent=record.get("absent", ()),
        derived=record.get("derived", ()),
        review={int(obj): str(why) for obj, why in (record.get("review") or {}).items()},
        settled={int(obj): str(why) for obj, why in (record.get("settled") or {}).items()},
    )


def status_record(t: int, record: dict | None, labels: bool, status: FrameStatus) -> dict:
    """Frame ``t``'s ``record`` (None: it has none yet; ``labels``: whether its labels file
    exists) with another status; its labels, clicks and marks are kept."""
    empty = {"frame": t, "labels": labels, "clicks": {}, "engine_key": None, "ids": None}
    empty.update(carried=[], painted=[], accepted=False, absent=[], review={}, settled={})
    empty.update(derived=[])
    changed = dict(record or empty)  # a record read or written has all
    changed.update(status=FrameStatus(status).value, time=utc_now(), commit=uuid.uuid4().hex)
    return changed
