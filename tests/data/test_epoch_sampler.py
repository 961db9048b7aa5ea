"""train.data.EpochSampler: consecutive permutations consumed in order, in linear time."""

from __future__ import annotations

import time

import numpy as np

from losslab.train.data import EpochSampler


def test_draws_are_consecutive_permutations_whatever_the_chunking():
    n = 7
    reference = np.random.default_rng(5)
    expected = np.concatenate([reference.permutation(n) for _ in range(40)])
    sampler = EpochSampler(np.random.default_rng(5), n)
    got = np.concatenate([sampler.take(k) for k in (3, 20, 1, 0, 50, 9, 100)])
    assert got.tolist() == expected[: len(got)].tolist()


def test_a_batch_far_larger_than_the_rows_is_linear():
    sampler = EpochSampler(np.random.default_rng(0), 30)
    started = time.perf_counter()
    for _ in range(20):
        batch = sampler.take(100_000)
    assert time.perf_counter() - started < 10  # the quadratic version did not finish in 240 s
    counts = np.bincount(batch, minlength=30)  # 100,000 rows = 3333.3 epochs of 30 rows
    assert counts.min() >= 3332 and counts.max() <= 3335
