"""How much IoU one pixel of boundary costs each object of a NoC data set.

Usage::

    python tools/gt_tolerance.py --data DIR [--every N] [--json OUT]

For every object of ``DIR`` (``skipclick eval``'s layout: ``manifest.csv``, images, masks; or
``skipclick eval-video``'s, one folder per clip, of which every ``--every``-th frame counts) the
ground-truth mask is compared with itself eroded and dilated by one pixel (4-connected: the
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
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from scipy import ndimage

from napari_skipclick.eval.datasets import load_sample, read_manifest
from napari_skipclick.eval.metrics import iou
from napari_skipclick.eval.video_data import clip_names, load_clip
from napari_skipclick.shapes import median_width

#: 8-connectivity, for pieces
SQUARE = np.ones((3, 3), dtype=bool)


def tolerance(mask: np.ndarray) -> dict[str, float]:
    """The IoU of ``mask`` (1 object, 0 background, 255 void) with its one-pixel erosion,
    dilation and shift, its area, median width and number of pieces."""
    obj = mask == 1
    shifted = np.zeros_like(obj)
    shifted[:, 1:] = obj[:, :-1]
    return {
        "area": int(obj.sum()),
        "median_width": median_width(obj),
        "pieces": int(ndimage.label(obj, SQUARE)[1]),
        "erode_1px": float(iou(mask, ndimage.binary_erosion(obj))),
        "dilate_1px": float(iou(mask, ndimage.binary_dilation(obj))),
        "shift_1px": float(iou(mask, shifted)),
    }


def ground_truths(data: Path, every: int) -> Iterator[tuple[str, np.ndarray]]:
    """Name and mask (1 object, 0 background, 255 void) of each object of ``data``: a NoC data
    set, or clips in ``skipclick eval-video``'s layout (every ``every``-th frame, from 0)."""
    if (data / "manifest.csv").is_file():
        for ref in read_manifest(data):
            yield ref.name, load_sample(ref).mask
        return
    for name in clip_names(data):
        clip = load_clip(data / name)
        for value in clip.objects:
            masks = clip.ground_truth(value)
            for t in range(0, len(masks), every):
                yield f"{name}:{value} frame {t}", masks[t]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, type=Path, help="a NoC data set or video clips")
    parser.add_argument("--every", type=int, default=10, help="video clips: every N-th frame")
    parser.add_argument("--json", help="also write the rows here")
    args = parser.parse_args()
    if args.every < 1:
        parser.error("--every must be at least 1")
    rows = []
    print(
        f"{'object':34} {'area':>6} {'width':>5} {'pieces':>6} {'erode':>5} {'dilate':>6} "
        f"{'shift':>5}"
    )
    for name, mask in ground_truths(args.data, args.every):
        row = {"name": name, **tolerance(mask)}
        rows.append(row)
        print(
            f"{name[:34]:34} {row['area']:6d} {row['median_width']:5.1f} {row['pieces']:6d} "
            f"{row['erode_1px']:5.2f} {row['dilate_1px']:6.2f} {row['shift_1px']:5.2f}"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
