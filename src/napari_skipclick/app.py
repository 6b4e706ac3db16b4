"""``skipclick annotate``: napari on a video (default: the sample ski clip), the widget ready."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from .engines.registry import DEFAULT_ENGINE, add_engine_arguments, options_from_args


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the command's arguments to ``parser``."""
    parser.add_argument(
        "video",
        nargs="?",
        help="video file, frame folder or one photo (default: the sample giant-slalom clip)",
    )
    parser.add_argument(
        "--store", help="zarr store folder for the annotations (created or resumed)"
    )
    parser.add_argument(
        "--photos",
        action="store_true",
        help="the folder holds separate photos, not a video's frames: each photo's objects are "
        "its own (no propagation, fill or review; a new photo starts with no object selected); "
        "the store keeps it",
    )
    add_engine_arguments(parser, default=DEFAULT_ENGINE)
    parser.add_argument("--cache", help="feature cache folder (e.g. filled by precompute)")
    parser.add_argument(
        "--classes",
        type=class_names,
        default=[],
        help="comma-separated classes of the objects (e.g. skier,ski,pole), added to the "
        "store's but for those renamed or removed in it; the default class 'object' goes when "
        "no object has it",
    )


def class_names(text: str) -> list[str]:
    """The class names of a comma-separated list (``--classes``)."""
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"an empty class name in {text!r}")
    return names


def open_annotator(
    video: str | None = None,
    *,
    store: str | None = None,
    engine: str = DEFAULT_ENGINE,
    options: Mapping[str, Any] | None = None,
    cache: str | None = None,
    classes: Sequence[str] = (),
    show: bool = True,
    viewer: Any = None,
    photos: bool = False,
) -> tuple[Any, Any]:
    """A viewer showing ``video`` with the SkipClick widget docked and a session started.

    Args:
        video: a video file or frame folder; None opens the sample clip.
        store: the zarr store folder (created or resumed); None keeps nothing on disk.
        engine: a registry engine name.
        options: that engine's options (see ``napari_skipclick.engines.ENGINES``).
        cache: a feature cache folder (for example filled by ``skipclick precompute``).
        classes: class names the objects may have, added to the store's but for those renamed
            or removed in it (the default class goes when no object has it:
            ``AnnotationSession.use_classes``).
        show: show the window (False for tests and scripted runs).
        viewer: an empty viewer to use instead of a new one (tests pass napari's
            ``make_napari_viewer()``, which keeps plugin registrations apart between tests).
        photos: ``video`` is a folder of separate photos, not a video's frames (``--photos``;
            a store that records it opens so without it).

    A store that holds annotations opens on the frame its last edit was saved to.

    Returns ``(viewer, widget)``. Raises ``VideoError`` for an unreadable video, ``ValueError``
    for a bad engine option or ``photos`` on anything but a folder, and the store's errors for a
    store that belongs to another video or is in use.
    """
    import napari

    from ._reader import video_layer_data
    from ._sample_data import giant_slalom
    from .engines import create_engine

    options = dict(options or {})
    model = create_engine(engine, **options)
    if video is None:
        if photos:
            raise ValueError("--photos takes a folder of photos: name one")
        data, kwargs, _ = giant_slalom()[0]
    else:
        data, kwargs, _ = video_layer_data(video, photos=photos)
    if viewer is None:
        viewer = napari.Viewer(title="SkipClick", show=show)
    image = viewer.add_image(data, **kwargs)
    if image.ndim > 2:
        viewer.dims.set_current_step(0, 0)
    _, widget = viewer.window.add_plugin_dock_widget("napari-skipclick", "SkipClick annotation")
    widget.setup_panel.show_engine(engine, options, model)
    widget.setup_panel.store_edit.setText(store or "")
    widget.setup_panel.cache_dir_edit.setText(cache or "")
    widget._apply_cache_settings()
    try:  # the error is the caller's to show (once)
        widget.controller.start_session(image, model, store_path=store)
    except Exception:
        viewer.close()
        raise
    if classes:
        widget.controller.use_classes(list(classes))
    widget.controller.go_to_last_edit()  # a store resumed: on the frame its last edit went to
    return viewer, widget


def look_at(viewer: Any, centre: tuple[float, ...], zoom: float) -> None:
    """Centre ``viewer``'s camera on ``centre`` (world coordinates) at ``zoom``.

    napari 0.9 moved the camera to ``viewer.scene.camera``; before, it is ``viewer.camera``.
    """
    camera = viewer.scene.camera if hasattr(viewer, "scene") else viewer.camera
    camera.center = centre
    camera.zoom = zoom


def no_display() -> str | None:
    """Why napari cannot open a window here (Linux without an X or Wayland display: Qt would
    abort the process with a core dump), or None."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return (
        "no display to open napari on (DISPLAY is not set): run it on a desktop, under "
        "xvfb-run (skipclick demo --screenshot demo.png --exit), or script a session in Python"
    )


def run(args: argparse.Namespace) -> int:
    """Open the viewer and run napari's event loop until the window closes."""
    import napari

    why = no_display()
    if why is not None:
        print(f"skipclick annotate: {why}", file=sys.stderr)
        return 2
    try:
        open_annotator(
            args.video,
            store=args.store,
            engine=args.engine,
            options=options_from_args(args),
            cache=args.cache,
            classes=args.classes,
            photos=args.photos,
        )
    except Exception as exc:
        print(f"skipclick annotate: {exc}", file=sys.stderr)
        return 2
    napari.run()
    return 0
