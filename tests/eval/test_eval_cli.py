"""``skipclick eval`` end to end: table, JSON, skipping and strict mode, argument errors."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from napari_skipclick.eval import cli
from napari_skipclick.eval.clicker import Clicker

MINI = Path(__file__).parents[1] / "data" / "grabcut_mini"


def run_eval(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    cli.configure(parser)
    try:
        args = parser.parse_args([str(a) for a in argv])
    except SystemExit as exc:  # argparse's own errors
        return int(exc.code)
    return cli.run(args)


def test_random_walker_on_grabcut_mini(tmp_path, capsys):
    out = tmp_path / "res" / "rw.json"
    argv = ["--engine", "random-walker", "--option", "max_side=200", "--data", MINI]
    rc = run_eval(*argv, "--max-clicks", 2, "--json", out)
    captured = capsys.readouterr()
    assert rc == 0
    assert "NoC" in captured.out and ">=2" in captured.out
    assert "eval random-walker" in captured.err  # the progress bar goes to stderr
    result = json.loads(out.read_text())
    for key in ("noc85", "noc90", "noc95", "fails90", "n", "latency_ms_p50", "latency_ms_p95"):
        assert key in result
    assert result["encode_ms_p50"] >= 0 and result["n"] == 2 and result["n_skipped"] == 0
    samples = result["samples"]
    assert [s["name"] for s in samples] == ["fullmoon", "teddy"]
    assert result["noc90"] == pytest.approx(np.mean([s["noc90"] for s in samples]))
    assert result["fails90"] == sum(s["noc90"] == 2 for s in samples)
    assert result["n_decodes"] == sum(len(s["decode_ms"]) for s in samples)
    for s in samples:
        assert 1 <= len(s["ious"]) == len(s["clicks"]) <= 2
        mask = np.asarray(Image.open(MINI / "masks" / f"{s['name']}.png"))
        first = Clicker(mask).next_click(np.zeros(mask.shape, bool))
        assert s["clicks"][0] == [first.y, first.x, True]
        assert all(0.0 <= v <= 1.0 for v in s["ious"])
    assert f"{result['noc90']:8.2f}" in captured.out
    falls = [b - a for s in samples for a, b in zip(s["ious"][:-1], s["ious"][1:], strict=True)]
    assert result["later_clicks"] == len(falls)
    assert result["worse_clicks"] == sum(f < -result["worse_drop"] for f in falls)
    assert f"{result['worse_clicks']} of {result['later_clicks']}" in captured.out
    # two clicks allowed: no IoU after five clicks is known (it read the last click's IoU)
    assert result["miou5"] is None and "mIoU@5 -" in captured.out


def test_limit_and_engine_options(tmp_path, capsys):
    out = tmp_path / "r.json"
    argv = ["--engine", "random-walker", "--data", MINI, "--max-clicks", 1, "--limit", 1]
    assert run_eval(*argv, "--option", "max_side=64", "--option", "beta=90.5", "--json", out) == 0
    assert "objects 1 " in capsys.readouterr().out
    result = json.loads(out.read_text())
    assert result["options"] == {"max_side": 64, "beta": 90.5}
    assert "max_side=64" in result["engine_key"] and "beta=90.5" in result["engine_key"]


def test_first_clicks_add_one_click_anywhere_to_the_table_and_json(tmp_path, capsys):
    out = tmp_path / "r.json"
    argv = ["--engine", "random-walker", "--option", "max_side=64", "--data", MINI]
    assert run_eval(*argv, "--max-clicks", 1, "--first-clicks", 3, "--json", out) == 0
    table = capsys.readouterr().out
    first = json.loads(out.read_text())["first_clicks"]
    assert first["clicks"] == 6 and [o["name"] for o in first["objects"]] == ["fullmoon", "teddy"]
    ious = [v for o in first["objects"] for v in o["ious"]]
    assert first["miou"] == pytest.approx(np.mean(ious), abs=1e-4)
    assert "one click anywhere (6 single first clicks" in table
    assert f"mIoU {first['miou']:.4f}" in table
    assert run_eval(*argv, "--max-clicks", 1, "--json", out) == 0
    assert "first_clicks" not in json.loads(out.read_text())
    assert "one click anywhere" not in capsys.readouterr().out


def _small_set(root: Path) -> Path:
    """A set with one good sample and one whose mask says 128."""
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    rng = np.random.default_rng(0)
    mask = np.zeros((10, 12), np.uint8)
    mask[3:7, 3:8] = 1
    Image.fromarray(rng.integers(0, 256, (10, 12, 3), dtype=np.uint8)).save(root / "images/a.png")
    Image.fromarray(rng.integers(0, 256, (10, 12), dtype=np.uint8)).save(root / "images/g.png")
    Image.fromarray(mask).save(root / "masks/a.png")
    Image.fromarray(mask * 128).save(root / "masks/g.png")
    (root / "manifest.csv").write_text(
        "name,image,mask\ngood,images/a.png,masks/a.png\nodd,images/g.png,masks/g.png\n"
    )
    return root


def test_bad_sample_is_skipped_with_warning_or_fails_with_strict(tmp_path, capsys):
    data = _small_set(tmp_path / "set")
    out = tmp_path / "r.json"
    assert run_eval("--engine", "random-walker", "--data", data, "--json", out) == 0
    err = capsys.readouterr().err
    assert "warning: skipped odd: mask has value(s) 128" in err
    result = json.loads(out.read_text())
    assert result["n"] == 1 and result["n_skipped"] == 1
    assert result["skipped"][0]["name"] == "odd"

    assert run_eval("--engine", "random-walker", "--data", data, "--strict") == 2
    assert "odd: mask has value(s) 128" in capsys.readouterr().err


def test_a_json_that_cannot_be_written_is_refused_before_the_run(tmp_path, capsys, monkeypatch):
    """``--json /proc/x.json`` ran everything, then died with a traceback (results lost);
    ``--json DIR/manifest.csv`` replaced the data set's manifest."""
    data = _small_set(tmp_path / "set")
    manifest = (data / "manifest.csv").read_text()
    argv = ["--engine", "random-walker", "--data", data, "--max-clicks", 2]
    for target, message in (
        (data / "manifest.csv", "is a file of the data set in"),
        (data / "masks" / "a.png", "is a file of the data set in"),
        (Path("/proc/skipclick.json"), "cannot write --json /proc/skipclick.json"),
    ):
        assert run_eval(*argv, "--json", target) == 2
        out, err = capsys.readouterr()
        assert message in err and not out  # before the run
    assert (data / "manifest.csv").read_text() == manifest
    assert run_eval(*argv, "--json", data / "results.json") == 0  # a new file in it is fine
    assert run_eval(*argv, "--json", data / "results.json") == 0  # and replaced: no data file
    # the file cannot be written after all: one line, the table kept
    monkeypatch.setattr(cli, "prepare_json", lambda *_: None)
    capsys.readouterr()
    assert run_eval(*argv, "--json", "/proc/skipclick.json") == 1
    out, err = capsys.readouterr()
    assert out.startswith("engine random-walker") and "Traceback" not in err
    assert "error: cannot write --json /proc/skipclick.json: " in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--engine", "random-walker", "--data", "{missing}"], "does not exist"),
        (["--engine", "nope", "--data", "{mini}"], "invalid choice: 'nope'"),
        (["--engine", "random-walker", "--checkpoint", "x.pth", "--data", "{mini}"], "no --checkp"),
        (["--engine", "embedded", "--input-size", "448", "--data", "{mini}"], "no --input-size"),
        (["--engine", "skipclick", "--checkpoint", "{missing}", "--data", "{mini}"], "neither"),
        (["--engine", "skipclick", "--precision", "fp8", "--data", "{mini}"], "one of fp32"),
        (["--engine", "random-walker", "--data", "{mini}", "--max-clicks", "0"], "at least 1"),
        (["--engine", "random-walker", "--data", "{mini}", "--first-clicks", "-1"], "0 or more"),
        (["--engine", "random-walker", "--data", "{mini}", "--option", "x=1"], "no option 'x'"),
        (["--engine", "random-walker", "--data", "{mini}", "--option", "beta=hot"], "a number"),
        (["--engine", "random-walker", "--data", "{mini}", "--option", "beta"], "NAME=VALUE"),
        (["--engine", "random-walker", "--data", "{mini}", "--json", "{tmp}"], "is a folder; give"),
        (["--engine", "random-walker", "--data", "{mini}", "--limit", "0"], "--limit must be at"),
    ],
)
def test_argument_errors(tmp_path, capsys, extra, message):
    argv = [a.format(missing=tmp_path / "missing", mini=MINI, tmp=tmp_path) for a in extra]
    assert run_eval(*argv) == 2
    assert message in capsys.readouterr().err


def test_skipclick_command_dispatches_to_eval(tmp_path, capsys):
    from napari_skipclick.cli import main

    assert main(["eval", "--engine", "random-walker", "--data", str(tmp_path)]) == 2
    assert "no manifest.csv" in capsys.readouterr().err


class ScriptedEngine:
    """Marks the first click's pixel; fails or is interrupted on the sample of the given size."""

    name = "scripted"
    key = "scripted"

    def __init__(self, fail_shape=None, interrupt_shape=None):
        self.fail_shape, self.interrupt_shape = fail_shape, interrupt_shape

    def encode(self, image):
        from napari_skipclick.engines.base import Features

        if image.shape[:2] == self.interrupt_shape:
            raise KeyboardInterrupt
        return Features(image_shape=image.shape[:2])

    def decode(self, features, clicks, prev_mask=None):
        if features.image_shape == self.fail_shape:
            raise ValueError("boom")
        probs = np.zeros(features.image_shape, np.float32)
        probs[int(clicks[0].y), int(clicks[0].x)] = 1.0
        return probs


def test_engine_failure_names_the_sample(monkeypatch, capsys):
    engine = ScriptedEngine(fail_shape=(398, 284))  # teddy
    monkeypatch.setattr(cli, "create_engine", lambda *a, **k: engine)
    assert run_eval("--engine", "random-walker", "--data", MINI, "--max-clicks", 2) == 1
    assert "engine failed on sample teddy: boom" in capsys.readouterr().err


def test_ctrl_c_keeps_finished_objects(monkeypatch, tmp_path, capsys):
    engine = ScriptedEngine(interrupt_shape=(398, 284))  # stops at teddy, after fullmoon
    monkeypatch.setattr(cli, "create_engine", lambda *a, **k: engine)
    out = tmp_path / "r.json"
    argv = ["--engine", "random-walker", "--data", MINI, "--max-clicks", 2, "--json", out]
    assert run_eval(*argv) == 130
    assert "interrupted" in capsys.readouterr().err
    result = json.loads(out.read_text())
    assert result["interrupted"] and [s["name"] for s in result["samples"]] == ["fullmoon"]


def test_ctrl_c_on_the_first_object_says_so(monkeypatch, tmp_path, capsys):
    """It said "no usable sample in the data set": the data set was fine."""
    from napari_skipclick.eval.datasets import load_sample, read_manifest

    first = load_sample(read_manifest(MINI)[0]).image.shape[:2]
    monkeypatch.setattr(cli, "create_engine", lambda *a, **k: ScriptedEngine(interrupt_shape=first))
    assert run_eval("--engine", "random-walker", "--data", MINI, "--max-clicks", 2) == 130
    err = capsys.readouterr().err
    assert "interrupted before the first object was done" in err and "no usable" not in err
