"""Where a generative member's training data come from (one rule for every trainer).

Each member draws from its own ``data`` stream (:mod:`losslab.rng`). With
``data_points = None`` every draw is a fresh sample of the dataset (an infinite data
set); with ``data_points = N`` the member draws a training set of N points once, then
minibatches from it uniformly with replacement.
"""

from __future__ import annotations

import numpy as np

from losslab.data import Dataset
from losslab.rng import numpy_generator


class MemberData:
    def __init__(self, dataset: Dataset, study_seed: int, seed: int, data_points: int | None):
        self.dataset = dataset
        self.rng = numpy_generator(study_seed, seed, "data")
        self.fixed = dataset.sample(data_points, self.rng) if data_points else None

    def sample(self, n: int) -> np.ndarray:
        """``n`` training points ``[n, dim]``."""
        if self.fixed is None:
            return self.dataset.sample(n, self.rng)
        return self.fixed[self.rng.integers(0, len(self.fixed), size=n)]


class EpochSampler:
    """Minibatch indices for one member: consecutive random permutations of ``n`` rows,
    consumed in order (so how the draws are chunked does not change them).

    :meth:`take` is linear in ``count``: the permutations it needs are drawn and joined
    once, whatever the batch size (a batch larger than the rows spans several epochs).
    """

    def __init__(self, rng: np.random.Generator, n: int):
        if n < 1:
            raise ValueError(f"an epoch sampler needs at least one row, got {n}")
        self.rng, self.n = rng, n
        self.queue = np.zeros(0, dtype=np.int64)

    def take(self, count: int) -> np.ndarray:
        missing = count - len(self.queue)
        if missing > 0:
            epochs = -(-missing // self.n)
            self.queue = np.concatenate(
                [self.queue, *(self.rng.permutation(self.n) for _ in range(epochs))]
            )
        out, self.queue = self.queue[:count], self.queue[count:]
        return out
