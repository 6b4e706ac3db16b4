"""``skipclick export STORE... --format FORMAT OUT``: annotation stores for training tools."""

from __future__ import annotations

import argparse
import sys

from ..frame_lists import FRAMES_SYNTAX, FrameSelection, parse_frames
from ..types import EXPORT_STATUSES

FORMATS = ("coco", "yolo-seg", "davis", "png", "numpy")


def frames_arg(text: str) -> FrameSelection:
    """``--frames`` for argparse: ``0-10,15``, ``100-``, ``0:100`` (``frame_lists``)."""
    try:
        return parse_frames(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--frames ")) from None


def jpeg_quality(text: str) -> int:
    """``--quality``: an integer in 1..100."""
    if not text.strip().isdigit() or not 1 <= int(text) <= 100:
        raise argparse.ArgumentTypeError(f"JPEG quality is an integer in 1..100, not {text!r}")
    return int(text)


def split_arg(text: str) -> dict[str, float]:
    """``train=0.8,val=0.2`` for argparse."""
    from .export.split import parse_split

    try:
        return parse_split(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the export arguments."""
    parser.add_argument(
        "stores", nargs="+", metavar="STORE", help="annotation store(s) (*.zarr), one per video"
    )
    parser.add_argument("out", metavar="OUT", help="output folder (created if missing)")
    parser.add_argument(
        "--format",
        required=True,
        choices=FORMATS,
        help="coco (detectron2, mmdetection), yolo-seg (Ultralytics), davis (VOS trainers), "
        "png (label images), numpy (arrays)",
    )
    parser.add_argument(
        "--frames", type=frames_arg, help=f"only these frames: {FRAMES_SYNTAX} (default: all)"
    )
    parser.add_argument(
        "--status",
        action="append",
        choices=EXPORT_STATUSES,
        help="only frames with this status (repeatable; default: every annotated frame)",
    )
    images = parser.add_mutually_exclusive_group()
    images.add_argument(
        "--with-images",
        dest="with_images",
        action="store_true",
        default=None,
        help="write the frames as images (default for coco, yolo-seg, davis)",
    )
    images.add_argument("--no-images", dest="with_images", action="store_false", help="labels only")
    parser.add_argument(
        "--image-format",
        choices=("jpg", "png"),
        help="jpg (quality 95) or png (default jpg); only with images",
    )
    parser.add_argument(
        "--quality", type=jpeg_quality, help="JPEG quality, 1..100 (default 95); only with jpg"
    )
    parser.add_argument(
        "--video", help="read the frames from this video, not the one the store records (moved)"
    )
    parser.add_argument("--split", type=split_arg, help="e.g. train=0.8,val=0.2 (default: one set)")
    parser.add_argument(
        "--split-by",
        choices=("frames", "video"),
        default="frames",
        help="frames: contiguous blocks of frames (default); video: whole videos",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the split (default 0)")
    parser.add_argument("--overwrite", action="store_true", help="replace an earlier export")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Export; progress and errors go to stderr, the written files to stdout."""
    from .export import export_store
    from .progress import progress_bar
    from .store import AnnotationStore, StoreError

    shown: list[str] = []  # the warnings (the stores' problems first), said once

    def warn(text: str) -> None:
        print(f"warning: {text}", file=sys.stderr)
        shown.append(text)

    try:
        stores = [AnnotationStore.open(path, readonly=True) for path in args.stores]
        if args.video and len(stores) > 1:
            raise ValueError("--video names the video of one store; export the stores one by one")
        videos = {str(stores[0].path): args.video} if args.video else None
        frames = _frames(args.frames, stores)
        with progress_bar(f"export {args.format}", "frame", args.quiet) as progress:
            written = export_store(
                stores,
                args.format,
                args.out,
                frames=frames,
                statuses=args.status,
                split=args.split,
                split_by=args.split_by,
                seed=args.seed,
                with_images=args.with_images,
                **_image_options(args),
                videos=videos,
                warn=warn,
                overwrite=args.overwrite,
                progress=progress,
            )
    except (StoreError, OSError, ValueError) as e:
        print(f"skipclick export: error: {_unless_shown(str(e), shown)}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0


def _image_options(args: argparse.Namespace) -> dict:
    """``--image-format`` and ``--quality`` as given, for ``export_store``; ``ValueError`` for
    one the export would not use (no images written, or ``--quality`` of PNG images)."""
    from .export import EXPORTERS

    given = {"image_format": args.image_format, "quality": args.quality}
    given = {name: value for name, value in given.items() if value is not None}
    images = EXPORTERS[args.format][1] if args.with_images is None else args.with_images
    if given and not images:
        flags = " and ".join(f"--{name.replace('_', '-')}" for name in given)
        why = "--no-images" if args.with_images is False else f"{args.format} without --with-images"
        raise ValueError(
            f"{flags} choose how images are written, and this export writes none ({why}): "
            f"add --with-images, or leave {flags} out"
        )
    if args.quality is not None and args.image_format == "png":
        raise ValueError("--quality is JPEG's; PNG images are lossless: leave --quality out")
    return given


def _unless_shown(why: str, shown: list[str]) -> str:
    """``why`` the export failed, a store's problem warned of above (``STORE: problem``) not
    said again: only what follows it (the way forward)."""
    for text in shown:
        problem = text.partition(": ")[2]
        if problem and why.startswith(problem):
            return f"the damage named above stops it{why.removeprefix(problem)}"
    return why


def _frames(selection: FrameSelection | None, stores: list) -> list[int] | None:
    """The frames ``--frames`` names, its open ranges to the end of the longest video;
    ``ValueError`` that says ``--frames`` as written when one is past that end."""
    if selection is None:
        return None
    longest = max(store.video.n_frames for store in stores)
    selection.past_the_end(longest, len(stores))
    return selection.frames(longest)
