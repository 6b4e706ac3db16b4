"""Released-checkpoint registry, cache folder, offline message, download and bench commands."""

from __future__ import annotations

import argparse
import json
import shutil

import numpy as np
import pytest

from napari_skipclick.model.weights import (
    CHECKPOINTS,
    WeightsError,
    cache_dir,
    fetch_checkpoint,
    resolve_checkpoint,
)
from support.tiny import TINY, tiny_release

pytestmark = pytest.mark.usefixtures("cache")  # $SKIPCLICK_CACHE_DIR (conftest)


def test_registry_lists_the_four_released_checkpoints():
    assert set(CHECKPOINTS) == {"skipclick", "intermediate", "frozen", "baseline"}
    assert all(
        c.url.startswith("https://mediastore.rz.uni-augsburg.de/get/") for c in CHECKPOINTS.values()
    )
    assert len({c.filename for c in CHECKPOINTS.values()}) == 4


def test_cache_dir_follows_environment(cache):
    assert cache_dir() == cache


def test_local_path_is_accepted():
    assert resolve_checkpoint(TINY / "checkpoint.pth") == TINY / "checkpoint.pth"


def test_unknown_name_or_missing_file():
    with pytest.raises(WeightsError, match="neither an existing file nor a released name"):
        resolve_checkpoint("no-such-model")
    with pytest.raises(WeightsError, match="not downloaded yet"):
        resolve_checkpoint("frozen", download=False)


def test_cached_file_is_used_without_download(cache, monkeypatch):
    import pooch

    def fail(*args, **kwargs):
        raise AssertionError("must not download")

    monkeypatch.setattr(pooch, "retrieve", fail)
    monkeypatch.setitem(CHECKPOINTS, "skipclick", tiny_release("skipclick"))
    cache.mkdir()
    target = cache / CHECKPOINTS["skipclick"].filename
    shutil.copy(TINY / "checkpoint.pth", target)
    assert resolve_checkpoint("skipclick") == target
    # load_skipclick takes the released name too, as the docs say every such API does
    from napari_skipclick.model import load_skipclick
    from support.tiny import ARCH

    assert load_skipclick("skipclick", backbone_arch=ARCH, device="cpu").config is not None


def test_offline_download_gives_clear_message(monkeypatch):
    import pooch

    def offline(*args, **kwargs):
        raise ConnectionError("Failed to resolve 'mediastore.rz.uni-augsburg.de'")

    monkeypatch.setattr(pooch, "retrieve", offline)
    with pytest.raises(WeightsError, match=r"offline.*pass its path"):
        fetch_checkpoint("baseline")


def test_bench_command_on_tiny_checkpoint(tmp_path, capsys):
    from napari_skipclick.bench import model as bench

    arch = tmp_path / "arch.json"
    arch.write_text(
        json.dumps(json.loads((TINY / "tiny_config.json").read_text())["dinov2_tiny_architecture"])
    )
    out = tmp_path / "bench.json"
    parser = argparse.ArgumentParser()
    bench.configure(parser)
    args = parser.parse_args(
        [
            "--checkpoint",
            str(TINY / "checkpoint.pth"),
            "--backbone-arch",
            str(arch),
            "--size",
            "112",
            "--device",
            "cpu",
            "--repeats",
            "1",
            "--clicks",
            "2",
            "--json",
            str(out),
        ]
    )
    assert bench.run(args) == 0
    result = json.loads(out.read_text())
    for name in ("encode", "decode_first_click", "decode_per_click", "model_decode_per_click"):
        assert result[name]["median_ms"] > 0 and result[name]["p90_ms"] >= result[name]["median_ms"]
    assert result["peak_rss_mb"] > 0
    assert "median" in capsys.readouterr().out


def test_bench_child_process_mode_times_one_path(tmp_path):
    from napari_skipclick.bench import model as bench

    arch = tmp_path / "arch.json"
    arch.write_text(
        json.dumps(json.loads((TINY / "tiny_config.json").read_text())["dinov2_tiny_architecture"])
    )
    parser = argparse.ArgumentParser()
    bench.configure(parser)
    common = ["--checkpoint", str(TINY / "checkpoint.pth"), "--backbone-arch", str(arch)]
    common += ["--size", "112", "--device", "cpu", "--repeats", "2", "--clicks", "3"]
    logits = []
    for run in ("a", "b"):
        folder = tmp_path / run
        folder.mkdir()
        args = parser.parse_args([*common, "--only", "ours", "--only-out", str(folder)])
        assert bench.run(args) == 0
        times = json.loads((folder / "ours.json").read_text())
        assert len(times["click_s"]) == len(times["click_cpu_s"]) == len(times["click_faults"]) == 6
        assert len(times["encode_s"]) == 2 and len(times["prepare_s"]) == 2
        assert min(times["click_s"]) > 0
        logits.append(np.load(folder / "ours.npz")["logits"])
    assert logits[0].shape[:3] == (3, 1, 1)
    np.testing.assert_array_equal(logits[0], logits[1])
    assert not np.array_equal(logits[0][0], logits[0][2])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--checkpoint", "missing.pth"], "neither an existing file nor a released name"),
        (["--checkpoint", str(TINY / "checkpoint.pth")], "unknown extractor_type"),
        (["--random-weights", "--variant", "nope"], "unknown variant 'nope'"),
        (["--random-weights", "--device", "gpu"], "'gpu': choose auto, cpu, cuda"),
        (["--model", "embedded", "--checkpoint", "x.pth"], "--checkpoint: options of --model"),
    ],
)
def test_bench_says_what_is_wrong_in_one_line(argv, message, capsys):
    """Each was a traceback; an embedded bench ignored --checkpoint without a word."""
    from napari_skipclick.bench import model as bench

    parser = argparse.ArgumentParser()
    bench.configure(parser)
    assert bench.run(parser.parse_args([*argv, "--size", "56", "--repeats", "1"])) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("flag", "value"), [("--size", "0"), ("--repeats", "0"), ("--clicks", "0")]
)
def test_bench_refuses_counts_out_of_range_in_one_line(flag, value, capsys):
    """``--size 0`` ended in ``ValueError: high <= 0``, ``--repeats 0`` in an IndexError."""
    from napari_skipclick.bench import model as bench

    parser = argparse.ArgumentParser(prog="skipclick bench")
    bench.configure(parser)
    with pytest.raises(SystemExit) as info:
        parser.parse_args([flag, value])
    assert info.value.code == 2
    assert f"argument {flag}: " in capsys.readouterr().err
