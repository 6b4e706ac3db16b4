"""Values computed from a module's weights once, kept until one of those weights changes."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TypeVar

import torch
from torch import nn

T = TypeVar("T")
_LOCK = threading.Lock()


def derived(
    module: nn.Module, name: str, params: Iterable[torch.Tensor], build: Callable[[], T]
) -> T:
    """``build()``, kept on ``module`` under ``name`` until one of ``params`` changes.

    A change is a new tensor (``.to``, a dtype conversion, a copy of the module) or an in-place
    write (``load_state_dict``); the value is built without autograd, outside inference mode and
    with autocast off.
    """
    params = list(params)
    key = tuple((id(p), p.data_ptr(), p._version, p.dtype, p.device) for p in params)
    with _LOCK:
        held = module.__dict__.get(name)
        if held is None or held[0] != key:
            device = params[0].device.type if params else "cpu"
            off = torch.autocast(device, enabled=False)
            with torch.inference_mode(False), torch.no_grad(), off:
                held = (key, build())
            module.__dict__[name] = held
        return held[1]
