"""``skipclick demo``: a short scripted annotation of the sample ski video in the real widget.

Three objects on frame 0 (skier, skis, poles; classes ``CLASSES``) from scripted clicks on the
prompts layer, the poles in zoom mode, propagation over the next 10 frames, everything saved to
a zarr store.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

#: the classes of the demo's objects (``skipclick annotate --classes skier,ski,pole``)
CLASSES = ("skier", "ski", "pole")

#: (object name, class, clicks (row, column, positive) on frame 0 of the sample video, zoom
#: mode); thin objects first, so that the skier's mask does not take their pixels
SCRIPT: tuple[tuple[str, str, tuple[tuple[float, float, bool], ...], bool], ...] = (
    (
        "skis",
        "ski",
        (
            (195, 364, True),
            (188, 348, False),
            (190, 356, False),
            (195, 349, False),
            (195, 327, True),
            (196, 353, True),
        ),
        True,
    ),
    (
        "poles",
        "pole",
        ((183, 408, True), (174, 385, True), (165, 361, True), (155, 309, True), (165, 320, True)),
        True,
    ),
    (
        "skier",
        "skier",
        (
            (144, 335, True),
            (166, 335, True),
            (184, 355, True),
            (134, 364, False),
            (195, 346, False),
            (115, 357, False),  # on the gate pole the mask ran up: the spur goes
        ),
        False,
    ),
)
PROPAGATE_FRAMES = 10


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the command's arguments to ``parser``."""
    parser.add_argument("--screenshot", type=Path, help="save a PNG of the window at the end")
    parser.add_argument("--exit", action="store_true", help="close napari when the demo is done")
    parser.add_argument("--store", help="new store folder (default: a temporary folder)")


def wait_until(condition: Any, timeout: float = 600.0) -> None:
    """Run the Qt event loop until ``condition()`` holds; TimeoutError after ``timeout`` s."""
    from qtpy.QtWidgets import QApplication

    app = QApplication.instance()
    deadline = time.monotonic() + timeout
    while not condition():
        app.processEvents()
        if time.monotonic() > deadline:
            raise TimeoutError("the demo step did not finish in time")
        time.sleep(0.002)
    app.processEvents()


def annotate(widget: Any, log: Any = print) -> None:
    """Run ``SCRIPT`` on frame 0 through the prompts layer, then propagate and save (the
    session's classes must hold ``CLASSES``)."""
    controller = widget.controller
    controller.go_to_frame(0)
    wait_until(lambda: controller.idle)
    for name, class_name, clicks, zoom in SCRIPT:
        controller.add_object(class_name, name=name)
        if controller.zoom != zoom:
            controller.toggle_zoom()
        for y, x, positive in clicks:
            controller.layers.prompts.feature_defaults = {"positive": positive}
            controller.layers.prompts.add([y, x])
            wait_until(lambda: controller.idle)
        log(f"frame 0: {name} annotated with {len(clicks)} click(s)")
    if controller.zoom:
        controller.toggle_zoom()
    controller.propagate(1, PROPAGATE_FRAMES)
    wait_until(lambda: controller.idle)
    statuses = controller.session.statuses()
    log("statuses: " + ", ".join(f"{t}: {s.value}" for t, s in statuses.items()))
    if not controller.flush():
        raise RuntimeError(f"the demo could not save its store: {controller.save_state.error}")


def run(args: argparse.Namespace) -> int:
    """Open the viewer, run the script, optionally screenshot and exit."""
    import tempfile

    import napari

    from .app import look_at, no_display, open_annotator

    why = no_display()
    if why is not None:
        print(f"skipclick demo: {why}", file=sys.stderr)
        return 2
    store = args.store or str(Path(tempfile.mkdtemp(prefix="skipclick-demo-")) / "demo.zarr")
    if args.store and Path(args.store).exists():
        print(f"skipclick demo: {args.store} exists; give a new folder", file=sys.stderr)
        return 2
    viewer, widget = open_annotator(store=store, classes=CLASSES)
    viewer.window.resize(1500, 950)
    start = time.perf_counter()
    annotate(widget)
    print(f"demo done in {time.perf_counter() - start:.1f} s; store: {store}")
    look_at(viewer, (0, 225, 380), 2.0)
    viewer.layers.selection.active = widget.controller.layers.prompts
    wait_until(lambda: True)
    if args.screenshot:
        args.screenshot.parent.mkdir(parents=True, exist_ok=True)
        viewer.screenshot(str(args.screenshot), canvas_only=False)
        print(f"wrote {args.screenshot}")
    if args.exit:
        widget.controller.unsaved_handler = None  # no dialog: unsaved changes raise
        widget.controller.close_session()
        viewer.close()
        return 0
    napari.run()
    return 0
