"""tools/gpu_check.sh runs its steps on a CPU (quick) and writes one JSON with the figures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.timeout(660)  # the script's own limit below (600 s), not the suite's 300 s
def test_gpu_check_script_runs_on_cpu_quick(tmp_path):
    out = tmp_path / "check"
    env = {**os.environ, "PYTHON": sys.executable}
    done = subprocess.run(
        [
            "bash",
            str(ROOT / "tools" / "gpu_check.sh"),
            "--device",
            "cpu",
            "--quick",
            "--no-install",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    result = json.loads((out / "gpu-check.json").read_text())
    assert result["device"] == "cpu" and result["quick"] and result["ok"]
    tests = result["cuda_tests"]
    assert tests["tests"] >= 1 and tests["failures"] == tests["errors"] == 0
    if not result["gpu"]:
        assert tests["skipped"] == tests["tests"]  # no CUDA device: the CUDA tests skip
    assert result["decode_per_click_ms"]["median_ms"] > 0
    assert result["batched_encode"]["frames_per_s"] > 0
    assert result["targets"] == {"decode_per_click_ms": 5.0, "batched_encode_frames_per_s": 100.0}
