"""Ensemble checkpoints: everything a trainer needs to continue a killed run exactly.

A checkpoint is written at a draw-chunk boundary (the next step draws fresh
randomness), atomically (write to a temporary file, then rename), and holds only
tensors, numbers, strings, lists and dicts, so it loads with
``torch.load(weights_only=True)``. Restoring the networks, optimiser state,
every member's random streams, the recorder and the evaluator makes the
continued run identical to an uninterrupted one.

A checkpoint knows what it belongs to: it carries :func:`task_hash` of its task
(everything that changes results: data, networks, members with their losses,
knobs, seeds and optimisers, steps, batch size, ...; not where the checkpoint
lives). :func:`load_for` gives a checkpoint back only for the task that wrote it;
one of another task, or one that cannot be read (truncated, damaged), is reported
in one warning line on stderr and ignored, so the ensemble trains from the start.
A checkpoint that cannot be written is reported the same way and training goes on:
a checkpoint never makes members fail.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
from pydantic import BaseModel

HASH_KEY = "task_hash"


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


def _canonical(obj: Any) -> Any:
    """``obj`` as plain JSON values, the same in every process: dataclasses and pydantic
    models by type and fields, dicts by sorted key, floats by ``repr`` (NaN and inf
    included), arrays and tensors by dtype, shape and a hash of their bytes."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        fields = {f.name: _canonical(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        return {"__type__": type(obj).__qualname__, **fields}
    if isinstance(obj, BaseModel):
        return {"__type__": type(obj).__qualname__, **_canonical(obj.model_dump(mode="python"))}
    if isinstance(obj, dict):
        return {str(k): _canonical(obj[k]) for k in sorted(obj, key=str)}
    if isinstance(obj, list | tuple):
        return [_canonical(v) for v in obj]
    if isinstance(obj, torch.Tensor):
        obj = obj.detach().cpu().numpy()
    if isinstance(obj, np.ndarray):
        data = np.ascontiguousarray(obj)
        return {"__array__": str(data.dtype), "shape": list(data.shape),
                "sha256": hashlib.sha256(data.tobytes()).hexdigest()}
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, bool) or obj is None or isinstance(obj, int | str):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else repr(obj)
    return f"{type(obj).__qualname__}:{obj!r}"


def task_hash(task: Any) -> str:
    """SHA-256 of everything in ``task`` that changes results: the task with its
    ``checkpoint_path`` cleared, serialised deterministically (its members, with their
    study indices, included)."""
    if dataclasses.is_dataclass(task) and hasattr(task, "checkpoint_path"):
        task = dataclasses.replace(task, checkpoint_path=None)
    text = json.dumps(_canonical(task), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def warn(message: str) -> None:
    print(f"losslab: warning: {message}", file=sys.stderr, flush=True)


def _write(path: Path, state: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(to_safe(state), tmp)
    os.replace(tmp, path)


def save(path: str | Path, state: dict[str, Any], owner: str | None = None) -> bool:
    """Write ``state`` (with ``owner``, a :func:`task_hash`) atomically. A failure to write
    (full disk, unwritable folder) is one warning line, not an error: the run goes on
    without this checkpoint. Returns whether it was written."""
    path = Path(path)
    if owner is not None:
        state = {**state, HASH_KEY: owner}
    try:
        _write(path, state)
    except (OSError, RuntimeError) as exc:
        warn(f"could not write checkpoint {path} ({_one_line(exc)}); training goes on "
             "without it")
        try:
            path.with_suffix(".tmp").unlink(missing_ok=True)
        except OSError:
            pass
        return False
    return True


def load(path: str | Path) -> dict[str, Any] | None:
    """The checkpoint at ``path``, None if there is none; raises if it cannot be read."""
    path = Path(path)
    if not path.is_file():
        return None
    return torch.load(path, weights_only=True)


def load_for(path: str | Path | None, owner: str) -> dict[str, Any] | None:
    """The checkpoint at ``path`` if it was written for the task whose hash is ``owner``;
    otherwise None, with one warning line saying why it is ignored (another task's, or
    unreadable). Never raises for the file's content."""
    if path is None:
        return None
    path = Path(path)
    try:
        state = load(path)
    except Exception as exc:  # noqa: BLE001 - any unreadable checkpoint is only ignored
        warn(f"checkpoint {path} cannot be read ({_one_line(exc)}); ignored, the ensemble "
             "trains from the start")
        return None
    if state is None:
        return None
    if not isinstance(state, dict) or state.get(HASH_KEY) != owner:
        warn(f"checkpoint {path} belongs to another config or member plan; ignored, the "
             "ensemble trains from the start")
        return None
    return state


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:160]
