"""One RNG scheme for all of losslab.

Every random draw of a member comes from a *stream* named by purpose
(initialisation, data, latent noise, penalty draws, evaluation), seeded from
``(study seed, member seed, stream)`` through NumPy's ``SeedSequence``. Two
consequences, both deliberate:

* a member's numbers depend only on its own identity, never on which ensemble
  it trains in or on its position there, so member i of an ensemble
  reproduces the solo run of member i;
* members of different losses that share a seed see the same initial weights,
  the same data and the same noise (common random numbers), so differences
  between losses at a given seed are due to the loss, which makes paired
  comparisons across losses sharper.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from losslab._lazy import torch

STREAMS = (
    "init-generator",
    "init-discriminator",
    "data",
    "latent",
    "penalty",
    "eval",
    "init-network",
    "split",
    "batch",
    "sampler",
    "baseline",  # the trivial baseline a member is judged against (metrics.baselines)
)


def stream_seed(study_seed: int, member_seed: int, stream: str) -> int:
    """A 63-bit seed for one stream of one member."""
    if stream not in STREAMS:
        raise ValueError(f"unknown RNG stream {stream!r}; known: {STREAMS}")
    ss = np.random.SeedSequence([study_seed, member_seed, STREAMS.index(stream)])
    return int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def torch_generator(study_seed: int, member_seed: int, stream: str) -> torch.Generator:
    """A CPU ``torch.Generator`` for one stream of one member."""
    return torch.Generator().manual_seed(stream_seed(study_seed, member_seed, stream))


def numpy_generator(study_seed: int, member_seed: int, stream: str) -> np.random.Generator:
    """A NumPy ``Generator`` for one stream of one member (used for data sampling)."""
    return np.random.default_rng(stream_seed(study_seed, member_seed, stream))


def per_member(
    generators: Sequence[torch.Generator],
    draw: Callable[[torch.Generator], torch.Tensor],
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """``draw(g)`` for each member's generator, stacked on a leading member axis ``[S, ...]``
    (and moved to ``device``): member s's numbers come from its own stream alone, so they
    do not depend on which ensemble it is in."""
    out = torch.stack([draw(g) for g in generators])
    return out if device is None else out.to(device)
