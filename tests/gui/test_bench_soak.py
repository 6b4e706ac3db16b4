"""``skipclick bench-soak`` for one minute in the real widget: no error, store equal to session."""

from __future__ import annotations

import pytest

from napari_skipclick.bench.soak import soak


@pytest.mark.slow
def test_one_minute_soak_has_no_error_and_its_store_equals_the_session(qapp) -> None:
    lines: list[str] = []
    result = soak(1.0, seed=1, log=lines.append)
    assert lines, "no round was logged"
    assert result["errors"]["error_messages"] == []
    assert result["counts"]["clicks"] > 0
    assert result["edits_applied"] > 0
    assert result["frames_annotated"] > 0
    assert result["frames_differing"] == []
    assert result["statuses_differing"] == []
    assert result["store_matches_session"]
