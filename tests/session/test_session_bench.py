"""``skipclick bench-session`` runs end to end on small sizes and reports every figure."""

from __future__ import annotations

import argparse
import json

from napari_skipclick.bench import session as bench


def test_bench_session_reports_all_figures(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(bench, "SIZES", {"tiny": (60, 90)})
    parser = argparse.ArgumentParser()
    bench.configure(parser)
    out = tmp_path / "session.json"
    args = parser.parse_args(
        ["--clicks", "4", "--dabs", "5", "--steps", "3", "--cache-frames", "2"]
    )
    args.json, args.dir = out, tmp_path / "cache"
    args.dir.mkdir()
    assert bench.run(args) == 0
    results = json.loads(out.read_text())
    assert results == json.loads(capsys.readouterr().out)
    tiny = results["tiny"]
    assert tiny["steps"] == 3
    assert tiny["click_edit_ms"] >= 0 and tiny["propagation_step_ms"] >= 0
    assert tiny["paint_dab_ms"] >= 0 and tiny["undo_stroke_ms"] >= 0 and tiny["end_stroke_ms"] >= 0
    cache = results["feature_cache"]
    assert cache["features_mib"] == 12.0 and 5.9 <= cache["disk_mib_per_frame"] <= 6.1
