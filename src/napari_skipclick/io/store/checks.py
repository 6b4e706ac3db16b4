"""Validation of what goes into a store (labels, clicks, objects) and of objects.json."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ...checks import LARGEST_LABEL, click_inside
from ...types import ObjectInfo
from .errors import StoreCorruptError
from .files import read_json
from .txn import utc_now


def check_labels(labels: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``labels`` as contiguous uint32 of ``shape``; ``ValueError`` if they cannot be."""
    arr = np.asarray(labels)
    if arr.shape != shape:
        raise ValueError(f"labels have shape {arr.shape}, the video frames are {shape}")
    if arr.dtype.kind == "b":
        return arr.astype(np.uint32)
    if arr.dtype.kind not in "iu":
        raise ValueError(f"labels must be integers, got dtype {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() > LARGEST_LABEL):
        raise ValueError(f"labels must lie in 0..{LARGEST_LABEL}")
    return np.ascontiguousarray(arr, dtype=np.uint32)


def check_clicks(
    clicks: Mapping[int, Sequence[Sequence[Any]]], shape: tuple[int, int]
) -> dict[str, list]:
    """JSON form of clicks ``{id: [(y, x, positive[, time]), ...]}``; ``ValueError`` if bad."""
    now = time.time()
    out: dict[str, list] = {}
    for oid, seq in clicks.items():
        _object_id(oid)
        rows = []
        for click in seq:
            if len(click) not in (3, 4):
                raise ValueError(f"a click is (y, x, positive[, time]), got {click!r}")
            y, x, positive = float(click[0]), float(click[1]), bool(click[2])
            stamp = float(click[3]) if len(click) == 4 else now
            if not click_inside(y, x, shape):
                raise ValueError(f"click {click!r} of object {oid} lies outside the frame")
            if not math.isfinite(stamp):
                raise ValueError(f"click time must be finite, got {stamp!r}")
            rows.append([y, x, positive, stamp])
        out[str(int(oid))] = rows
    return out


def _object_id(oid: Any) -> int:
    """``oid`` as an object id; ``ValueError`` unless it is an integer >= 1."""
    if not isinstance(oid, (int, np.integer)) or oid < 1:
        raise ValueError(f"object ids must be positive integers, got {oid!r}")
    return int(oid)


def check_object_ids(ids: Iterable[Any]) -> list[int]:
    """Sorted distinct object ids; ``ValueError`` unless each is an integer >= 1."""
    return sorted({_object_id(oid) for oid in ids})


def check_review_reasons(reasons: Mapping[Any, Any]) -> dict[str, str]:
    """Object id (as a string) -> non-empty reason, by id; ``ValueError`` for a bad id or an
    empty reason."""
    out = {}
    for oid, reason in sorted(reasons.items(), key=lambda item: _object_id(item[0])):
        if not isinstance(reason, str) or not reason:
            raise ValueError(f"the review reason of object {oid} must be non-empty text")
        out[str(_object_id(oid))] = reason
    return out


def objects_doc(
    objects: Sequence[ObjectInfo],
    classes: Sequence[str],
    leaving: Sequence[int] = (),
    next_id: int = 1,
    dropped: Sequence[str] = (),
) -> dict:
    """JSON document of objects and classes, the IDs of listed objects whose deletion is
    being written (``leaving``, left out when empty), the ID the next object gets
    (``next_id``: above every ID given so far, deleted objects' too) and the class names
    renamed away or removed (``dropped``: those not in ``classes``, left out when none);
    ``ValueError`` for bad ids or colours."""
    ids = [o.id for o in objects]
    if len(set(ids)) != len(ids) or any(not 1 <= int(i) <= 2**32 - 1 for i in ids):
        raise ValueError(f"object ids must be unique and in 1..4294967295, got {ids}")
    _check_leaving(leaving, ids)
    for o in objects:
        if len(o.color) != 3 or any(not 0 <= int(c) <= 255 for c in o.color):
            raise ValueError(f"object {o.id} colour must be three values 0..255: {o.color}")
    entries = [
        {
            "id": int(o.id),
            "name": o.name,
            "class_name": o.class_name,
            "color": [int(c) for c in o.color],
        }
        for o in objects
    ]
    doc = {"objects": entries, "classes": [str(c) for c in classes], "modified": utc_now()}
    doc["next_id"] = max(int(next_id), max(ids, default=0) + 1)
    if leaving:
        doc["leaving"] = sorted(int(i) for i in leaving)
    gone = [str(c) for c in dict.fromkeys(dropped) if c not in doc["classes"]]
    if gone:
        doc["dropped_classes"] = gone
    return doc


def _check_leaving(leaving: Sequence[int], ids: Sequence[int]) -> None:
    """``ValueError`` unless every object being deleted (``leaving``) is listed (``ids``)."""
    if not set(leaving) <= set(ids):
        raise ValueError(f"leaving objects {sorted(leaving)} must be listed, got {list(ids)}")


def load_objects(path: Path, root: Path) -> dict:
    """``{"objects": [ObjectInfo], "classes": [str], "leaving": [int], "next_id": int,
    "dropped": [str]}`` from objects.json (empty if absent; ``leaving``: listed objects whose
    deletion was being written; ``next_id``: the ID the next object gets, one above the largest
    listed in a file from before it was kept; ``dropped``: class names renamed away or
    removed, none in a file from before they were kept)."""
    try:
        doc = read_json(path, root)
    except FileNotFoundError:
        return {"objects": [], "classes": [], "leaving": [], "next_id": 1, "dropped": []}
    try:
        objects = [
            ObjectInfo(int(o["id"]), str(o["name"]), str(o["class_name"]), tuple(o["color"]))
            for o in doc["objects"]
        ]
        classes = [str(c) for c in doc["classes"]]
        leaving = [int(i) for i in doc.get("leaving", [])]
        _check_leaving(leaving, [o.id for o in objects])
        next_id = max(int(doc.get("next_id", 1)), max((o.id for o in objects), default=0) + 1)
        dropped = [str(c) for c in doc.get("dropped_classes", [])]
    except (KeyError, TypeError, ValueError) as e:
        raise StoreCorruptError(f"{path} has an invalid entry: {e!r}", str(path)) from e
    return {
        "objects": objects,
        "classes": classes,
        "leaving": leaving,
        "next_id": next_id,
        "dropped": dropped,
    }
