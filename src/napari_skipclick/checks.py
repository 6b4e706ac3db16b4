"""Rules on plain inputs that every room shares (numpy only): images, clicks, label frames,
and how an error is told to the user.

Each rule lives here once: the model, the engines, the session, the store and the widget all
call these functions instead of writing the test again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from .types import Click

#: the largest label a store holds: labels are uint32 (object IDs stop at ``MAX_OBJECT_ID``)
LARGEST_LABEL = int(np.iinfo(np.uint32).max)


def check_image(image: np.ndarray) -> np.ndarray:
    """Return ``image`` as contiguous uint8 ``(H, W, 3)`` or raise a clear ``ValueError``."""
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an RGB image of shape (H, W, 3), got shape {image.shape}")
    if image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 image, got dtype {image.dtype}")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError(f"image has no pixels: shape {image.shape}")
    return np.ascontiguousarray(image)


def as_click(value: object, i: int = 0) -> Click:
    """``value`` — a ``Click`` or a ``(y, x, positive)`` sequence — as a ``Click`` of floats
    and a bool; ``ValueError`` naming click ``i`` for anything else (two numbers, a sign that
    is a string: ``"False"`` would read as positive)."""
    try:
        y, x, positive = value  # type: ignore[misc]
    except (TypeError, ValueError):
        raise ValueError(f"click {i} must be (y, x, positive), not {value!r}") from None
    if not isinstance(positive, (bool, np.bool_)) and positive not in (0, 1):
        raise ValueError(f"click {i}: its sign must be True or False, not {positive!r}")
    try:
        return Click(float(y), float(x), bool(positive))
    except (TypeError, ValueError):
        raise ValueError(f"click {i} must have numbers for y and x, not {value!r}") from None


def click_inside(y: float, x: float, shape: tuple[int, int]) -> bool:
    """Whether a click at row ``y``, column ``x`` lies inside an image of ``shape`` (H, W).

    Clicks are float pixel coordinates whose integer values are pixel centres, as in the
    official clicker (pixel indices ``0..H-1``) and in napari (pixel ``i`` is drawn around
    ``i``). A click is inside when both coordinates are finite and lie in the span of pixel
    centres: ``0 <= y <= H - 1`` and ``0 <= x <= W - 1``. Every such click rounds to a pixel
    of the image, and no inside click has the negative coordinates that the official model
    reads as padding.

    Args:
        y: row of the click.
        x: column of the click.
        shape: ``(H, W)`` of the image.
    """
    height, width = shape
    y, x = float(y), float(x)
    return math.isfinite(y) and math.isfinite(x) and 0 <= y <= height - 1 and 0 <= x <= width - 1


def in_crop(click: Click, box: tuple[int, int, int, int]) -> Click | None:
    """``click`` in the coordinates of the crop ``box`` ``(y0, y1, x0, x1)`` of an image, or
    None when it lies outside the crop.

    The crop's own rule is ``click_inside``: a click up to half a pixel short of the crop's
    far edge rounds to a pixel beyond it, so it is outside.
    """
    y0, y1, x0, x1 = box
    y, x = click.y - y0, click.x - x0
    return Click(y, x, click.positive) if click_inside(y, x, (y1 - y0, x1 - x0)) else None


def corrects(mask: np.ndarray, click: Click) -> bool:
    """Whether ``click`` disagrees with boolean ``mask``: positive outside it or negative
    inside it (a correction of the mask)."""
    return bool(mask[round(click.y), round(click.x)]) != click.positive


def other_side(mask: np.ndarray, click: Click, within: int | None = None) -> float | None:
    """Distance from ``click``'s pixel to the nearest pixel on the other side of boolean
    ``mask``: a mask pixel for a positive click, a pixel outside it for a negative one.

    ``within`` (pixels) limits the search to that square around the click; None when no such
    pixel lies there (or anywhere, without ``within``).
    """
    y, x = round(click.y), round(click.x)
    y0, x0 = (0, 0) if within is None else (max(y - within, 0), max(x - within, 0))
    y1, x1 = mask.shape if within is None else (y + within + 1, x + within + 1)
    found = np.argwhere(mask[y0:y1, x0:x1] == click.positive)
    if found.size == 0:
        return None
    squared = (found[:, 0] - (y - y0)) ** 2 + (found[:, 1] - (x - x0)) ** 2
    return float(np.sqrt(squared.min()))  # as exact as scipy's distance transform


def made_by_user(times: list[float], carried: bool) -> list[bool]:
    """Which of an object's clicks on a frame, given the times they were made in order, the
    user made. Where propagation carried the object to the frame (``carried``), it wrote the
    clicks it derived there first, all at one time, and the user's are those made later;
    elsewhere all are the user's."""
    if carried and times:
        return [when > times[0] for when in times]
    return [True] * len(times)


#: the largest object ID. napari draws a labels layer's colours through a table of 2**16
#: entries (larger labels only with numba, which is no dependency: a 200 MB install whose
#: compiler runs when a session draws its first frame); stores keep uint32 labels
MAX_OBJECT_ID = (1 << 16) - 1
#: the dtype the widget's labels layer gives napari: it holds every object ID, and napari
#: draws its frames as they are (uint32 frames it maps to a texture first: 50 ms a 4K frame)
LAYER_DTYPE = np.dtype(np.uint16)


def relabelled(labels: np.ndarray, moved: Mapping[int, int]) -> np.ndarray:
    """``labels`` with each ID of ``moved`` replaced by its new one."""
    out = labels.astype(np.promote_types(labels.dtype, np.uint32))  # holds the new IDs
    for old, new in moved.items():
        out[labels == old] = new
    return out


def label_values_problem(labels: np.ndarray) -> str | None:
    """Why ``labels`` cannot be object IDs (a float array, a negative value, one above
    ``MAX_OBJECT_ID``, which napari could not draw or uint32 would wrap around), or None."""
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iub":
        return f"labels are {labels.dtype} values, not integers"
    if labels.dtype.kind == "b" or not labels.size:
        return None
    low, high = int(labels.min()), int(labels.max())
    if low < 0 or high > MAX_OBJECT_ID:
        renumber = "" if low < 0 else " (renumber: skimage.segmentation.relabel_sequential)"
        return (
            f"it holds the label {low if low < 0 else high}; object IDs are 1 to "
            f"{MAX_OBJECT_ID} (0: background){renumber}"
        )
    return None


def ids_in(frame: np.ndarray) -> frozenset[int]:
    """Object IDs present in a label frame: its non-zero values (0 is the background).

    A bincount when the IDs are small, else ``np.unique``.
    """
    frame = np.asarray(frame)
    top = int(frame.max()) if frame.size else 0
    if top < 1:
        return frozenset()
    if top < 1 << 16 and frame.dtype.kind == "u":
        return frozenset(int(i) for i in np.flatnonzero(np.bincount(frame.ravel())) if i)
    return frozenset(int(i) for i in np.unique(frame) if i)


def describe_error(exc: BaseException) -> str:
    """``exc`` as the one line shown to the user: its type, and its message if it has one."""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
