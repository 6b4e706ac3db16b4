"""``skipclick recovered``: list the recovery stores (the labels of sessions with no store)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    """No arguments: the recovery folder is the cache folder's."""


def run(args: argparse.Namespace) -> int:
    """List the recovery stores. Exit status 0; 2 when the cache folder cannot be used."""
    from ..model.weights import CacheFolderError
    from .recovered import recovered_stores, recovery_folder

    try:
        folder = recovery_folder()
    except CacheFolderError as exc:
        print(f"skipclick recovered: error: {exc}", file=sys.stderr)
        return 2
    _list(folder, recovered_stores(folder))
    return 0


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
        if r.error:
            print(f"    cannot be read: {r.error}")
    print("open one in napari (drag it onto the window) or `skipclick info STORE`")


def _size(n: int) -> str:
    """``n`` bytes in B, KiB, MiB or GiB."""
    size = float(n)
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{n} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"
