"""The headline figures, guarded: GrabCut NoC@90 of the embedded engine through ``skipclick eval``.

The full-set figure (docs/evaluation.md) needs the 50 GrabCut images; CI runs the same command on
every fifth of them (tests/data/grabcut_every5th), where the embedded engine needed 6.40 clicks
at 90 % (NoC@85 4.70) on 2026-11-30. The bound leaves room for small changes of the engine but
fails when it needs about six more clicks over the ten objects, or one object falls to the cap.

Equality with the official SkipClick model is guarded in every CI run by
tests/model/test_model_fixture.py (model arrays, demo probabilities and the NoC predictor against
the official tiny fixture) and tests/eval/test_eval_skipclick.py (the official NoC run).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from napari_skipclick.cli import main

SUBSET = Path(__file__).parents[1] / "data" / "grabcut_every5th"

#: measured 6.40 and 4.70 on this subset; a regression beyond these bounds fails
NOC90_BOUND = 7.0
NOC85_BOUND = 5.3


@pytest.mark.slow
def test_embedded_grabcut_noc_stays_at_its_measured_level(tmp_path, capsys):
    out = tmp_path / "embedded.json"
    argv = ["eval", "--engine", "embedded", "--data", str(SUBSET), "--json", str(out), "--strict"]
    assert main(argv) == 0
    table = capsys.readouterr().out
    result = json.loads(out.read_text())
    assert result["n"] == 10 and result["n_skipped"] == 0 and result["max_clicks"] == 20
    assert result["noc90"] <= NOC90_BOUND, table
    assert result["noc85"] <= NOC85_BOUND, table
