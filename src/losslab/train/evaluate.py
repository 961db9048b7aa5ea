"""Sample evaluation shared by every generative trainer (adversarial, energy, diffusion).

At each checkpoint every live member produces ``eval_samples`` samples and is
scored with :func:`~losslab.metrics.sample_metrics` (plus the dataset's own
:meth:`~losslab.data.Dataset.extra_metrics`) against a reference sample of the
data of the same size. Both come from the member's ``eval`` random stream, which
is re-created at every checkpoint: the latent draw of a generator, the start and
noise of a Langevin chain, the noise of an ancestral sampler are the same at
every checkpoint, so successive checkpoints differ only by training, and members
of equal seed share them across losses (common random numbers).

For 2-D data the evaluator also keeps the first ``SCATTER`` samples of every
checkpoint and, at the end, a scalar field of the model on a ``GRID`` x ``GRID``
grid covering the data (the critic of a GAN, the energy of an energy-based model).

Generating the samples runs under :func:`losslab.threads.for_work` with ``work`` (the
largest matmul of the generation, :func:`losslab.threads.evaluation_work`): when the
process's threads were chosen automatically, a generation far larger than a training
step may take more of the free cores.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from losslab.data import Dataset
from losslab.metrics import sample_metrics
from losslab.rng import numpy_generator, torch_generator
from losslab.threads import for_work
from losslab.train.recorder import Recorder
from losslab.train.result import Divergence, MemberResult, member_results

# (one eval generator per member) -> samples [S, n, d]
Generate = Callable[[list[torch.Generator]], torch.Tensor]
# grid points [S, P, 2] -> field values [S, P]
Field = Callable[[torch.Tensor], torch.Tensor]


class SampleEvaluator:
    SCATTER = 500
    GRID = 80

    def __init__(
        self,
        dataset: Dataset,
        study_seed: int,
        seeds: Sequence[int],
        eval_samples: int,
        generate: Generate,
        field: Field | None = None,
        device: str | torch.device = "cpu",
        work: int = 0,
    ):
        self.dataset, self.study_seed, self.seeds = dataset, study_seed, list(seeds)
        self.work = work
        self.n, self.generate, self.field, self.device = eval_samples, generate, field, device
        self.reference = [
            dataset.sample(eval_samples, numpy_generator(study_seed, s, "eval")) for s in self.seeds
        ]
        self.centers = dataset.mode_centers()
        self.std = dataset.mode_std()
        self.steps: list[int] = []
        self.values: list[list[dict[str, float]]] = []
        self.samples: list[np.ndarray] = []
        self.arrays: list[dict[str, np.ndarray]] = [{} for _ in self.seeds]

    def generators(self) -> list[torch.Generator]:
        """Fresh ``eval`` streams, one per member (the same draws at every checkpoint)."""
        return [torch_generator(self.study_seed, s, "eval") for s in self.seeds]

    def evaluate(self, step: int, alive: torch.Tensor) -> None:
        with for_work(self.work):
            out = self.generate(self.generators())
        self.samples = list(out.detach().cpu().numpy())
        row = []
        for s, gen in enumerate(self.samples):
            if not bool(alive[s]):
                row.append({})
                continue
            metrics = sample_metrics(gen, self.reference[s], self.centers, self.std)
            if np.all(np.isfinite(gen)):
                metrics |= self.dataset.extra_metrics(gen)
            row.append(metrics)
            if gen.shape[1] == 2:
                self.arrays[s][f"generated@{step}"] = gen[: self.SCATTER]
        self.steps.append(step)
        self.values.append(row)

    @torch.no_grad()
    def field_grid(self) -> None:
        """The model's scalar field on a grid covering the data (2-D only), as the
        arrays ``critic`` ``[GRID, GRID]`` and ``critic_extent`` ``[x0, x1, y0, y1]``."""
        if self.field is None or self.dataset.dim != 2:
            return
        ref = np.concatenate(self.reference)
        lo, hi = np.percentile(ref, 0.5, axis=0), np.percentile(ref, 99.5, axis=0)
        pad = 0.25 * (hi - lo)
        lo, hi = lo - pad, hi + pad
        xs, ys = (np.linspace(lo[k], hi[k], self.GRID, dtype=np.float32) for k in range(2))
        grid = torch.from_numpy(np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2))
        S = len(self.seeds)
        with for_work(self.work):
            values = self.field(grid.to(self.device).expand(S, -1, -1).contiguous())
        values = values.reshape(S, self.GRID, self.GRID).cpu().numpy()
        extent = np.array([lo[0], hi[0], lo[1], hi[1]], dtype=np.float32)
        for s in range(S):
            self.arrays[s]["critic"] = values[s]
            self.arrays[s]["critic_extent"] = extent

    def member_checkpoints(self, s: int) -> dict[str, list[float]]:
        return member_curves(self.values, s)

    def final_metrics(self, s: int) -> dict[str, float]:
        return dict(self.values[-1][s])

    def member_results(
        self, members: Sequence[Any], divergence: Divergence, recorder: Recorder
    ) -> list[MemberResult]:
        """One result per member; a member that diverged keeps no samples or arrays."""

        def outputs(s: int, ok: bool) -> dict[str, Any]:
            return {
                "samples": self.samples[s] if ok else None,
                "reference": self.reference[s],
                "arrays": self.arrays[s] if ok else {},
            }

        return member_results(
            members, divergence, recorder, self.steps, self.member_checkpoints,
            self.final_metrics, outputs,
        )

    def state(self) -> dict:
        return {"steps": self.steps, "values": self.values, "arrays": self.arrays}

    def load_state(self, state: dict, to_numpy: Callable) -> None:
        self.steps = list(state["steps"])
        self.values = state["values"]
        self.arrays = to_numpy(state["arrays"])


def member_curves(values: list[list[dict[str, float]]], s: int) -> dict[str, list[float]]:
    """Member ``s``'s metrics at every checkpoint (NaN where it has none), from the
    evaluator's ``values`` (one row per checkpoint, one dict per member), as kept in its
    :meth:`SampleEvaluator.state` and so in an ensemble checkpoint."""
    names = sorted({k for row in values for k in row[s]})
    return {n: [row[s].get(n, float("nan")) for row in values] for n in names}


def blocked(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, block: int = 4096):
    """``fn`` applied to ``x [S, n, ...]`` in blocks of ``block`` along ``n``, concatenated."""
    return torch.cat([fn(x[:, i : i + block]) for i in range(0, x.shape[1], block)], 1)
