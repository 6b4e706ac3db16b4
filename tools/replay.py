"""Replay stop rules offline on the steps ``log_steps.py`` logged, and score J as if each held.

Usage::

    python tools/replay.py bmx-trees.json hockey.json kite-surf.json tennis.json [--run 3]

Under each rule of ``RULES`` an object stops on the ``--run``-th frame in a row that counts
(a frame the run goes on from: not one it stopped on). A stop keeps the mask of the frame it
stops on and leaves the later frames of its run empty, so J follows frame for frame from the
logged run: an empty frame scores 1 where the truth is empty, else 0. Prints, per file and for
all of them, ``J_pure`` and ``J_restart`` (the mean J over the frames of the pure runs and of the
restarts) and the runs each rule stops, with the frame.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from itertools import groupby

#: the starts of the reasons of a frame on which the object coasted or still seemed hidden
COAST = ("the object seems to stop", "the object still seems stopped", "it reappears")

#: the share of the colour match below which the colours do not match (``min_colour_match``)
MIN_COLOUR = 0.7

#: the factor under which an area has shrunk against the one expected (``max_drift_ratio``)
DRIFT = 3.0


def _coasting(row: dict) -> bool:
    """Whether the object coasted or still seemed hidden on the frame."""
    return row.get("coasting", (row["reason"] or "").startswith(COAST))


def _slid(row: dict) -> bool:
    """The engine disagreed (not a coast), or the colours do not match."""
    refused = row.get("refused", False) and not _coasting(row)
    return refused or (row.get("colour") or 1.0) < MIN_COLOUR


def _shrunk(row: dict) -> bool:
    """The mask is under 1/``DRIFT`` of the area expected, the object not coasting or hidden."""
    area, expected = row.get("area", 0), row.get("expected", 0.0)
    return area > 0 and area * DRIFT < expected and not _coasting(row)


#: the frames back the area trend is read (``trend_frames``)
TREND = 5


def _faded(row: dict) -> bool:
    """The colours match under half ``MIN_COLOUR`` and the area is below the one ``TREND``
    frames before (``stop_rules.shrunk``), the object not coasting or hidden."""
    colour, area = row.get("colour"), row.get("area", 0)
    falling = 0 < area < row.get("trend", 0)
    return colour is not None and colour < MIN_COLOUR / 2 and falling and not _coasting(row)


RULES: dict[str, Callable[[dict], bool]] = {
    "none": lambda r: False,
    "track in doubt": lambda r: r.get("doubtful", False),
    "needs review, grown 1.5": lambda r: not r["ok"] and r.get("grown", 0) > 1.5,
    "slid": _slid,
    "slid, grown 1.5": lambda r: _slid(r) and r.get("grown", 0) > 1.5,
    "shrunk under start/3": lambda r: 0 < r.get("grown", 1.0) < 1 / DRIFT,
    "shrunk under expected/3": _shrunk,
    "faded": _faded,
    "shrunk or faded": lambda r: _shrunk(r) or _faded(r),
}


def replay(rows: list[dict], counts: Callable[[dict], bool], run: int) -> tuple[dict, list]:
    """The J of every frame of the pure runs and of the restarts under one rule, and its stops."""
    scores: dict[str, list[float]] = {"pure": [], "restart": []}
    stops = []
    for (start, n), steps in groupby(rows, key=lambda r: tuple(r["run"])):
        kind = "pure" if n is None else "restart"
        in_row, stop, areas = 0, None, []
        for row in steps:
            areas = areas or [row.get("start_area", 0)]
            row = {**row, "trend": areas[-min(TREND, len(areas))]}
            areas.append(row.get("area", 0))
            scores[kind].append(row["j"] if stop is None else float(row["empty"]))
            in_row = in_row + 1 if counts(row) else 0
            if stop is None and in_row >= run and not row["stopped"]:
                stop = row["frame"]
                stops.append(("pure" if n is None else f"restart from {start}", stop))
    return scores, stops


def main() -> None:
    """Print each rule's J on each file and on all of them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("logs", nargs="+", help="JSON files of log_steps.py")
    parser.add_argument("--run", type=int, default=3, help="frames in a row that stop")
    args = parser.parse_args()
    totals: dict[str, list[tuple[float, float]]] = {}
    for path in args.logs:
        with open(path) as log:
            rows = json.load(log)
        for name, counts in RULES.items():
            scores, stops = replay(rows, counts, args.run)
            pure, restart = (sum(v) / len(v) for v in (scores["pure"], scores["restart"]))
            totals.setdefault(name, []).append((pure, restart))
            print(f"{path:16s} {name:24s} J_pure {pure:.4f}  J_restart {restart:.4f}  {stops}")
    for name, values in totals.items():
        pure, restart = (sum(v) / len(values) for v in zip(*values, strict=True))
        print(f"{'all':16s} {name:24s} J_pure {pure:.4f}  J_restart {restart:.4f}")


if __name__ == "__main__":
    main()
