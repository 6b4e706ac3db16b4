"""The folder and CSV files of evaluation data sets (``manifest.csv``, ``frames.csv``,
``objects.csv``), read one way: a byte-order mark (Excel's *CSV UTF-8*) and spaces around names
and values ignored, missing columns named with those found, empty cells as empty strings.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path


def check_folder(root: Path, error: type[Exception]) -> None:
    """``error`` unless the data set's folder ``root`` is a folder (a file, or nothing there)."""
    if not root.is_dir():
        why = "is a file, not a folder" if root.exists() else "does not exist"
        raise error(f"data folder {root} {why}")


def read_table(
    path: Path, required: Sequence[str], error: type[Exception]
) -> list[tuple[int, dict[str, str]]]:
    """The rows of the CSV file ``path`` as ``(line number, {column: text})``, blank lines left
    out; ``error`` (its message naming the file) when a ``required`` column is missing.

    Args:
        path: the CSV file, with a header row.
        required: the columns it must have.
        error: the exception class to raise.
    """
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = [name.strip() for name in next(reader, [])]
        missing = [c for c in required if c not in header]
        if missing:
            raise error(
                f"{path} lacks the column(s) {', '.join(missing)}; "
                f"found {', '.join(header) or 'no header'}"
            )
        rows = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            cells = [cell.strip() for cell in cells] + [""] * (len(header) - len(cells))
            rows.append((reader.line_num, dict(zip(header, cells, strict=False))))
    return rows
