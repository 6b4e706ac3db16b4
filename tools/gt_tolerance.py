"""How much IoU one pixel of boundary costs each object of a NoC data set.

Usage::

    python tools/gt_tolerance.py --data DIR [--json OUT]

For every object of ``DIR`` (``skipclick eval``'s layout: ``manifest.csv``, images, masks),
the ground-truth mask is compared with itself eroded and dilated by one pixel (4-connected: the
smallest change of its boundary) and shifted by one pixel to the right, void pixels excluded as
``skipclick eval`` scores. An object whose one-pixel erosion or dilation already scores below a
NoC threshold reaches it only where a mask agrees with the annotation's own rasterisation to
within a pixel nearly all along its boundary: it bounds what any engine's NoC can be on thin
objects (docs/evaluation.md, *What bounds NoC on skis and poles*). Also printed: the object's
area, its median width (twice the median distance of its pixels to the background) and its
pieces (8-connected).
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from scipy import ndimage

from napari_skipclick.eval.datasets import load_sample, read_manifest
from napari_skipclick.eval.metrics import iou

#: 8-connectivity, for pieces
SQUARE = np.ones((3, 3), dtype=bool)


def tolerance(mask: np.ndarray) -> dict[str, float]:
    """The IoU of ``mask`` (1 object, 0 background, 255 void) with its one-pixel erosion,
    dilation and shift, its area, median width and number of pieces."""
    obj = mask == 1
    depth = ndimage.distance_transform_edt(np.pad(obj, 1))[1:-1, 1:-1]
    shifted = np.zeros_like(obj)
    shifted[:, 1:] = obj[:, :-1]
    return {
        "area": int(obj.sum()),
        "median_width": float(2 * np.median(depth[obj])) if obj.any() else 0.0,
        "pieces": int(ndimage.label(obj, SQUARE)[1]),
        "erode_1px": float(iou(mask, ndimage.binary_erosion(obj))),
        "dilate_1px": float(iou(mask, ndimage.binary_dilation(obj))),
        "shift_1px": float(iou(mask, shifted)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="a NoC data set (manifest.csv)")
    parser.add_argument("--json", help="also write the rows here")
    args = parser.parse_args()
    rows = []
    print(
        f"{'object':34} {'area':>6} {'width':>5} {'pieces':>6} {'erode':>5} {'dilate':>6} "
        f"{'shift':>5}"
    )
    for ref in read_manifest(args.data):
        row = {"name": ref.name, **tolerance(load_sample(ref).mask)}
        rows.append(row)
        print(
            f"{ref.name[:34]:34} {row['area']:6d} {row['median_width']:5.1f} {row['pieces']:6d} "
            f"{row['erode_1px']:5.2f} {row['dilate_1px']:6.2f} {row['shift_1px']:5.2f}"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
