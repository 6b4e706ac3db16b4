"""``skipclick annotate``: napari on a video (default: the sample ski clip), the widget ready."""

from __future__ import annotations

import argparse
import sys
from typing import Any

ENGINE_NAMES = ("embedded", "skipclick", "random-walker")


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the command's arguments to ``parser``."""
    parser.add_argument(
        "video",
        nargs="?",
        help="video file or frame folder (default: the sample giant-slalom clip)",
    )
    parser.add_argument(
        "--store", help="zarr store folder for the annotations (created or resumed)"
    )
    parser.add_argument("--engine", default="embedded", choices=ENGINE_NAMES)
    parser.add_argument("--checkpoint", help="SkipClick checkpoint file or released name")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or mps (skipclick)")
    parser.add_argument("--cache", help="feature cache folder (e.g. filled by precompute)")


def open_annotator(
    video: str | None = None,
    *,
    store: str | None = None,
    engine: str = "embedded",
    checkpoint: str | None = None,
    device: str = "auto",
    cache: str | None = None,
    show: bool = True,
) -> tuple[Any, Any]:
    """A viewer showing ``video`` with the SkipClick widget docked and a session started.

    Returns ``(viewer, widget)``. Raises ``VideoError`` for an unreadable video and the store's
    errors for a store that belongs to another video or is in use.
    """
    import napari

    from ._qt.panels.setup import engine_options
    from ._reader import video_layer_data
    from ._sample_data import giant_slalom
    from .engines import create_engine

    if video is None:
        data, kwargs, _ = giant_slalom()[0]
    else:
        data, kwargs, _ = video_layer_data(video)
    viewer = napari.Viewer(title="SkipClick", show=show)
    image = viewer.add_image(data, **kwargs)
    if image.ndim > 2:
        viewer.dims.set_current_step(0, 0)
    _, widget = viewer.window.add_plugin_dock_widget("napari-skipclick", "SkipClick annotation")
    panel = widget.setup_panel
    panel.engine_combo.setCurrentText(engine)
    panel.checkpoint_edit.setText(checkpoint or "")
    panel.device_combo.setCurrentText(device)
    panel.store_edit.setText(store or "")
    panel.cache_dir_edit.setText(cache or "")
    widget._apply_cache_settings()
    model = create_engine(engine, **engine_options(engine, checkpoint or "", device))
    if widget.start(image, model, store) is None:
        viewer.close()
        raise RuntimeError(widget.controller.last_message)
    return viewer, widget


def run(args: argparse.Namespace) -> int:
    """Open the viewer and run napari's event loop until the window closes."""
    import napari

    try:
        open_annotator(
            args.video,
            store=args.store,
            engine=args.engine,
            checkpoint=args.checkpoint,
            device=args.device,
            cache=args.cache,
        )
    except Exception as exc:
        print(f"skipclick annotate: {exc}", file=sys.stderr)
        return 2
    napari.run()
    return 0
