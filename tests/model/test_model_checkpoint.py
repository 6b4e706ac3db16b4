"""Checkpoint loading: official format, safe unpickling, clear errors for bad files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from napari_skipclick.model import CheckpointError, load_skipclick, pick_device, read_checkpoint
from napari_skipclick.model.weights import file_sha256
from support.tiny import ARCH, TINY


@pytest.fixture(scope="module")
def tiny():
    return load_skipclick(TINY / "checkpoint.pth", backbone_arch=ARCH, device="cpu")


def _save(path, state, config):
    torch.save({"state_dict": state, "config": config}, path)
    return path


def test_official_file_loads_with_pickled_loss_object():
    state, config = read_checkpoint(TINY / "checkpoint.pth")
    assert len(state) == 289
    loss = config["params"]["head_params"]["value"]["loss_decode"]
    assert type(loss).pickled_name.endswith("CrossEntropyLoss")


def test_loaded_model_is_eval_without_gradients(tiny):
    assert not tiny.training
    assert not any(p.requires_grad for p in tiny.parameters())


def test_unknown_extractor_needs_backbone_arch():
    with pytest.raises(CheckpointError, match=r"unknown extractor_type.*backbone_arch"):
        load_skipclick(TINY / "checkpoint.pth", device="cpu")


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        load_skipclick(tmp_path / "nope.pth")


def test_truncated_file(tmp_path):
    data = (TINY / "checkpoint.pth").read_bytes()
    path = tmp_path / "truncated.pth"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated or corrupt"):
        load_skipclick(path, backbone_arch=ARCH)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"hello, not a checkpoint\n", "neither a zip archive nor a pickle"),
        (os.urandom(4096), "not a PyTorch checkpoint|not a readable PyTorch checkpoint"),
        (b"", "is empty"),
        (b"<!DOCTYPE html><html><body>Error 404</body></html>", "web page"),
        (b"\x80\x02K\x65.", "is a plain pickle, not a PyTorch checkpoint"),  # of 101
    ],
)
def test_not_a_checkpoint(tmp_path, content, message):
    """Each says what the file is; none repeats torch's advice to load it with
    ``weights_only=False``, which could run code from it (an empty file said nothing)."""
    path = tmp_path / "junk.pth"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=message) as info:
        load_skipclick(path, backbone_arch=ARCH)
    assert "weights_only" not in str(info.value) and not str(info.value).endswith(": ")


def test_a_checkpoint_with_changed_bytes_is_refused(tmp_path):
    """torch read the changed bytes as weights, with no word: the masks were wrong."""
    import zipfile

    data = bytearray((TINY / "checkpoint.pth").read_bytes())
    with zipfile.ZipFile(TINY / "checkpoint.pth") as archive:
        member = max(archive.infolist(), key=lambda info: info.compress_size)
    start = member.header_offset + 30 + len(member.filename.encode()) + len(member.extra)
    start += member.compress_size // 2
    data[start : start + 64] = bytes(b ^ 0xFF for b in data[start : start + 64])
    path = tmp_path / "changed.pth"
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=r"is damaged: .* fails its checksum"):
        load_skipclick(path, backbone_arch=ARCH)


def test_a_zip_that_is_no_checkpoint_is_named(tmp_path):
    """A zip of other files (a dataset, a folder of images) is named as such, not a torch error."""
    import zipfile

    path = tmp_path / "images.pth"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("frame.txt", "not weights")
    with pytest.raises(CheckpointError, match=r"zip archive without a PyTorch checkpoint's"):
        load_skipclick(path, backbone_arch=ARCH)


def test_a_folder_is_named_as_one(tmp_path):
    """Given to the engine, a folder was "neither an existing file nor a released name"."""
    from napari_skipclick.engines import create_engine

    with pytest.raises(CheckpointError, match="is a folder: give the checkpoint file"):
        load_skipclick(tmp_path, backbone_arch=ARCH)
    with pytest.raises(CheckpointError, match=f"{tmp_path} is a folder: give the checkpoint"):
        create_engine("skipclick", checkpoint=tmp_path, device="cpu")


def test_torch_file_without_state_dict(tmp_path):
    path = tmp_path / "list.pth"
    torch.save([torch.zeros(2)], path)
    with pytest.raises(CheckpointError, match="no 'state_dict'"):
        load_skipclick(path, backbone_arch=ARCH)


def test_state_dict_without_config(tmp_path, tiny):
    path = tmp_path / "bare.pth"
    torch.save({"state_dict": tiny.state_dict()}, path)
    with pytest.raises(CheckpointError, match="no 'config'"):
        load_skipclick(path, backbone_arch=ARCH)


def test_missing_and_extra_keys_are_named(tmp_path, tiny):
    state = dict(tiny.state_dict())
    state.pop("neck.down_8.2.weight")
    state["head.extra.weight"] = torch.zeros(3)
    path = _save(tmp_path / "keys.pth", state, tiny.config.to_checkpoint_config())
    with pytest.raises(CheckpointError) as info:
        load_skipclick(path, backbone_arch=ARCH)
    message = str(info.value)
    assert "missing keys (1): neck.down_8.2.weight" in message
    assert "unexpected keys (1): head.extra.weight" in message


def test_shape_mismatch_names_key_and_both_shapes(tmp_path, tiny):
    state = dict(tiny.state_dict())
    state["fuse.weight"] = torch.zeros(48, 100)
    path = _save(tmp_path / "shape.pth", state, tiny.config.to_checkpoint_config())
    with pytest.raises(CheckpointError, match=r"fuse\.weight.*\(48, 100\).*\(48, 192\)"):
        load_skipclick(path, backbone_arch=ARCH)


def test_config_of_other_model_is_refused(tmp_path, tiny):
    config = tiny.config.to_checkpoint_config()
    config["class"] = "isegm.model.is_plainvit_model.PlainVitModel"
    path = _save(tmp_path / "other.pth", tiny.state_dict(), config)
    with pytest.raises(CheckpointError, match="PlainVitModel"):
        load_skipclick(path, backbone_arch=ARCH)


class _Exploit:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_pickle_that_runs_code_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = _save(tmp_path / "evil.pth", {}, {"params": {}, "x": _Exploit(marker)})
    with pytest.raises(CheckpointError, match=r"refused.*system"):
        load_skipclick(path, backbone_arch=ARCH)
    assert not marker.exists()


def test_a_checkpoint_in_the_legacy_format_loads_and_its_code_never_runs(tmp_path, tiny):
    """torch.save(..., _use_new_zipfile_serialization=False), PyTorch before 1.6: it was
    refused as "truncated or corrupt"; one that holds code is still refused, unrun."""
    path = tmp_path / "legacy.pth"
    config = tiny.config.to_checkpoint_config()
    torch.save(
        {"state_dict": tiny.state_dict(), "config": config},
        path,
        _use_new_zipfile_serialization=False,
    )
    model = load_skipclick(path, backbone_arch=ARCH)
    assert torch.equal(model.state_dict()["fuse.weight"], tiny.state_dict()["fuse.weight"])
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.pth"
    torch.save(
        {"state_dict": {}, "config": {"x": _Exploit(marker)}},
        evil,
        _use_new_zipfile_serialization=False,
    )
    with pytest.raises(CheckpointError, match=r"refused: its pickle references \w+\.system,"):
        load_skipclick(evil, backbone_arch=ARCH)
    assert not marker.exists()
    state = dict(tiny.state_dict())
    state["fuse.weight"] = torch.zeros(48, 100)
    with pytest.raises(CheckpointError, match=r"checkpoint .*shape\.pth does not match"):
        load_skipclick(_save(tmp_path / "shape.pth", state, config), backbone_arch=ARCH)


def test_a_legacy_official_file_loads_and_one_with_code_names_the_code(tmp_path, monkeypatch):
    """A legacy-format file holding the official loss object (as released files do) was refused
    with torch's "add_safe_globals ... if you trust this class" advice; one that also held code
    named the loss class as the cause, not ``posix.system``."""
    import sys
    import types

    fake = types.ModuleType("isegm.loss")

    class CrossEntropyLoss:
        pass

    CrossEntropyLoss.__module__ = "isegm.loss"
    CrossEntropyLoss.__qualname__ = "CrossEntropyLoss"
    fake.CrossEntropyLoss = CrossEntropyLoss
    monkeypatch.setitem(sys.modules, "isegm", types.ModuleType("isegm"))
    monkeypatch.setitem(sys.modules, "isegm.loss", fake)
    state = {"a": torch.zeros(1)}
    official, evil = tmp_path / "official.pth", tmp_path / "evil.pth"
    marker = tmp_path / "pwned"
    for path, config in (
        (official, {"loss": CrossEntropyLoss()}),
        (evil, {"loss": CrossEntropyLoss(), "x": _Exploit(marker)}),
    ):
        torch.save(
            {"state_dict": state, "config": config}, path, _use_new_zipfile_serialization=False
        )
    monkeypatch.delitem(sys.modules, "isegm.loss")  # as on a machine without the package
    _, config = read_checkpoint(official)
    assert type(config["loss"]).pickled_name == "isegm.loss.CrossEntropyLoss"
    with pytest.raises(CheckpointError) as info:
        read_checkpoint(evil)
    assert "references posix.system" in str(info.value) or "nt.system" in str(info.value)
    assert "CrossEntropyLoss" not in str(info.value) and "trust" not in str(info.value)
    assert not marker.exists()


def test_a_plain_pickle_is_refused_in_one_line_without_warnings(tmp_path):
    """A ``.pkl`` (pickle protocol 4) gave torch's multi-line message and a UserWarning."""
    import pickle
    import warnings

    path = tmp_path / "plain.pkl"
    path.write_bytes(pickle.dumps({"state_dict": {}}, protocol=4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(CheckpointError) as info:
            read_checkpoint(path)
    assert "\n" not in str(info.value) and "is a plain pickle" in str(info.value)
    assert "weights_only" not in str(info.value) and "documentation" not in str(info.value)


def test_sha256_of_file(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"abc")
    assert file_sha256(path).startswith("ba7816bf8f01cfea")


def test_pick_device_prefers_cuda_then_mps_then_cpu(monkeypatch):
    assert pick_device("cpu") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert pick_device(None) == torch.device("cpu")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert pick_device(None) == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert pick_device(None) == torch.device("cuda")


def test_a_device_that_is_not_there_is_named_with_the_choices(monkeypatch):
    """torch's own errors list its internal backends, or ask for an NVIDIA driver."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.raises(ValueError, match="'gpu': choose auto, cpu, cuda"):
        pick_device("gpu")
    for name in ("cuda", "cuda:0", "mps"):
        with pytest.raises(ValueError, match=r"this machine has no .*choose auto or cpu"):
            pick_device(name)
    for name in ("xpu", "hpu", "meta", "xla", "ipu", "vulkan"):  # torch's tracebacks, or late
        with pytest.raises(ValueError, match=rf"'{name}' is not supported: choose auto, cpu"):
            pick_device(name)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert pick_device("cuda:0") == torch.device("cuda:0")
    with pytest.raises(ValueError, match="has 1 CUDA device"):
        pick_device("cuda:3")


def test_official_package_names_get_inert_stand_ins(tmp_path, monkeypatch):
    """Even a global under ``isegm.`` that would run code is replaced, never called."""
    import sys
    import types

    marker = tmp_path / "ran"
    fake = types.ModuleType("isegm.evil")

    def run(command):
        os.system(command)

    run.__module__ = "isegm.evil"
    run.__qualname__ = "run"
    fake.run = run
    monkeypatch.setitem(sys.modules, "isegm", types.ModuleType("isegm"))
    monkeypatch.setitem(sys.modules, "isegm.evil", fake)

    class Payload:
        def __reduce__(self):
            return (run, (f"touch {marker}",))

    path = _save(tmp_path / "isegm.pth", {"a": torch.zeros(1)}, {"params": {}, "p": Payload()})
    state, config = read_checkpoint(path)
    assert not marker.exists()
    assert torch.equal(state["a"], torch.zeros(1))
    assert type(config["p"]).pickled_name == "isegm.evil.run"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"embed_dim": "48"}, "embed_dim must be an int, got '48'"),
        ({"qkv_bias": 1}, "qkv_bias must be true or false"),
        ({"emb_dim": 48}, "unknown DINOv2 architecture key\\(s\\) 'emb_dim'"),
    ],
)
def test_a_backbone_arch_of_wrong_types_or_unknown_keys_is_named(change, message):
    """``"embed_dim": "48"`` gave a confusing message and unknown keys were silently ignored."""
    with pytest.raises(CheckpointError, match=message):
        load_skipclick(TINY / "checkpoint.pth", backbone_arch={**ARCH, **change}, device="cpu")
