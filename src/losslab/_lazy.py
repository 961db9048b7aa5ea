"""torch, imported where a loss is first computed, not where it is registered.

``losslab list``, ``explain`` and ``docs`` read the loss cards only; importing torch
for them costs about 2 s (measured: ``losslab list --names`` 2.0 s with torch, about
0.3 s without). The loss modules, and the sampling and knob helpers they import,
therefore take ``torch`` and ``F`` (``torch.nn.functional``) from here: stand-ins
that import the real module on their first attribute read and then keep each attribute
read on the stand-in itself, so later reads are plain attribute look-ups.
``no_grad`` is :func:`torch.no_grad` as a decorator that imports torch at the first
call. Annotations name ``Tensor`` under ``TYPE_CHECKING`` (the modules use
``from __future__ import annotations``).

Everything that trains (``losslab.train``, ``nets``, ``metrics``) imports torch as usual.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["F", "LazyModule", "no_grad", "torch"]

T = TypeVar("T", bound=Callable[..., Any])


class LazyModule:
    """The module ``name``, imported on the first attribute read."""

    def __init__(self, name: str):
        self.__dict__["_lazy_name"] = name

    def __getattr__(self, attr: str) -> Any:
        value = getattr(importlib.import_module(self._lazy_name), attr)
        self.__dict__[attr] = value  # later reads skip __getattr__
        return value

    def __repr__(self) -> str:
        return f"<lazy module {self._lazy_name!r}>"


torch: Any = LazyModule("torch")
F: Any = LazyModule("torch.nn.functional")


def no_grad(fn: T) -> T:
    """``fn`` run under :func:`torch.no_grad`, torch imported at the first call."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with torch.no_grad():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
