"""The official tiny checkpoint, its config and the official code's outputs (tests/data)."""

from __future__ import annotations

import json
from pathlib import Path

#: folder with checkpoint.pth, tiny_config.json and fixtures.npz (see its README)
TINY = Path(__file__).parents[1] / "data" / "official_tiny"
#: the tiny DINOv2 architecture the checkpoint was made with
ARCH = json.loads((TINY / "tiny_config.json").read_text())["dinov2_tiny_architecture"]
