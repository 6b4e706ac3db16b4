"""On which side of the annotation an engine's boundary lies, object by object of a NoC set.

Usage::

    python tools/boundary_side.py --data DIR [--engine embedded] [--clicks 5] [--json OUT]

For every object of ``DIR`` (``skipclick eval``'s layout) the NoC protocol of ``skipclick
eval`` runs for ``--clicks`` clicks (it does not stop at 90 %), and the last mask is compared
with the annotation along its boundary: the share of the one-pixel ring just outside the mask
that the annotation counts as object (``out_object``), the share of the ring just inside it
that it counts as background (``in_background``), and the IoU of the mask as it is, dilated
and eroded by one pixel (4-connected), void excluded as ``skipclick eval`` scores. A ring
outside that is mostly object says the annotation draws its boundary a pixel beyond the
engine's: polygons that take in the pixels the boundary crosses (COCO) rather than the pixels
mostly covered (docs/evaluation.md, *What bounds NoC on skis and poles*).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy import ndimage

from napari_skipclick.engines import create_engine
from napari_skipclick.engines.base import Engine, Features
from napari_skipclick.eval.clicker import VOID
from napari_skipclick.eval.datasets import load_sample, read_manifest
from napari_skipclick.eval.metrics import PROB_THRESHOLD, iou
from napari_skipclick.eval.noc import evaluate_object
from napari_skipclick.types import Click


class _LastAnswer:
    """An engine that remembers its last decode's probabilities."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.last: np.ndarray | None = None

    def encode(self, image: np.ndarray) -> Features:
        return self.engine.encode(image)

    def decode(
        self, features: Features, clicks: Sequence[Click], prev_mask: np.ndarray | None = None
    ) -> np.ndarray:
        self.last = np.asarray(self.engine.decode(features, clicks, prev_mask))
        return self.last


def boundary_side(mask: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Where boolean ``pred`` lies against ``mask`` (1 object, 0 background, 255 void) along
    its boundary: the rings' shares and the IoU of ``pred``, dilated and eroded by a pixel."""
    valid = mask != VOID
    obj = mask == 1
    ring_out = ndimage.binary_dilation(pred) & ~pred & valid
    ring_in = pred & ~ndimage.binary_erosion(pred) & valid
    return {
        "out_object": float(obj[ring_out].mean()) if ring_out.any() else 0.0,
        "in_background": float((~obj)[ring_in].mean()) if ring_in.any() else 0.0,
        "iou": float(iou(mask, pred)),
        "iou_dilated": float(iou(mask, ndimage.binary_dilation(pred))),
        "iou_eroded": float(iou(mask, ndimage.binary_erosion(pred))),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, type=Path, help="a NoC data set")
    parser.add_argument("--engine", default="embedded", help="engine name (default embedded)")
    parser.add_argument("--clicks", type=int, default=5, help="clicks per object (default 5)")
    parser.add_argument("--json", help="also write the rows here")
    args = parser.parse_args()
    if args.clicks < 1:
        parser.error("--clicks must be at least 1")
    engine = _LastAnswer(create_engine(args.engine))
    rows = []
    print(f"{'object':28} {'out obj':>7} {'in bg':>6} {'IoU':>5} {'dilated':>7} {'eroded':>6}")
    for ref in read_manifest(args.data):
        sample = load_sample(ref)
        evaluate_object(engine, ref.name, sample.image, sample.mask, args.clicks, stop_iou=2.0)
        row = {"name": ref.name, **boundary_side(sample.mask, engine.last > PROB_THRESHOLD)}
        rows.append(row)
        print(
            f"{ref.name[:28]:28} {row['out_object']:7.2f} {row['in_background']:6.2f} "
            f"{row['iou']:5.3f} {row['iou_dilated']:7.3f} {row['iou_eroded']:6.3f}"
        )
    n = len(rows)
    if n:
        mean = {k: sum(r[k] for r in rows) / n for k in ("iou", "iou_dilated", "iou_eroded")}
        better = sum(r["iou_dilated"] > r["iou"] for r in rows)
        print(
            f"mean IoU {mean['iou']:.3f}, dilated {mean['iou_dilated']:.3f}, eroded "
            f"{mean['iou_eroded']:.3f}; dilation raises it on {better} of {n} objects"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
