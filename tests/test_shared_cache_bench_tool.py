"""tools/shared_cache_bench.py: a checkpoint without its record in a read-only cache."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import torch

from napari_skipclick.model.weights import CACHE_ENV, CHECKPOINTS
from support.tiny import TINY, tiny_release
from tool_loader import load_tool


def test_each_use_reads_the_weights_once_and_writes_no_record(tmp_path, monkeypatch, capsys):
    """The tiny checkpoint stands for the release (in this process: the tool is run here)."""
    monkeypatch.setitem(CHECKPOINTS, "skipclick", tiny_release("skipclick"))
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "unused"))  # the tool sets its own
    out, arch = tmp_path / "shared.json", tmp_path / "arch.json"
    config = json.loads((TINY / "tiny_config.json").read_text())
    arch.write_text(json.dumps(config["dinov2_tiny_architecture"]))
    patched = torch.load, zipfile.ZipFile.testzip, Path.write_text
    load_tool("shared_cache_bench").main([
        "--checkpoint", str(TINY / "checkpoint.pth"), "--uses", "2",
        "--backbone-arch", str(arch), "--json", str(out),
    ])  # fmt: skip
    assert "2 uses: median" in capsys.readouterr().out
    figures = json.loads(out.read_text())
    assert len(figures["use_s"]) == 2 and figures["records"] == []
    assert figures["weights_read"] == 2 and figures["checksum_passes"] == 1
    assert (torch.load, zipfile.ZipFile.testzip, Path.write_text) == patched  # put back
