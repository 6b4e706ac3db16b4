"""How far the fast CPU decoder (``precision="fast"``) lands from the exact fp32 one.

Two measures per prediction: the largest absolute difference of the probabilities and the IoU
of the masks thresholded at 0.5 (the demo's threshold). :func:`fixture_fidelity` runs them on
the four cases of the official tiny fixture (``tests/data/official_tiny``): the two model-level
cases, the demo case and the 20-click NoC case (each precision feeding back its own
predictions, as the NoC protocol does).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch


def mask_iou(a: np.ndarray, b: np.ndarray, threshold: float = 0.5) -> float:
    """IoU of ``a > threshold`` and ``b > threshold`` (1.0 when both are empty)."""
    ma, mb = np.asarray(a) > threshold, np.asarray(b) > threshold
    union = np.logical_or(ma, mb).sum()
    return 1.0 if union == 0 else float(np.logical_and(ma, mb).sum() / union)


def compare(exact: np.ndarray, fast: np.ndarray) -> dict[str, float]:
    """``max_prob_diff`` and ``mask_iou`` of two probability maps of one prediction."""
    exact, fast = np.asarray(exact, np.float32), np.asarray(fast, np.float32)
    return {"max_prob_diff": float(np.abs(exact - fast).max()), "mask_iou": mask_iou(exact, fast)}


def summarise(pairs: list[dict[str, float]]) -> dict[str, float]:
    """Worst case over several predictions: largest difference, smallest and mean IoU."""
    ious = [p["mask_iou"] for p in pairs]
    return {
        "max_prob_diff": max(p["max_prob_diff"] for p in pairs),
        "min_mask_iou": min(ious),
        "mean_mask_iou": float(np.mean(ious)),
        "predictions": len(pairs),
    }


def _sequence(engine, features, clicks) -> list[np.ndarray]:
    """Probabilities after each click, every prediction fed back as the previous mask."""
    out, prev = [], None
    for k in range(1, len(clicks) + 1):
        prev = engine.decode(features, clicks[:k], prev)
        out.append(prev)
    return out


def fixture_fidelity(folder: str | Path) -> dict[str, dict[str, float]]:
    """Fast vs exact on every case of the official tiny fixture in ``folder``.

    Returns one :func:`summarise` entry per case (``case0``, ``case1``, ``demo``, ``noc``).
    """
    from ..engines.skipclick import SkipClickEngine
    from ..model import load_skipclick
    from ..model.fast import fast_decoder
    from ..types import Click

    folder = Path(folder)
    arch = json.loads((folder / "tiny_config.json").read_text())["dinov2_tiny_architecture"]
    model = load_skipclick(folder / "checkpoint.pth", backbone_arch=arch, device="cpu")
    with np.load(folder / "fixtures.npz") as arrays:
        fx = dict(arrays)
    fast = fast_decoder(model)
    report = {}
    with torch.inference_mode():
        for case in ("case0", "case1"):
            image = torch.from_numpy(fx[f"{case}__image_uint8"]).permute(2, 0, 1)[None] / 255.0
            points = torch.from_numpy(fx[f"{case}__points"])
            prev = torch.from_numpy(fx[f"{case}__prev_mask"])
            state = model.encode(image.float())
            probs = [torch.sigmoid(m.decode(state, points, prev))[0, 0] for m in (model, fast)]
            report[case] = summarise([compare(*(p.numpy() for p in probs))])
    engines = {
        p: {
            protocol: SkipClickEngine.from_model(model, "tiny", precision=p, protocol=protocol)
            for protocol in ("demo", "noc")
        }
        for p in ("fp32", "fast")
    }
    image = fx["demo__image_uint8"]
    clicks = [Click(y, x, label == 1) for x, y, label in fx["demo__gui_clicks_xy_label"]]
    demo = [
        engines[p]["demo"].decode(engines[p]["demo"].encode(image), clicks, fx["demo__prev_mask"])
        for p in ("fp32", "fast")
    ]
    report["demo"] = summarise([compare(*demo)])
    image = fx["noc__image_uint8"]
    clicks = [Click(y, x, bool(pos)) for y, x, pos in fx["noc__clicks_yx_pos"]]
    chains = [
        _sequence(engines[p]["noc"], engines[p]["noc"].encode(image), clicks)
        for p in ("fp32", "fast")
    ]
    report["noc"] = summarise([compare(a, b) for a, b in zip(*chains, strict=True)])
    return report
