"""``skipclick bench-store`` runs end to end on a tiny configuration."""

from __future__ import annotations

import argparse
import json

from napari_skipclick.bench import store as bench


def test_bench_store_small(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    bench.configure(parser)
    out = tmp_path / "bench.json"
    args = parser.parse_args(
        ["--commits", "2", "--frames", "3", "--dir", str(tmp_path), "--json", str(out)]
    )
    assert bench.run(args) == 0
    result = json.loads(out.read_text())
    assert result["commit_1080p_ms"]["n"] == 2 and result["commit_1080p_ms"]["median"] > 0
    assert result["sample_store"]["frames"] == 3 and result["sample_store"]["bytes"] > 0
    formats = ("coco", "yolo-seg", "davis", "png", "numpy")
    assert set(result["exports"]) == {
        f"{fmt} {kind}" for fmt in formats for kind in ("labels only", "with images")
    }
    assert all(e["bytes"] > 0 for e in result["exports"].values())
    assert result["object_pixels_480p"] == [123, 93, 1377]  # the giant-slalom masks
    assert "| export png with images, 3 frames |" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == [out]  # the work folder is removed


def test_a_work_folder_that_is_not_there_is_named(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    bench.configure(parser)
    args = parser.parse_args(["--commits", "1", "--dir", str(tmp_path / "nowhere")])
    assert bench.run(args) == 2  # a FileNotFoundError traceback before
    assert f"--dir {tmp_path / 'nowhere'} is no folder" in capsys.readouterr().err
