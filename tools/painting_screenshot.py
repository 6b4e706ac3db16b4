"""Screenshot of painting by hand in the widget, for docs/usage.md (*Painting by hand*).

Usage (needs a display; on a headless machine prefix ``xvfb-run -a -s "-screen 0 1600x1000x24"``)::

    python tools/painting_screenshot.py docs/images/painting.png

Opens the sample giant-slalom clip in the widget (embedded engine, no store), clicks the skier
three times on frame 0, adds a "pole" object and paints the left pole with napari's brush (2 px)
from the glove to the tip, as one stroke, the labels layer selected in paint mode; prints the
status line, the pole's pixels and the frame's status, and saves the window.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from skimage.draw import line

from napari_skipclick.app import look_at, open_annotator
from napari_skipclick.demo import wait_until

SKIER_CLICKS = [(144, 335), (166, 335), (184, 355)]
#: the left pole on frame 0: glove to tip (row, column)
POLE = ((143, 298), (187, 340))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="PNG to write")
    args = parser.parse_args()
    viewer, widget = open_annotator()
    viewer.window.resize(1500, 1000)
    controller = widget.controller
    wait_until(lambda: controller.idle)
    controller.add_object(name="skier")
    for y, x in SKIER_CLICKS:
        controller.layers.prompts.add([y, x])
        wait_until(lambda: controller.idle)
    pole = controller.add_object(name="pole").id
    layer = controller.layers.labels
    viewer.layers.selection.active = layer
    layer.mode = "paint"
    layer.brush_size = 2
    rows, cols = line(*POLE[0], *POLE[1])
    with layer.block_history():  # one stroke, as a mouse drag paints it
        for y, x in zip(rows, cols, strict=True):
            layer.paint((0, y, x), layer.selected_label)
    wait_until(lambda: controller.idle)
    painted = int((controller.session.labels.read(0) == pole).sum())
    print(f"{controller.last_message}; pole: {painted} px; frame 0 {controller.session.status(0)}")
    look_at(viewer, (0, 165, 340), 5.0)
    wait_until(lambda: True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    viewer.screenshot(str(args.out), canvas_only=False, flash=False)
    controller.close_session()
    viewer.close()


if __name__ == "__main__":
    main()
