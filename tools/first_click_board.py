"""One positive click on the board of the GoPro snowboard clip, frame 35 (``00036.jpg``), as the
widget makes it: for docs/engines.md (*A first click on a small object*).

Usage::

    OMP_NUM_THREADS=1 python tools/first_click_board.py [--data DIR] [--out DIR]

A session with the ``embedded`` engine of whichever ``napari_skipclick`` is imported (put other
sources first on ``PYTHONPATH`` for "before"), one positive click at each of four pixels of the
board, each on a new session; prints the mask's area and its IoU with a rough board mask (a
polygon drawn by hand on a 6x zoom of the frame: the board from tip to tip with its bindings,
not the boots), and with ``--out`` saves each mask over the frame.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from napari_skipclick.engines import create_engine
from napari_skipclick.io.video import open_video
from napari_skipclick.session import AnnotationSession
from napari_skipclick.types import Click

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
FRAME = 35
#: the board's outline (x, y), read off the frame
BOARD = [
    (339, 268), (345, 260), (352, 258), (472, 320), (478, 329), (473, 339),
    (462, 341), (430, 328), (390, 306), (345, 285), (339, 279),
]  # fmt: skip
#: the board's centre between the bindings, beside them and nearer its tail
CLICKS = [(300, 395), (300, 406), (297, 382), (290, 370)]


def board_mask(shape: tuple[int, int]) -> np.ndarray:
    """The rough board mask of the frame."""
    canvas = Image.new("L", (shape[1], shape[0]), 0)
    ImageDraw.Draw(canvas).polygon(BOARD, fill=1)
    return np.asarray(canvas).astype(bool)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    video = open_video(args.data / "set8_gopro_snowboard" / "frames")
    board = board_mask(video.shape[1:3])
    engine = create_engine("embedded")
    for y, x in CLICKS:
        session = AnnotationSession(video, engine, classes=("board",))
        obj = session.add_object("board")
        session.set_clicks(FRAME, obj.id, [Click(y, x, True)])
        mask = session.labels.read(FRAME) == obj.id
        iou = (mask & board).sum() / (mask | board).sum()
        print(f"click ({y}, {x}): {int(mask.sum())} px, IoU {iou:.3f} with the board")
        if args.out is not None:
            args.out.mkdir(parents=True, exist_ok=True)
            image = np.asarray(video[FRAME]).copy()
            image[mask] = (0.5 * image[mask] + (127, 0, 127)).astype(np.uint8)
            image[y - 1 : y + 2, x - 1 : x + 2] = (0, 255, 0)
            Image.fromarray(image).save(args.out / f"board_click_{y}_{x}.png")


if __name__ == "__main__":
    main()
