"""How a cache entry holds features: numpy arrays (float16 on disk where they fit) plus what
rebuilds the original type (a torch tensor on its device, or numpy of its dtype)."""

from __future__ import annotations

from typing import Any

import numpy as np

_HALF_MAX = float(np.finfo(np.float16).max)


def to_numpy(value: Any) -> tuple[np.ndarray, dict[str, Any]]:
    """Return ``value`` as numpy plus what is needed to rebuild its original type."""
    if hasattr(value, "detach"):  # torch tensor, without importing torch here
        meta = {"kind": "torch", "dtype": str(value.dtype), "device": str(value.device)}
        tensor = value.detach().cpu()
        if tensor.is_floating_point():
            tensor = tensor.float()  # numpy has no bfloat16
        return tensor.numpy(), meta
    array = np.asarray(value)
    return array, {"kind": "numpy", "dtype": array.dtype.str}


def fits_half(array: np.ndarray) -> bool:
    """Whether float16 can hold every value of ``array`` without overflow."""
    return array.size == 0 or float(np.nanmax(np.abs(array))) <= _HALF_MAX


def from_numpy(array: np.ndarray, meta: dict[str, Any]) -> Any:
    """Rebuild an array saved by ``to_numpy`` (fp16 on disk back to its original dtype)."""
    if meta["kind"] == "torch":
        import torch

        dtype = getattr(torch, meta["dtype"].removeprefix("torch."))
        tensor = torch.from_numpy(np.ascontiguousarray(array)).to(dtype)
        device = meta["device"]
        if device.startswith("cuda") and not torch.cuda.is_available():
            device = "cpu"
        return tensor.to(device)
    return array.astype(np.dtype(meta["dtype"]), copy=False)


class TornEntryError(ValueError):
    """A cache entry on disk misses part of its data."""


def read_whole(array: Any) -> np.ndarray:
    """All of a zarr array; :class:`TornEntryError` if a chunk is missing (zarr reads fill)."""
    if array.nchunks_initialized != array.nchunks:
        raise TornEntryError(f"{array.nchunks - array.nchunks_initialized} chunk(s) missing")
    return array[...]
