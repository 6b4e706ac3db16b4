"""``skipclick bench-soak`` for one minute in the real widget: no error, store equal to session.

It runs as the command a user types, in its own process (under the suite's Xvfb display), so the
viewer it opens and closes leaves no state in napari's global plugin registry for later tests.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_one_minute_soak_has_no_error_and_its_store_equals_the_session(tmp_path) -> None:
    out = tmp_path / "soak.json"
    command = [sys.executable, "-m", "napari_skipclick.cli", "bench-soak", "--minutes", "1"]
    done = subprocess.run(
        [*command, "--seed", "1", "--json", str(out)], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-2000:] + _crash_report(done.stderr)
    result = json.loads(out.read_text())
    assert result["finished"]
    assert result["notification_popups"] == "none"  # none built in napari's status thread
    assert result["errors"]["error_messages"] == []
    assert result["counts"]["clicks"] > 0 and result["counts"]["strokes"] > 0
    assert result["edits_applied"] > 0
    assert result["frames_annotated"] > 0
    assert result["frames_differing"] == []
    assert result["statuses_differing"] == []
    assert result["store_matches_session"]


def _crash_report(stderr: str) -> str:
    """The end of ``stderr``; after a crash, faulthandler's report from its start: the
    crashing thread's stack comes before the long list of extension modules."""
    start = stderr.find("Fatal Python error")
    return stderr[start : start + 8000] if start >= 0 else stderr[-4000:]
