"""``skipclick info STORE...``: what stores hold, which frames need review and why."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter

from ..frame_lists import counted, frame_ranges

#: frames worth a look (``review_stops.group_stops``) listed with their reasons unless ``--all``
SHOWN = 10
#: after a video path that is not there (moved, deleted, or on another machine)
MISSING = " (missing: not there now; exports with images need --video)"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the info arguments."""
    parser.add_argument(
        "stores", nargs="+", metavar="STORE", help="annotation store(s) (*.zarr), one per video"
    )
    parser.add_argument(
        "--json", action="store_true", help="print the summaries as a JSON list, one per store"
    )
    parser.add_argument(
        "--all",
        action="store_true",
        help=f"list every frame worth a look with its reasons (default: the first {SHOWN})",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Print the summaries (with a total line for several stores); exit status 0, or 2 when a
    STORE is no readable store (the others are still summarised). Stores are opened
    read-only (no lock), so this works while someone annotates in them."""
    from .store import StoreError

    summaries = []
    failed = False
    for path in args.stores:
        try:
            summaries.append(_summary(path, args.quiet))
        except StoreError as e:
            print(f"skipclick info: error: {e}", file=sys.stderr)
            failed = True
    if args.json:
        print(json.dumps(summaries, indent=2))
    elif summaries:  # none readable: the errors alone, no blank line on stdout
        texts = [report(s, None if args.all else SHOWN) for s in summaries]
        if len(summaries) > 1:
            texts.append(total(summaries))
        print("\n\n".join(texts))
    return 2 if failed else 0


def _summary(path: str, quiet: bool) -> dict:
    """The summary of the store at ``path`` (``store_summary.summarise``), with a progress bar."""
    from .progress import progress_bar
    from .store import AnnotationStore
    from .store_summary import summarise

    with (
        AnnotationStore.open(path, readonly=True) as store,
        progress_bar("read labels", "frame", quiet) as progress,
    ):
        return summarise(store, progress)


def total(summaries: list[dict]) -> str:
    """One line over several stores: annotated frames, frames that need review, objects by
    class."""
    annotated = sum(s["annotated"] for s in summaries)
    frames = sum(s["video"]["frames"] for s in summaries)
    review = sum(len(s["needs_review"]) for s in summaries)
    classes = Counter(o["class"] for s in summaries for o in s["objects"])
    by_class = ", ".join(f"{name} {n}" for name, n in sorted(classes.items())) or "-"
    return (
        f"total   {len(summaries)} stores: {annotated} of {counted(frames, 'frame')} annotated, "
        f"{review} need review; objects by class: {by_class}"
    )


def report(summary: dict, shown: int | None = SHOWN) -> str:
    """The summary as text; at most ``shown`` frames worth a look get their reasons (None:
    all of them): the frames in review grouped as **Review ▶** steps through them
    (``review_stops.group_stops``: an object's frames not carried after its stop are one
    entry)."""
    v = summary["video"]
    lines = [
        f"store   {summary['store']}",
        f"video   {v['path']}{MISSING * bool(v.get('missing'))}  {counted(v['frames'], 'frame')}  "
        f"{v['width']}x{v['height']}" + (f"  {v['fps']:g} fps" if v["fps"] else ""),
        *([f"files   {v['first_file']} … {v['last_file']}"] if "first_file" in v else []),
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
    for o in summary["objects"]:
        if o.get("absent"):
            lines.append(
                f"      {o['name']}: marked not here on frame(s) {frame_ranges(o['absent'])}"
            )
    counts = ", ".join(f"{status} {n}" for status, n in sorted(summary["statuses"].items()))
    lines += ["", f"frames  {summary['annotated']} of {v['frames']} annotated ({counts or '-'})"]
    review = summary["needs_review"]
    if review:
        lines += _review_lines(review, {o["id"]: o["name"] for o in summary["objects"]}, shown)
    if summary["labels_without_object"]:
        lines.append(f"label values with no object: {summary['labels_without_object']}")
    for problem in summary["problems"]:
        lines.append(f"problem: {problem}")
    return "\n".join(lines)


def _review_lines(review: dict, names: dict[int, str], shown: int | None) -> list[str]:
    """The frames in review (frame -> object ID -> reason) as the frames worth a look, one
    line per object in doubt; at most ``shown`` frames (None: all)."""
    from ..session.review_stops import group_stops, stop_parts

    stops = group_stops({t: dict(sorted(why.items())) for t, why in review.items()})
    lines = [f"needs review: {counted(len(review), 'frame')}, {len(stops)} to look at"]
    listed = stops[:shown] if shown is not None else stops
    for stop in listed:
        parts = stop_parts(stop, lambda obj: names.get(obj, f"object {obj}"))
        lines += [f"  frame {stop.frame}: {part}" for part in parts or ["(reason not stored)"]]
    if len(listed) < len(stops):
        rest = [stop.frame for stop in stops[len(listed) :]]
        lines.append(f"  ... and {len(rest)} more: {frame_ranges(rest)} (--all lists them)")
    return lines
