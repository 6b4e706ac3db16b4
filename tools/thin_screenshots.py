"""Screenshots of the embedded engine on thin objects, for docs/engines.md (*Thin objects*).

Usage (needs a display; on a headless machine prefix ``xvfb-run -a``)::

    python tools/thin_screenshots.py [--data DIR] [--out DIR] [--suffix after]

Decodes fixed clicks with the ``embedded`` engine of whichever ``napari_skipclick`` is imported
(put other sources first on ``PYTHONPATH`` for a "before" picture), shows the frame, the mask
and the clicks in a napari viewer and saves the canvas: four clicks on the poles of giant-slalom
frame 0, one click on its right pole, one near the hand and one at the tip of that pole (two
clicks that read no line at the click), the click at the tip alone, the two poles clicked by
turns at their ends, and three along the board on frame 20 of the GoPro snowboard clip.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import napari
import numpy as np
from scipy import ndimage
from skimage import io

from napari_skipclick.app import look_at
from napari_skipclick.engines.embedded import EmbeddedEngine
from napari_skipclick.types import Click

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
POLES = [Click(155, 309, True), Click(165, 320, True), Click(165, 361, True), Click(185, 413, True)]
ONE_POLE_CLICK = [Click(176, 389, True)]
GRIP_AND_TIP = [Click(164, 356, True), Click(187, 419, True)]
TIP_ALONE = [Click(187, 419, True)]
BY_TURNS = [Click(148, 303, True), Click(164, 356, True), Click(171, 327, True)]
BY_TURNS.append(Click(187, 419, True))  # left glove, right grip, left tip, right tip
BOARD = [Click(254, 405, True), Click(256, 440, True), Click(255, 470, True)]


def mask_for(image: np.ndarray, clicks: list[Click]) -> np.ndarray:
    """The engine's mask after the clicks, each decoded with the previous result as prior."""
    engine = EmbeddedEngine()
    features = engine.encode(image)
    prob = None
    for k in range(1, len(clicks) + 1):
        prob = engine.decode(features, clicks[:k], prev_mask=prob)
    return (prob > 0.5).astype(np.uint8)


def shoot(image, clicks, centre, zoom, out: Path) -> None:
    """Save the napari canvas showing ``image``, its mask and the clicks around ``centre``;
    print the mask's area and its thickest point (distance from the rim, pixels)."""
    mask = mask_for(image, clicks)
    thickest = float(ndimage.distance_transform_edt(mask).max())
    print(f"{out.name}: {int(mask.sum())} px, thickest point {thickest:.1f} px from the rim")
    viewer = napari.Viewer(show=True)
    viewer.window.resize(900, 620)
    viewer.add_image(image, name="frame")
    viewer.add_labels(mask, name="mask", opacity=0.6)
    points = np.array([[c.y, c.x] for c in clicks])
    viewer.add_points(points, name="clicks", size=9 / zoom, face_color="yellow")
    look_at(viewer, centre, zoom)
    viewer.screenshot(str(out), canvas_only=True, flash=False)
    viewer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "images")
    parser.add_argument("--suffix", default="after", help="file name suffix (before/after)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    slalom = io.imread(args.data / "davis_giant_slalom" / "frames" / "00000.jpg")
    gopro = io.imread(args.data / "set8_gopro_snowboard" / "frames" / "00020.jpg")
    shoot(slalom, POLES, (165, 360), 4.5, args.out / f"thin_slalom_poles_{args.suffix}.png")
    one_click = args.out / f"thin_slalom_one_click_{args.suffix}.png"
    shoot(slalom, ONE_POLE_CLICK, (175, 390), 4.5, one_click)
    grip_tip = args.out / f"thin_slalom_grip_tip_{args.suffix}.png"
    shoot(slalom, GRIP_AND_TIP, (175, 390), 4.5, grip_tip)
    tip = args.out / f"thin_slalom_tip_{args.suffix}.png"
    shoot(slalom, TIP_ALONE, (175, 390), 4.5, tip)
    turns = args.out / f"thin_slalom_by_turns_{args.suffix}.png"
    shoot(slalom, BY_TURNS, (168, 360), 4.0, turns)
    shoot(gopro, BOARD, (255, 440), 3.5, args.out / f"thin_gopro_board_{args.suffix}.png")


if __name__ == "__main__":
    main()
