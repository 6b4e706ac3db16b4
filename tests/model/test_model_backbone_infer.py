"""A checkpoint whose extractor_type is no torch.hub name: its DINOv2 is read from its tensors."""

from __future__ import annotations

import pytest
import torch

from napari_skipclick.model.backbone_infer import backbone_arch_for
from napari_skipclick.model.checkpoint import CheckpointError, load_skipclick
from napari_skipclick.model.config import DINOV2_ARCHS, ConfigError, DinoV2Arch
from napari_skipclick.model.dinov2 import DinoV2
from support.tiny import ARCH, TINY


def _state(arch: DinoV2Arch) -> dict[str, torch.Tensor]:
    """A DINOv2's tensors under the checkpoint's names (on the meta device: shapes only)."""
    with torch.device("meta"):
        module = DinoV2(arch)
    return {f"feature_extractor.dinov2.{k}": v for k, v in module.state_dict().items()}


@pytest.mark.parametrize("name", sorted(DINOV2_ARCHS))
def test_a_renamed_hub_backbone_is_read_from_its_tensors(name):
    """Width and depth of a hub model: its heads; every other field from the shapes."""
    fields = backbone_arch_for("my_finetuned_dinov2", _state(DINOV2_ARCHS[name]), None)
    assert DinoV2Arch.from_dict(fields) == DINOV2_ARCHS[name]


def test_the_tiny_checkpoint_needs_only_its_heads():
    """The tiny backbone (48 wide) matches no hub model: the error asks for the heads alone,
    and given them the file gives the rest, exactly the architecture it was made with."""
    path = TINY / "checkpoint.pth"
    with pytest.raises(CheckpointError, match=r"embed_dim 48, depth 12.*\"num_heads\": N"):
        load_skipclick(path, device="cpu")
    model = load_skipclick(path, device="cpu", backbone_arch={"num_heads": 3})
    assert model.config.dinov2 == DinoV2Arch.from_dict(ARCH)
    given = {"num_heads": 3, "interpolate_offset": 0.25}  # a field given wins over the file's
    fields = backbone_arch_for("x", _state(DinoV2Arch.from_dict(ARCH)), given)
    assert DinoV2Arch.from_dict(fields) == DinoV2Arch.from_dict({**ARCH, **given})


def test_no_dinov2_tensors_and_no_heads_is_refused():
    with pytest.raises(ConfigError, match="num_heads"):
        backbone_arch_for("other", {}, None)
    assert backbone_arch_for("dinov2_vitb14_reg", {}, None) is None  # a hub name: the hub's
