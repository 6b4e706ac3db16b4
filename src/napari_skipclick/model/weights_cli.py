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
    parser.add_argument(
        "--list",
        action="store_true",
        help="list the checkpoints (named, or all), their state, exit",
    )
    parser.add_argument(
        "--force", action="store_true", help="download again even if a cached copy exists"
    )


def run(args: argparse.Namespace) -> int:
    """Download the requested checkpoints; print where they are.

    Exit status 1 when a checkpoint failed, 2 for a usage error refused before any download:
    an unknown name, or a cache folder that cannot be used (a file, read-only).
    """
    from .weights import CHECKPOINTS, CacheFolderError, WeightsError, fetch_checkpoint

    names = list(CHECKPOINTS) if args.all else (args.names or ["skipclick"])
    unknown = [name for name in names if name not in CHECKPOINTS]
    if unknown:  # before any download
        print(
            f"error: unknown checkpoint {', '.join(map(repr, unknown))}; released ones: "
            f"{', '.join(CHECKPOINTS)} (skipclick download --list)",
            file=sys.stderr,
        )
        return 2
    try:
        if args.list:
            _list(names if args.names else list(CHECKPOINTS))
            return 0
        status = 0
        for name in names:
            try:
                print(f"{name}: {fetch_checkpoint(name, force=args.force)}")
            except CacheFolderError:
                raise
            except WeightsError as exc:
                print(f"error: {exc}", file=sys.stderr)
                status = 1
        return status
    except CacheFolderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nskipclick download: interrupted; the partial file was removed", file=sys.stderr)
        return 130


def _list(names: list[str]) -> None:
    """Each checkpoint and its state, checked as a load checks it (a changed file is
    *damaged*, not *downloaded*); writes nothing."""
    from .weights import (
        CACHE_ENV,
        CHECKPOINTS,
        WeightsError,
        cache_dir,
        cached_path,
        download_url,
        sidecar_path,
        verified,
    )

    print(f"cache folder: {cache_dir()} (override with ${CACHE_ENV})")
    for name in names:
        entry, path = CHECKPOINTS[name], cached_path(name)
        state = "not downloaded"
        if path.is_file():
            try:
                verified(path, entry, record=False)
                state = "downloaded"
                if not sidecar_path(path).is_file():
                    state += " (no record: checked on each use)"
            except WeightsError:
                state = f"damaged: skipclick download --force {name}"
        print(f"  {name}: {state}\n      {entry.description}\n      {download_url(entry)}")
