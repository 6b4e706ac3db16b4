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

from napari_skipclick.session import PropagationSettings
from napari_skipclick.session.stop_rules import FADED

#: the starts of the reasons of a frame on which the object coasted or still seemed hidden
COAST = ("the object seems to stop", "the object still seems stopped", "it reappears")

#: the settings whose limits the rules read (``min_colour_match``, ``max_drift_ratio``,
#: ``max_slid_growth``, ``trend_frames``): the defaults of a run
DEFAULTS = PropagationSettings()


def _coasting(row: dict) -> bool:
    """Whether the object coasted or still seemed hidden on the frame."""
    return row.get("coasting", (row["reason"] or "").startswith(COAST))


def rules(settings: PropagationSettings) -> dict[str, Callable[[dict], bool]]:
    """The rules replayed, by name, under the limits of ``settings``."""
    colour, drift, growth = (
        settings.min_colour_match,
        settings.max_drift_ratio,
        settings.max_slid_growth,
    )

    def slid(row: dict) -> bool:
        """The engine disagreed (not a coast), or the colours do not match."""
        refused = row.get("refused", False) and not _coasting(row)
        return refused or (row.get("colour") or 1.0) < colour

    def shrunk(row: dict) -> bool:
        """The mask is under 1/``max_drift_ratio`` of the area expected, the object not
        coasting or hidden."""
        area, expected = row.get("area", 0), row.get("expected", 0.0)
        return area > 0 and area * drift < expected and not _coasting(row)

    def faded(row: dict) -> bool:
        """The colours match under ``FADED`` times ``min_colour_match`` and the area is below
        the one ``trend_frames`` before (``stop_rules.shrunk``), the object not coasting or
        hidden."""
        match, area = row.get("colour"), row.get("area", 0)
        falling = 0 < area < row.get("trend", 0)
        return match is not None and match < FADED * colour and falling and not _coasting(row)

    return {
        "none": lambda r: False,
        "track in doubt": lambda r: r.get("doubtful", False),
        f"needs review, grown {growth:g}": lambda r: not r["ok"] and r.get("grown", 0) > growth,
        "slid": slid,
        f"slid, grown {growth:g}": lambda r: slid(r) and r.get("grown", 0) > growth,
        f"shrunk under start/{drift:g}": lambda r: 0 < r.get("grown", 1.0) < 1 / drift,
        f"shrunk under expected/{drift:g}": shrunk,
        "faded": faded,
        "shrunk or faded": lambda r: shrunk(r) or faded(r),
    }


RULES = rules(DEFAULTS)


def replay(
    rows: list[dict], counts: Callable[[dict], bool], run: int, trend: int = DEFAULTS.trend_frames
) -> tuple[dict, list]:
    """The J of every frame of the pure runs and of the restarts under one rule, and its stops;
    a frame's ``trend`` is the area ``trend`` frames before (the start frame's at first)."""
    scores: dict[str, list[float]] = {"pure": [], "restart": []}
    stops = []
    for (start, n), steps in groupby(rows, key=lambda r: tuple(r["run"])):
        kind = "pure" if n is None else "restart"
        in_row, stop, areas = 0, None, []
        for row in steps:
            areas = areas or [row.get("start_area", 0)]
            row = {**row, "trend": areas[-min(trend, len(areas))]}
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
