"""Safe loading of official SkipClick checkpoints (``{'state_dict', 'config'}`` torch files)."""

from __future__ import annotations

import os
import re
import warnings
import zipfile
from collections.abc import Mapping
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import torch

from .backbone_infer import backbone_arch_for
from .checkpoint_bytes import archive_problem, not_a_checkpoint
from .config import ConfigError, DinoV2Arch, SkipClickConfig, extractor_type
from .skipclick import SkipClickModel

#: checkpoints pickle objects of the official package; only these names get inert stand-ins
_PLACEHOLDER_PREFIX = "isegm."


class CheckpointError(ValueError):
    """A file that is not a usable SkipClick checkpoint (unreadable, unsafe or mismatched)."""


class _Placeholder:
    """Inert stand-in for a class or function of the official package named in a pickle."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = args

    def __setstate__(self, state: Any) -> None:
        self.state = state


#: device types the model runs on (docs/model.md, *Devices and precision*)
DEVICE_TYPES = ("cpu", "cuda", "mps")
_DEVICE_CHOICES = "choose auto, cpu, cuda (cuda:N) or mps"


def pick_device(device: str | torch.device | None = None) -> torch.device:
    """``device`` as a ``torch.device``; None or ``auto`` picks CUDA, then Apple MPS, then CPU.

    Raises ``ValueError`` with the choices for a name that is no device (``gpu``), a device
    type this package does not run on (``xpu``, ``meta``) and CUDA or MPS on a machine that has
    none (torch's own errors name its internal backends, or come only when a tensor moves).
    """
    if device is not None and device != "auto":
        try:
            chosen = torch.device(device)
        except (RuntimeError, TypeError) as e:
            raise ValueError(f"device {device!r}: {_DEVICE_CHOICES}") from e
        if chosen.type not in DEVICE_TYPES:
            raise ValueError(f"device {device!r} is not supported: {_DEVICE_CHOICES}")
        mps = getattr(torch.backends, "mps", None)
        available = {
            "cpu": True,
            "cuda": torch.cuda.is_available(),
            "mps": mps is not None and mps.is_available(),
        }
        if not available[chosen.type]:
            raise ValueError(
                f"device {device!r}: this machine has no {chosen.type.upper()}; choose auto or cpu"
            )
        if chosen.type == "cuda" and (chosen.index or 0) >= torch.cuda.device_count():
            raise ValueError(
                f"device {device!r}: this machine has {torch.cuda.device_count()} CUDA device(s)"
            )
        return chosen
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _reason(exc: BaseException) -> str:
    """What went wrong, on one line: torch's own cause (``unsupported GLOBAL posix.system``),
    without its advice to load the file with ``weights_only=False`` (which could run code from
    it), its request to file an issue, or its pointer to the documentation."""
    text = str(exc)
    for boilerplate_end in ("from a trusted source.", "WeightsUnpickler error:"):
        text = text.rsplit(boilerplate_end, 1)[-1]
    for advice in ("Check the documentation of torch.load", "Please use `torch.serialization"):
        text = text.split(advice)[0]
    text = " ".join(text.split()).removesuffix(" by default.")
    return text or type(exc).__name__


def _torch_load(path: Path, mmap: bool = False) -> Any:
    """``torch.load(weights_only=True)`` on the CPU, without torch's warnings about the pickle
    protocol (a refusal says why in its error); ``mmap``: the tensors are mapped from the file,
    not read."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)


def _stand_in(name: str) -> tuple[type, str]:
    return type("Placeholder", (_Placeholder,), {"pickled_name": name}), name


def _refused(path: Path, foreign: list[str]) -> CheckpointError:
    return CheckpointError(
        f"{path} was refused: its pickle references {', '.join(foreign)}, which a SkipClick "
        "checkpoint never needs (loading it could run code from the file)"
    )


#: how torch's ``weights_only`` unpickler names a global it refuses
_REFUSED_GLOBAL = re.compile(r"GLOBAL ([\w.]+)")


def _legacy_torch_load(path: Path) -> Any:
    """``torch.load(weights_only=True)`` of a legacy-format file, whose globals cannot be
    listed beforehand: each one torch refuses, in the order the pickle names them, gets an inert
    stand-in if it is the official package's, and refuses the file otherwise (nothing runs)."""
    from torch.serialization import safe_globals

    stand_ins: list[tuple[type, str]] = []
    while True:
        try:
            with safe_globals(stand_ins):
                return _torch_load(path)
        except Exception as exc:
            found = _REFUSED_GLOBAL.search(str(exc))
            name = found.group(1) if found else None
            if name is None or name in (n for _, n in stand_ins):
                raise CheckpointError(
                    f"{path} is not a readable PyTorch checkpoint (truncated or corrupt?): "
                    f"{_reason(exc)}"
                ) from None
            if not name.startswith(_PLACEHOLDER_PREFIX):
                raise _refused(path, [name]) from None
            stand_ins.append(_stand_in(name))


def _safe_torch_load(path: Path, mmap: bool = False) -> Any:
    """``torch.load(weights_only=True)`` with inert stand-ins for the official package's names
    (``mmap``: a zip checkpoint's tensors mapped from the file, not read; ``_torch_load``)."""
    from torch.serialization import get_unsafe_globals_in_checkpoint, safe_globals

    problem = not_a_checkpoint(path)
    if problem is not None:
        raise CheckpointError(f"{path} {problem}")
    if not zipfile.is_zipfile(path):  # PyTorch's legacy format (before 1.6)
        return _legacy_torch_load(path)
    problem = archive_problem(path)
    if problem is not None:
        raise CheckpointError(f"{path} {problem}")
    try:
        names = get_unsafe_globals_in_checkpoint(path)
    except Exception as exc:
        raise CheckpointError(
            f"{path} is not a readable PyTorch checkpoint (truncated or corrupt?): {_reason(exc)}"
        ) from None
    foreign = sorted(n for n in names if not n.startswith(_PLACEHOLDER_PREFIX))
    if foreign:
        raise _refused(path, foreign)
    stand_ins = [_stand_in(n) for n in names if n.startswith(_PLACEHOLDER_PREFIX)]
    try:
        with safe_globals(stand_ins):
            return _torch_load(path, mmap)
    except Exception as exc:
        raise CheckpointError(
            f"{path} could not be read as a PyTorch checkpoint: {_reason(exc)}"
        ) from None


def read_checkpoint(
    path: str | os.PathLike, *, shapes_only: bool = False
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Return ``(state_dict, config)`` of a checkpoint without executing code from it
    (``shapes_only``: the tensors of a zip checkpoint mapped from the file, their data not
    read)."""
    path = Path(path)
    if path.is_dir():
        raise CheckpointError(f"{path} is a folder: give the checkpoint file (.pth) in it")
    if not path.is_file():
        raise CheckpointError(f"checkpoint file not found: {path}")
    payload = _safe_torch_load(path, mmap=shapes_only)
    if not isinstance(payload, Mapping) or "state_dict" not in payload:
        kind = type(payload).__name__
        raise CheckpointError(f"{path} is not a SkipClick checkpoint (no 'state_dict' in a {kind})")
    if "config" not in payload:
        raise CheckpointError(f"{path} has no 'config': the architecture cannot be known")
    state = payload["state_dict"]
    if not isinstance(state, Mapping) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise CheckpointError(f"{path}: 'state_dict' is not a mapping of names to tensors")
    return dict(state), payload["config"]


def check_state_dict(
    model: torch.nn.Module,
    state: Mapping[str, torch.Tensor],
    path: str | os.PathLike = "",
    against: str = "the architecture in its config",
) -> None:
    """Raise :class:`CheckpointError` naming missing/extra keys and shape mismatches."""
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    extra = sorted(set(state) - set(expected))
    problems = []
    if missing:
        problems.append(f"missing keys ({len(missing)}): {', '.join(missing[:8])}")
    if extra:
        problems.append(f"unexpected keys ({len(extra)}): {', '.join(extra[:8])}")
    for key in sorted(set(state) & set(expected)):
        if tuple(state[key].shape) != tuple(expected[key].shape):
            problems.append(
                f"{key}: checkpoint shape {tuple(state[key].shape)}, "
                f"model shape {tuple(expected[key].shape)}"
            )
    if problems:
        where = f"{path} " if path else ""
        raise CheckpointError(f"checkpoint {where}does not match {against}: " + "; ".join(problems))


def build_model(config: SkipClickConfig) -> SkipClickModel:
    """A SkipClick model with PyTorch's default initial weights (eval mode, no gradients)."""
    model = SkipClickModel(config)
    model.eval().requires_grad_(False)
    return model


def _checked(
    path: Path, backbone_arch: Mapping[str, Any] | DinoV2Arch | None, *, meta: bool = False
) -> tuple[SkipClickModel, dict[str, torch.Tensor]]:
    """The model the checkpoint's config describes and its state dict, checked to match (on
    the meta device when ``meta``: shapes only, neither memory nor the tensors' data read)."""
    state, raw_config = read_checkpoint(path, shapes_only=meta)
    try:
        arch = backbone_arch_for(extractor_type(raw_config), state, backbone_arch)
        config = SkipClickConfig.from_checkpoint_config(raw_config, arch)
        with torch.device("meta") if meta else nullcontext():
            model = build_model(config)
    except ConfigError as exc:
        raise CheckpointError(f"{path}: {exc}") from None
    check_state_dict(model, state, path)
    return model, state


def check_checkpoint(path: str | os.PathLike, expected: SkipClickConfig) -> None:
    """Raise :class:`CheckpointError` unless ``path`` loads as :func:`load_skipclick` loads
    it and holds the keys and shapes of the ``expected`` architecture (a released model's).

    Reads the file (safely, as loading does) but neither its tensors' data nor weights: the
    models are shapes. So a check before a load reads the weights once, in the load.
    """
    path = Path(path)
    model, state = _checked(path, expected.dinov2, meta=True)
    if model.config.extractor_type != expected.extractor_type:
        raise CheckpointError(
            f"{path} holds a {model.config.extractor_type!r} model, not the expected "
            f"{expected.extractor_type!r}"
        )
    with torch.device("meta"):
        reference = build_model(expected)
    check_state_dict(reference, state, path, against="the expected (released) architecture")


def load_skipclick(
    path: str | os.PathLike,
    *,
    backbone_arch: Mapping[str, Any] | None = None,
    device: str | torch.device | None = None,
) -> SkipClickModel:
    """Build SkipClick from a checkpoint's own config and load its weights (eval mode).

    ``path``: a checkpoint file or a released name (``skipclick``: downloaded on first use).
    """
    from .weights import CHECKPOINTS, resolve_checkpoint

    chosen = pick_device(device)  # before a download
    if str(path) in CHECKPOINTS:
        path = resolve_checkpoint(path)
    model, state = _checked(Path(path), backbone_arch)
    model.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)
    return model.to(chosen)


def save_skipclick(model: SkipClickModel, path: str | os.PathLike) -> None:
    """Write ``model`` in the official format (plain config, no pickled objects)."""
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    torch.save({"state_dict": state, "config": model.config.to_checkpoint_config()}, path)
