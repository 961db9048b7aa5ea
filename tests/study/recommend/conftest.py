import numpy as np
import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def ring8(n: int = 1200, seed: int = 0) -> np.ndarray:
    """Eight Gaussians (std 0.02) on the unit circle, drawn independently of losslab."""
    rng = np.random.default_rng(seed)
    k = rng.integers(0, 8, size=n)
    angles = 2 * np.pi * k / 8
    return np.stack([np.cos(angles), np.sin(angles)], 1) + 0.02 * rng.standard_normal((n, 2))


@pytest.fixture
def ring():
    return ring8
