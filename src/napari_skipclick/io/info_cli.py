"""``skipclick info STORE``: what a store holds, which frames need review and why."""

from __future__ import annotations

import argparse
import json
import sys

from ..frame_lists import frame_ranges

#: frames needing review listed with their reasons unless ``--all``
SHOWN = 10


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the info arguments."""
    parser.add_argument("store", metavar="STORE", help="annotation store (*.zarr)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument(
        "--all",
        action="store_true",
        help=f"list every frame that needs review with its reasons (default: the first {SHOWN})",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Print the summary; exit status 0, or 2 when STORE is no readable store. The store is
    opened read-only (no lock), so this works while someone annotates in it."""
    from tqdm import tqdm

    from .store import AnnotationStore, StoreError
    from .store_summary import summarise

    try:
        with AnnotationStore.open(args.store, readonly=True) as store:
            bar = tqdm(desc="read labels", unit="frame", file=sys.stderr, disable=args.quiet)

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            try:
                summary = summarise(store, progress)
            finally:
                bar.close()
    except StoreError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(report(summary, None if args.all else SHOWN))
    return 0


def report(summary: dict, shown: int | None = SHOWN) -> str:
    """The summary as text; at most ``shown`` frames that need review get their reasons
    (None: all of them)."""
    v = summary["video"]
    lines = [
        f"store   {summary['store']}",
        f"video   {v['path']}  {v['frames']} frames  {v['width']}x{v['height']}  {v['fps']:g} fps",
        f"classes {', '.join(summary['classes']) or '-'}",
        "",
        f"{'id':>4}  {'name':20s} {'class':14s} {'frames':>7} {'pixels':>12} {'clicks':>7}",
    ]
    for o in summary["objects"]:
        lines.append(
            f"{o['id']:>4}  {o['name'][:20]:20s} {o['class'][:14]:14s} {o['frames']:>7} "
            f"{o['pixels']:>12,} {o['clicks']:>7}"
        )
    if not summary["objects"]:
        lines.append("      (no objects)")
    counts = ", ".join(f"{status} {n}" for status, n in sorted(summary["statuses"].items()))
    lines += ["", f"frames  {summary['annotated']} of {v['frames']} annotated ({counts or '-'})"]
    review = summary["needs_review"]
    if review:
        names = {o["id"]: o["name"] for o in summary["objects"]}
        lines.append(f"needs review: {len(review)} frame(s)")
        listed = sorted(review)[:shown] if shown is not None else sorted(review)
        for t in listed:
            why = review[t]
            if not why:
                lines.append(f"  frame {t}: (reason not stored)")
            for obj, reason in sorted(why.items()):
                lines.append(f"  frame {t}: {names.get(obj, f'object {obj}')}: {reason}")
        if len(listed) < len(review):
            rest = sorted(review)[len(listed) :]
            lines.append(f"  ... and {len(rest)} more: {frame_ranges(rest)} (--all lists them)")
    if summary["labels_without_object"]:
        lines.append(f"label values with no object: {summary['labels_without_object']}")
    for problem in summary["problems"]:
        lines.append(f"problem: {problem}")
    return "\n".join(lines)
