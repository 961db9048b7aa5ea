"""One recorder for every trainer: per-step series, one value per member.

Series are written into preallocated ``[rows, ..., S]`` buffers (no Python
lists of tensors on the hot path) every ``every`` steps and at the last step.
"""

from __future__ import annotations

import numpy as np
import torch


class Recorder:
    def __init__(self, steps: int, every: int, n_members: int):
        self.steps = np.array(sorted(set(range(every, steps + 1, every)) | {1, steps}))
        self._row_of = {int(s): r for r, s in enumerate(self.steps)}
        self.n_members = n_members
        self.buffers: dict[str, torch.Tensor] = {}

    def due(self, step: int) -> bool:
        return step in self._row_of

    def record(self, step: int, **values: torch.Tensor) -> None:
        """Store ``values`` (each ``[S]`` or ``[K, S]``) at ``step``."""
        row = self._row_of[step]
        for name, value in values.items():
            buf = self.buffers.get(name)
            if buf is None:
                buf = torch.full((len(self.steps), *value.shape), float("nan"))
                self.buffers[name] = buf
            buf[row] = value.detach().to("cpu", torch.float32)

    def member_series(self, s: int) -> dict[str, np.ndarray]:
        """All series of member ``s``; a ``[K, S]`` series becomes ``name/0 .. name/K-1``."""
        out: dict[str, np.ndarray] = {}
        for name, buf in self.buffers.items():
            if buf.dim() == 2:
                out[name] = buf[:, s].numpy().copy()
            else:
                for k in range(buf.shape[1]):
                    out[f"{name}/{k}"] = buf[:, k, s].numpy().copy()
        return out
