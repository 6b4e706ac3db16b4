"""``skipclick download``: fetch released SkipClick checkpoints into the local cache."""

from __future__ import annotations

import argparse
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the subcommand's arguments."""
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help="released checkpoints to download (default: skipclick); see --list",
    )
    parser.add_argument("--all", action="store_true", help="download all released checkpoints")
    parser.add_argument("--list", action="store_true", help="list released checkpoints and exit")
    parser.add_argument(
        "--force", action="store_true", help="download again even if a cached copy exists"
    )


def run(args: argparse.Namespace) -> int:
    """Download the requested checkpoints; print where they are."""
    from .weights import (
        CACHE_ENV,
        CHECKPOINTS,
        WeightsError,
        cache_dir,
        cached_path,
        fetch_checkpoint,
    )

    if args.list:
        print(f"cache folder: {cache_dir()} (override with ${CACHE_ENV})")
        for entry in CHECKPOINTS.values():
            state = "downloaded" if cached_path(entry.name).is_file() else "not downloaded"
            print(f"  {entry.name:<13} {state:<15} {entry.description}\n  {'':<13} {entry.url}")
        return 0
    names = list(CHECKPOINTS) if args.all else (args.names or ["skipclick"])
    status = 0
    for name in names:
        try:
            print(f"{name}: {fetch_checkpoint(name, force=args.force)}")
        except WeightsError as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = 1
    return status
