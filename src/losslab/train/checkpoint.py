"""Ensemble checkpoints: everything a trainer needs to continue a killed run exactly.

A checkpoint is written at a draw-chunk boundary (the next step draws fresh
randomness), atomically (write to a temporary file, then rename), and holds only
tensors, numbers, strings, lists and dicts, so it loads with
``torch.load(weights_only=True)``. Restoring the networks, optimiser state,
every member's random streams, the recorder and the evaluator makes the
continued run identical to an uninterrupted one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch


def to_safe(obj: Any) -> Any:
    """Numpy arrays -> tensors, recursively (``weights_only`` loads no numpy objects)."""
    if isinstance(obj, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(obj))
    if isinstance(obj, dict):
        return {k: to_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_safe(v) for v in obj]
    if isinstance(obj, np.integer | np.floating):
        return obj.item()
    return obj


def to_numpy(obj: Any) -> Any:
    """The inverse of :func:`to_safe` for arrays stored as tensors."""
    if isinstance(obj, torch.Tensor):
        return obj.numpy()
    if isinstance(obj, dict):
        return {k: to_numpy(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [to_numpy(v) for v in obj]
    return obj


def save(path: str | Path, state: dict[str, Any]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(to_safe(state), tmp)
    os.replace(tmp, path)


def load(path: str | Path) -> dict[str, Any] | None:
    path = Path(path)
    if not path.is_file():
        return None
    return torch.load(path, weights_only=True)
