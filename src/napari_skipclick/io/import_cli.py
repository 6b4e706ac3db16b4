"""``skipclick import-labels STORE --from PATH``: start a store from labels that exist."""

from __future__ import annotations

import argparse
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the import arguments."""
    parser.add_argument("store", metavar="STORE", help="annotation store (*.zarr)")
    parser.add_argument(
        "--from",
        dest="source",
        required=True,
        metavar="PATH",
        help="another annotation store (*.zarr: its frames needs review and propagated keep "
        "that status and their reasons), a folder of label PNGs (index or palette) or of "
        "per-object masks "
        "(FRAME_objID_NAME.png), a COCO json (RLE or polygons), "
        "a YOLO segmentation dataset (its folder, with data.yaml), or a (T, H, W) .npy file or "
        "zarr array",
    )
    parser.add_argument(
        "--video", help="the labels' video (needed to create STORE; checked against it if given)"
    )
    parser.add_argument(
        "--allow-overlaps",
        action="store_true",
        help="where instances overlap, the smaller keeps the pixels (default: refuse)",
    )
    frames = parser.add_mutually_exclusive_group()
    frames.add_argument(
        "--replace", action="store_true", help="overwrite frames the store already labels"
    )
    frames.add_argument(
        "--merge",
        action="store_true",
        help="add the objects to frames the store already labels, beside its objects there "
        "(its pixels stay where they meet)",
    )
    parser.add_argument(
        "--void",
        type=int,
        metavar="VALUE",
        help="a label value that marks void, imported as background (255 in DAVIS-style masks)",
    )
    parser.add_argument("--dry-run", action="store_true", help="check only; write nothing")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Import; the summary goes to stdout, progress and errors to stderr."""
    import tempfile
    from contextlib import nullcontext
    from pathlib import Path

    from ..frame_lists import counted, frame_ranges
    from .labels_import import check_import, import_labels, read_labels_source
    from .progress import progress_bar
    from .store import AnnotationStore, StoreError, interrupted_import, is_store
    from .store.layout import check_same_video, remove_new_store
    from .video import VideoError, open_video

    scratch = tempfile.TemporaryDirectory() if args.dry_run else nullcontext(None)
    store = None
    try:
        with scratch as tmp:
            exists = is_store(Path(args.store))
            if args.video and args.dry_run and exists:  # checked, nothing written, no lock
                with open_video(args.video) as video:
                    info = video.info
                store = AnnotationStore.open(args.store)
                check_same_video(Path(args.store), store.video, info)
            elif args.video:
                with open_video(args.video) as video:
                    info = video.info
                where = Path(tmp) / "check.zarr" if tmp and not exists else args.store
                store = AnnotationStore.open_or_create(where, info)
            elif exists:
                store = AnnotationStore.open(args.store, readonly=args.dry_run)
            else:
                raise StoreError(f"{args.store} is no store yet: give its video with --video")
            with store:
                v = store.video
                source = read_labels_source(args.source, (v.height, v.width), args.void)
                with progress_bar("import", "step", args.quiet) as progress:
                    if args.dry_run:
                        report = check_import(
                            store,
                            source,
                            progress,
                            allow_overlaps=args.allow_overlaps,
                            replace=args.replace,
                            merge=args.merge,
                        )
                    else:
                        report = import_labels(
                            store,
                            source,
                            allow_overlaps=args.allow_overlaps,
                            replace=args.replace,
                            merge=args.merge,
                            progress=progress,
                        )
    except (StoreError, VideoError, OSError, KeyboardInterrupt) as e:
        begun = store is not None and interrupted_import(store.path) is not None
        if store is not None and store.created and not args.dry_run and not begun:
            remove_new_store(store.path)  # made by this import, left unfilled
        if isinstance(e, KeyboardInterrupt):
            if begun:  # a merge's frames left: --replace would erase the store's there
                again = "run the same command (with --merge) to merge the frames left"
                finish = again if args.merge else "run the same command with --replace to finish"
                print(
                    f"skipclick import-labels: interrupted: the frames imported are kept in "
                    f"{args.store}; {finish}",
                    file=sys.stderr,
                )
                return 130
            raise  # Ctrl+C: said by skipclick's main, as for every command
        print(f"skipclick import-labels: error: {e}", file=sys.stderr)
        return 1
    verb = "would import" if args.dry_run else "imported"
    print(
        f"{verb} {counted(len(report.frames), 'frame')}, {counted(len(report.objects), 'object')} "
        f"into {args.store}"
    )
    for o in report.objects:
        print(f"  {o.id}: {o.name} ({o.class_name})")
    if report.moved:
        renumbered = ", ".join(f"{i} → {j}" for i, j in sorted(report.moved.items()))
        print(f"  IDs the store gave other objects took new ones: {renumbered}")
    if report.merged:
        print(f"  {len(report.merged)} frame(s) keep the store's objects beside them")
    if report.kept:
        print("  where they meet the store's labels, those keep their pixels:")
        for t, said in report.kept.items():
            print(f"    frame {t}: {said}")
    if args.void is None and any(o.id == 255 for o in report.objects):
        print("  label 255 is an object here; if it marks void (DAVIS-style masks): --void 255")
    if report.replaced:
        done = ["replaced", "erased", "overwrote"]
        if args.dry_run:
            done = ["would replace", "would erase", "would overwrite"]
        print(
            f"  {done[0]} the store's labels on frames {frame_ranges(report.replaced)}: "
            f"{report.erased_text(done[1])}; {report.overwritten_text(done[2])}"
        )
    if report.review:
        print(
            f"  {len(report.review)} frame(s) still need review, as in {args.source}: "
            f"{frame_ranges(report.review)}"
        )
    if report.overlaps:
        pixels = sum(report.overlaps.values())
        on = counted(len(report.overlaps), "frame")
        print(f"  overlaps on {on}, {pixels} px (smaller instance kept)")
    return 0
