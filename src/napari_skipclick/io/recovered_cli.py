"""``skipclick recovered``: list the recovery stores (the labels of sessions with no store),
and remove those asked for: nothing removes them otherwise, as each may be the only copy."""

from __future__ import annotations

import argparse
import math
import sys
from datetime import datetime
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the arguments."""
    parser.add_argument(
        "--remove",
        action="append",
        default=[],
        metavar="DAYS_OR_PATH",
        help="remove the recovery stores older than DAYS days, or the one at PATH (repeatable); "
        "each removed store is named",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="with --remove: name what it would remove, keep it"
    )


def run(args: argparse.Namespace) -> int:
    """List the recovery stores, or remove those ``--remove`` names. Exit status 0; 2 when a
    ``--remove`` names no recovery store, the cache folder cannot be used, or a store is still
    being written (the others are removed)."""
    from ..model.weights import CacheFolderError
    from .recovered import recovered_stores, recovery_folder

    try:
        folder = recovery_folder()
    except CacheFolderError as exc:
        print(f"skipclick recovered: error: {exc}", file=sys.stderr)
        return 2
    if not args.remove:
        _list(folder, recovered_stores(folder))
        return 0
    try:
        chosen = _chosen(args.remove, recovered_stores(folder))
    except ValueError as exc:  # before anything is removed
        print(f"skipclick recovered: error: {exc}", file=sys.stderr)
        return 2
    return _remove(chosen, args.dry_run)


def _list(folder: Path, stores: list[Path]) -> None:
    from .recovered import describe

    if not stores:
        print(f"no recovery stores in {folder}")
        return
    print(f"{len(stores)} recovery store(s) in {folder}:")
    print(f"{'made':19s} {'frames':>7} {'objects':>8} {'size':>10}  store")
    for path in stores:
        r = describe(path)
        print(
            f"{r.made:%Y-%m-%d %H:%M:%S} {r.frames:>7} {r.objects:>8} {_size(r.size):>10}  {r.path}"
        )
        if r.partial:
            print(f"    {r.partial}")
        if r.error:
            print(f"    cannot be read: {r.error}")
    print(
        "open one in napari (drag it onto the window) or `skipclick info STORE`; "
        "remove with `skipclick recovered --remove DAYS_OR_PATH`"
    )


def _chosen(asked: list[str], stores: list[Path]) -> list[Path]:
    """The stores ``--remove`` names: each argument a number of days (the stores made before
    that long ago) or a recovery store's path (``ValueError`` if it is none)."""
    from .recovered import is_recovery_store, made_at

    chosen: dict[Path, None] = {}
    for given in asked:
        try:
            days = float(given)
        except ValueError:
            path = Path(given).expanduser().absolute()
            if not is_recovery_store(path):
                raise ValueError(
                    f"{given} is no recovery store (see skipclick recovered)"
                ) from None
            chosen[path] = None
            continue
        if not math.isfinite(days) or days < 0:
            raise ValueError(f"--remove takes days of age, 0 or more, not {given}")
        now = datetime.now()
        old = (p for p in stores if (now - made_at(p)).total_seconds() > days * 86_400)
        chosen.update(dict.fromkeys(old))
    return list(chosen)


def _remove(stores: list[Path], dry_run: bool) -> int:
    from .recovered import describe, remove
    from .store import StoreLockedError

    status = 0
    for path in stores:
        r = describe(path)
        held = f"{r.frames} frame(s), {r.objects} object(s), {_size(r.size)}"
        if dry_run:
            print(f"would remove {path} ({held})")
            continue
        try:
            remove(path)
        except StoreLockedError as exc:
            print(f"skipclick recovered: kept {path}: {exc}", file=sys.stderr)
            status = 2
            continue
        print(f"removed {path} ({held})")
    if not stores:
        print("no recovery store to remove")
    return status


def _size(n: int) -> str:
    """``n`` bytes in B, KiB, MiB or GiB."""
    size = float(n)
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{n} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"
