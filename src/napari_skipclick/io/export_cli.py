"""``skipclick export STORE --format {coco,png,numpy} OUT``: export an annotation store."""

from __future__ import annotations

import argparse
import sys

FORMATS = ("coco", "png", "numpy")
STATUSES = ("clicked", "propagated", "needs review", "reviewed")


def parse_frames(text: str) -> list[int]:
    """Frame list like ``0-10,15,20-22`` (ranges inclusive)."""
    frames: list[int] = []
    try:
        for part in filter(None, (p.strip() for p in text.split(","))):
            first, _, last = part.partition("-")
            frames.extend(range(int(first), int(last or first) + 1))
    except ValueError:
        raise argparse.ArgumentTypeError(f"frames must look like 0-10,15, not {text!r}") from None
    return frames


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the export arguments."""
    parser.add_argument("store", metavar="STORE", help="annotation store directory (*.zarr)")
    parser.add_argument("--format", required=True, choices=FORMATS, help="export format")
    parser.add_argument("out", metavar="OUT", help="output folder (created if missing)")
    parser.add_argument(
        "--frames", type=parse_frames, help="only these frames, e.g. 0-10,15 (default: all)"
    )
    parser.add_argument(
        "--status",
        action="append",
        choices=STATUSES,
        help="only frames with this status (repeatable; default: every annotated frame)",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an earlier export")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Export; progress and errors go to stderr, the written files to stdout."""
    from tqdm import tqdm

    from .export import export_store
    from .store import AnnotationStore, StoreError

    try:
        store = AnnotationStore.open(args.store, readonly=True)
        for problem in store.problems:
            print(f"warning: {problem}", file=sys.stderr)
        bar = tqdm(desc=f"export {args.format}", unit="frame", file=sys.stderr, disable=args.quiet)

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        try:
            written = export_store(
                store,
                args.format,
                args.out,
                frames=args.frames,
                statuses=args.status,
                overwrite=args.overwrite,
                progress=progress,
            )
        finally:
            bar.close()
    except (StoreError, OSError) as e:
        print(f"skipclick export: error: {e}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0
