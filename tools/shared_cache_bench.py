"""A released checkpoint used from a read-only shared cache without its record: time per use.

Usage::

    python tools/shared_cache_bench.py --checkpoint FILE [--name skipclick] [--uses 5]
                                       [--backbone-arch JSON] [--json OUT]

``FILE`` (a checkpoint of the released ``--name``'s architecture, e.g. random weights saved
with ``save_skipclick(build_model(released_config("skipclick")), FILE)``: they time as the
released ones do) is copied into a new cache folder (``$SKIPCLICK_CACHE_DIR``) that refuses
writes, as a read-only shared one does (emulated: whoever runs this as root is not stopped by
permission bits), so no record is written beside it. Then the SkipClick engine is made from
``--name`` ``--uses`` times on the CPU. Prints the median time of a use, and how often the
weights were read (``torch.load`` without ``mmap``), mapped (``mmap``: shapes only) and the zip
archive's checksums read. docs/benchmarks.md, *Model*, holds its figures.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import shutil
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch


@contextmanager
def read_only_and_counted(folder: Path) -> Iterator[dict[str, int]]:
    """Within: writing a file in ``folder`` fails as on a read-only file system, and the
    weights read, mapped and the archive checksums read are counted (the dict yielded)."""
    counts = {"weights_read": 0, "mapped": 0, "checksum_passes": 0}
    load, testzip, write_text = torch.load, zipfile.ZipFile.testzip, Path.write_text

    def counting_load(*args: Any, **kwargs: Any) -> Any:
        counts["mapped" if kwargs.get("mmap") else "weights_read"] += 1
        return load(*args, **kwargs)

    def counting_testzip(archive: zipfile.ZipFile) -> str | None:
        counts["checksum_passes"] += 1
        return testzip(archive)

    def read_only(self: Path, *args: Any, **kwargs: Any) -> int:
        if Path(self).parent == folder:
            raise OSError(errno.EROFS, "Read-only file system", str(self))
        return write_text(self, *args, **kwargs)

    torch.load, zipfile.ZipFile.testzip, Path.write_text = (  # type: ignore[method-assign]
        counting_load,
        counting_testzip,
        read_only,
    )
    try:
        yield counts
    finally:
        torch.load, zipfile.ZipFile.testzip, Path.write_text = (  # type: ignore[method-assign]
            load,
            testzip,
            write_text,
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, required=True, help="the file to copy")
    parser.add_argument("--name", default="skipclick", help="the released checkpoint it is")
    parser.add_argument("--uses", type=int, default=5, help="engines made from it")
    parser.add_argument("--backbone-arch", type=Path, help="JSON DINOv2 architecture dict")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    arch = json.loads(args.backbone_arch.read_text()) if args.backbone_arch else None
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ["SKIPCLICK_CACHE_DIR"] = str(folder)
        from napari_skipclick.engines.skipclick import SkipClickEngine
        from napari_skipclick.model.weights import cached_path

        shutil.copy(args.checkpoint, cached_path(args.name))
        seconds = []
        with read_only_and_counted(folder) as counts:
            for _ in range(args.uses):
                start = time.perf_counter()
                SkipClickEngine(args.name, device="cpu", backbone_arch=arch)
                seconds.append(time.perf_counter() - start)
        records = [p.name for p in folder.iterdir() if p.suffix == ".json"]
    figures = {"use_s": seconds, **counts, "records": records}
    print(
        f"{args.uses} uses: median {np.median(seconds):.2f} s; weights read "
        f"{counts['weights_read']}, mapped {counts['mapped']}, checksum passes "
        f"{counts['checksum_passes']}"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
