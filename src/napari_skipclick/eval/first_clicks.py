"""One click anywhere on the object: single first clicks spread along each object's length.

The NoC protocol's first click lands on the object's deepest pixel; an annotator clicks a ski
or a pole wherever it shows, at its tip, beside the boot, on its middle. Here each of ``count``
points spread along the object's skeleton (ordered along its principal axis) is clicked alone,
with the prior the widget gives a new object (all zeros), and the mask it gives is scored: its
IoU with the object and whether it flooded the background (more pixels farther than ``SLACK``
from the object than the object has).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage
from skimage.morphology import skeletonize

from ..engines.base import Engine, Features
from ..types import Click
from .clicker import VOID, split_gt
from .metrics import PROB_THRESHOLD, iou

#: pixels around the object within which a mask's pixels do not count as a flood
SLACK = 3


@dataclass
class FirstClicks:
    """The single first clicks on one object and what each gave."""

    name: str
    area: int
    clicks: list[Click] = field(default_factory=list)
    ious: list[float] = field(default_factory=list)
    off: list[int] = field(default_factory=list)

    @property
    def floods(self) -> int:
        """How many clicks gave more pixels off the object than the object has."""
        return sum(count > self.area for count in self.off)

    def to_dict(self) -> dict:
        """JSON-ready record of this object."""
        return {
            "name": self.name,
            "area": self.area,
            "clicks": [[int(c.y), int(c.x)] for c in self.clicks],
            "ious": [round(float(v), 6) for v in self.ious],
            "off": self.off,
        }


def spread_clicks(gt: np.ndarray, count: int, void_value: int = VOID) -> list[Click]:
    """Up to ``count`` positive clicks on the object of ``gt``, spread evenly along its
    skeleton's principal axis (both ends included); fewer when the skeleton has fewer pixels.

    Args:
        gt: the ground truth (1 object, 0 background, ``void_value`` ignored).
        count: how many clicks.
        void_value: the value of void pixels.
    """
    obj, _ = split_gt(gt, void_value)
    points = np.argwhere(skeletonize(obj))
    if count < 1 or len(points) == 0:
        return []
    centred = points - points.mean(axis=0)
    axis = np.linalg.svd(centred, full_matrices=False)[2][0] if len(points) > 1 else [1.0, 0.0]
    ordered = points[np.argsort(centred @ axis, kind="stable")]
    picks = np.unique(np.linspace(0, len(ordered) - 1, count).round().astype(int))
    return [Click(int(ordered[k][0]), int(ordered[k][1]), True) for k in picks]


def evaluate_first_clicks(
    engine: Engine,
    name: str,
    image: np.ndarray,
    gt: np.ndarray,
    count: int,
    features: Features | None = None,
) -> FirstClicks:
    """Decode each of ``spread_clicks(gt, count)`` alone and score its mask.

    Args:
        engine: the engine; it encodes ``image`` once unless ``features`` are given.
        name: the object's name in the results.
        image: the image, uint8 ``(H, W, 3)``.
        gt: its ground truth (1 object, 0 background, 255 void).
        count: how many clicks.
        features: the engine's features of ``image`` when already encoded (the NoC loop's,
            ``evaluate_object``'s ``keep_features``), or None.
    """
    obj, valid = split_gt(gt)
    near = ndimage.distance_transform_edt(~obj) <= SLACK
    result = FirstClicks(name=name, area=int(np.count_nonzero(obj)))
    clicks = spread_clicks(gt, count)
    if not clicks:
        return result
    if features is None:
        features = engine.encode(image)
    empty = np.zeros(gt.shape, np.float32)  # the prior the widget gives a new object
    for click in clicks:
        mask = np.asarray(engine.decode(features, [click], prev_mask=empty)) > PROB_THRESHOLD
        result.clicks.append(click)
        result.ious.append(iou(gt, mask))
        result.off.append(int(np.count_nonzero(mask & ~near & valid)))
    return result


def summarize_first_clicks(results: list[FirstClicks]) -> dict:
    """Set-level numbers: clicks, their mean IoU, the share with IoU ≥ 0.5, floods, and the
    per-object records."""
    ious = [v for r in results for v in r.ious]
    return {
        "clicks": len(ious),
        "miou": round(float(np.mean(ious)), 4) if ious else None,
        "half": round(float(np.mean(np.asarray(ious) >= 0.5)), 4) if ious else None,
        "floods": sum(r.floods for r in results),
        "objects": [r.to_dict() for r in results],
    }
