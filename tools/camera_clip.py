"""A clip with a ground-truth mask on every frame, made from one annotated frame and a camera move.

Usage::

    python tools/camera_clip.py --image FRAME --labels LABELS --names skis,poles,skier --out DIR
        [--frames 20] [--pan 3,1] [--zoom 0.01] [--roll 0.2] [--quality 90]

``LABELS`` is the frame's label image (0 background, objects 1..K, 255 void), ``--names``
names the objects 1..K. Frame ``k`` is the frame seen by a camera that has panned ``k`` times
``--pan`` pixels (rows, columns), zoomed in by a factor ``(1 + zoom) ** k`` and rolled by ``k``
times ``--roll`` degrees about the objects' centre: the image resampled bilinearly and saved as
JPEG (``--quality``), the labels by their nearest pixel; beyond the image's edges both repeat
the edge, so a label there is what the frame shows. ``DIR`` gets ``eval-video``'s layout
(``frames.csv``, ``objects.csv``, ``frames/``, ``masks/``), so

    skipclick eval-video --engine embedded --data PARENT_OF_DIR --clips NAME --first-frame gt

scores propagation of every object, thin ones beside the athlete among them, on real image
content whose motion is known exactly. The world stays rigid (no limb swings, no occlusion):
a check of the carry through camera motion and scale, beside the real clips of
``davis2016_video``, not in place of them.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
from PIL import Image
from skimage.transform import SimilarityTransform, warp


def camera(
    centre: np.ndarray, k: int, pan: tuple[float, float], zoom: float, roll: float
) -> SimilarityTransform:
    """The map from frame 0's pixel coordinates (x, y) to frame ``k``'s: ``k`` times the pan
    (rows, columns), a zoom by ``(1 + zoom) ** k`` and a roll by ``k`` times ``roll`` degrees
    about ``centre`` (rows, columns)."""
    about = SimilarityTransform(translation=-centre[::-1])
    move = SimilarityTransform(
        scale=(1.0 + zoom) ** k,
        rotation=np.deg2rad(roll * k),
        translation=centre[::-1] + np.array([k * pan[1], k * pan[0]]),
    )
    return SimilarityTransform(move.params @ about.params)


def write_clip(
    image: np.ndarray,
    labels: np.ndarray,
    names: list[str],
    out: Path,
    frames: int = 20,
    pan: tuple[float, float] = (3.0, 1.0),
    zoom: float = 0.01,
    roll: float = 0.2,
    quality: int = 90,
) -> None:
    """Write the clip of ``image`` (uint8 RGB) and ``labels`` (objects 1..K named ``names``)
    seen by the moving camera (``camera``, about the objects' centre) to the new folder
    ``out``."""
    if labels.shape != image.shape[:2]:
        raise ValueError(f"labels {labels.shape} and image {image.shape[:2]} differ in size")
    objects = (labels > 0) & (labels < 255)
    if not objects.any():
        raise ValueError("the labels hold no object")
    centre = np.argwhere(objects).mean(axis=0)
    (out / "frames").mkdir(parents=True)
    (out / "masks").mkdir()
    rows = []
    for k in range(frames):
        inverse = camera(centre, k, pan, zoom, roll).inverse
        frame = warp(image, inverse, order=1, mode="edge", preserve_range=True)
        # beyond the image the frame repeats its edge: so do the labels, or an object at the
        # edge would show in a frame where its truth is empty
        mask = warp(labels, inverse, order=0, mode="edge", preserve_range=True)
        name = f"{k:05d}"
        Image.fromarray(np.rint(frame).astype(np.uint8)).save(
            out / "frames" / f"{name}.jpg", quality=quality
        )
        Image.fromarray(mask.astype(np.uint8)).save(out / "masks" / f"{name}.png")
        rows.append((k, f"frames/{name}.jpg", f"masks/{name}.png"))
    with (out / "frames.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows([("frame", "image", "mask"), *rows])
    with (out / "objects.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows([("value", "name"), *enumerate(names, start=1)])


def _pair(text: str) -> tuple[float, float]:
    rows, cols = (float(v) for v in text.split(","))
    return rows, cols


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--image", type=Path, required=True)
    parser.add_argument("--labels", type=Path, required=True)
    parser.add_argument("--names", required=True, help="object names, values 1, 2, ... in order")
    parser.add_argument("--out", type=Path, required=True, help="new clip folder")
    parser.add_argument("--frames", type=int, default=20)
    parser.add_argument("--pan", type=_pair, default=(3.0, 1.0), help="rows,columns per frame")
    parser.add_argument("--zoom", type=float, default=0.01)
    parser.add_argument("--roll", type=float, default=0.2)
    parser.add_argument("--quality", type=int, default=90)
    args = parser.parse_args()
    if args.out.exists():
        raise SystemExit(f"{args.out} exists; give a new folder")
    image = np.asarray(Image.open(args.image).convert("RGB"))
    labels = np.asarray(Image.open(args.labels))
    try:
        write_clip(
            image,
            labels,
            args.names.split(","),
            args.out,
            args.frames,
            args.pan,
            args.zoom,
            args.roll,
            args.quality,
        )
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    print(f"wrote {args.frames} frames to {args.out}")


if __name__ == "__main__":
    main()
