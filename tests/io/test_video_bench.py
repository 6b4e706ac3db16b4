"""``skipclick bench-reader`` runs end to end on a tiny generated clip and reports its figures."""

from __future__ import annotations

import argparse
import json

from napari_skipclick.bench import reader


def test_bench_reader_reports_figures(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    reader.configure(parser)
    out = tmp_path / "reader.json"
    args = parser.parse_args(
        [
            "--seconds",
            "1",
            "--fps",
            "20",
            "--size",
            "160x96",
            "--gop",
            "8",
            "--frames",
            "6",
            "--sequential",
            "12",
            "--json",
            str(out),
        ]
    )
    assert reader.run(args) == 0
    result = json.loads(out.read_text())
    assert result["video"]["n_frames"] == 20 and result["video"]["fps"] == 20.0
    assert (result["video"]["width"], result["video"]["height"]) == (160, 96)
    assert result["random_ms"]["n"] == 6 and result["sequential_frames"] == 12
    assert result["sequential_seeks"] == 1  # in-order reading never seeks again
    assert result["first_frame_ms"] > 0 and result["peak_rss_mib"] > 0
    assert "time to first frame" in capsys.readouterr().out
