"""A clip whose object a flat panel hides on some frames, made from a clip of ``eval-video``.

Usage::

    python tools/occluded_clip.py --clip DAVIS/bmx-trees --out DIR/bmx_panel
        [--frames 15] [--hidden 5-7] [--colour 190,40,40]

The first ``--frames`` frames of ``--clip`` (``eval-video``'s layout: ``frames.csv``,
``frames/``, ``masks/``, optionally ``objects.csv``) are copied to ``--out``; on the
``--hidden`` frames a panel of one flat colour covers the box around every object of the
frames from the one before them to the one after (grown by 10 pixels), and the ground truth
there is emptied: the objects are hidden, as behind a gate panel. So

    skipclick eval-video --engine embedded --data DIR --clips bmx_panel --first-frame gt

scores what the hidden frames cost: the simulated user marks the object not there (one
correction) where the truth is empty and the mask is not, and picks it up where it shows again.
"""

from __future__ import annotations

import argparse
import csv
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from napari_skipclick.eval.video_data import load_clip
from napari_skipclick.frame_lists import parse_frames

#: how far the panel reaches past the objects' box, in pixels
MARGIN = 10


def write_clip(
    clip: Path, out: Path, frames: int, hidden: list[int], colour: tuple[int, int, int]
) -> None:
    """Write the first ``frames`` frames of ``clip`` to the new folder ``out``, the objects
    hidden behind a flat panel of ``colour`` on the ``hidden`` frames."""
    loaded = load_clip(clip, frames)
    images, masks = loaded.frames.copy(), loaded.masks.copy()
    n = len(images)
    if not hidden or min(hidden) < 0 or max(hidden) >= n:
        raise ValueError(f"--hidden must name frames of 0-{n - 1}")
    around = range(max(min(hidden) - 1, 0), min(max(hidden) + 2, n))
    objects = np.isin(masks[list(around)], list(loaded.objects)).any(axis=0)
    if not objects.any():
        raise ValueError("no object shows on the hidden frames or beside them")
    rows, cols = np.nonzero(objects)
    height, width = objects.shape
    box = (
        slice(max(rows.min() - MARGIN, 0), min(rows.max() + MARGIN + 1, height)),
        slice(max(cols.min() - MARGIN, 0), min(cols.max() + MARGIN + 1, width)),
    )
    for t in hidden:
        images[t][box] = colour
        masks[t][box] = 0
    (out / "frames").mkdir(parents=True)
    (out / "masks").mkdir()
    written = []
    for k in range(n):
        name = f"{loaded.first_frame + k:05d}"
        Image.fromarray(images[k]).save(out / "frames" / f"{name}.png")
        Image.fromarray(masks[k]).save(out / "masks" / f"{name}.png")
        written.append((loaded.first_frame + k, f"frames/{name}.png", f"masks/{name}.png"))
    with (out / "frames.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows([("frame", "image", "mask"), *written])
    if (clip / "objects.csv").is_file():
        shutil.copy(clip / "objects.csv", out / "objects.csv")


def _colour(text: str) -> tuple[int, int, int]:
    red, green, blue = (int(v) for v in text.split(","))
    return red, green, blue


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clip", type=Path, required=True, help="a clip of eval-video's layout")
    parser.add_argument("--out", type=Path, required=True, help="new clip folder")
    parser.add_argument("--frames", type=int, default=15)
    parser.add_argument("--hidden", default="5-7", help="frames (of the copy) the panel hides")
    parser.add_argument("--colour", type=_colour, default=(190, 40, 40), help="R,G,B")
    args = parser.parse_args()
    if args.out.exists():
        raise SystemExit(f"{args.out} exists; give a new folder")
    try:
        hidden = sorted(parse_frames(args.hidden).frames(args.frames))
        write_clip(args.clip, args.out, args.frames, hidden, args.colour)
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    print(f"wrote {args.frames} frames to {args.out}, the objects hidden on {args.hidden}")


if __name__ == "__main__":
    main()
