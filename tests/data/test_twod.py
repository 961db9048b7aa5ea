"""The multi-dimensional datasets: shapes, seeding, mode geometry, mode balance and
spread, agreement with direct scikit-learn calls, validation."""

import math

import numpy as np
import pytest
from pydantic import BaseModel
from scipy import stats
from sklearn.datasets import make_moons, make_swiss_roll

from losslab.data import DATASETS, DatasetConfig, MixtureND, make_dataset
from losslab.errors import BadInput

DIMS = {"ring8": 2, "grid25": 2, "mixture-nd": 10, "swissroll": 2, "two-moons": 2}
N = 20_000


def test_registry_holds_the_new_datasets():
    assert set(DIMS) <= set(DATASETS)


@pytest.mark.parametrize("name", DIMS)
def test_sample_shape_dtype_and_defaults(name):
    dataset = make_dataset({"name": name})
    samples = dataset.sample(17, np.random.default_rng(0))
    assert dataset.dim == DIMS[name]
    assert samples.shape == (17, DIMS[name])
    assert samples.dtype == np.float32
    assert np.all(np.isfinite(samples))
    assert dataset.sample(0, np.random.default_rng(0)).shape == (0, DIMS[name])
    line = dataset.describe()
    assert name in line and "\n" not in line


@pytest.mark.parametrize("name", DIMS)
def test_same_seed_same_samples_different_seed_different(name):
    dataset = make_dataset({"name": name})
    a = dataset.sample(500, np.random.default_rng(123))
    b = dataset.sample(500, np.random.default_rng(123))
    c = dataset.sample(500, np.random.default_rng(124))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize(("modes", "radius"), [(8, 1.0), (5, 2.5), (12, 0.3)])
def test_ring_centres_distinct_on_the_circle_at_the_right_angles(modes, radius):
    ring = make_dataset({"name": "ring8", "modes": modes, "radius": radius})
    centers = ring.mode_centers()
    assert centers.shape == (modes, 2)
    # distinct: the closest two are one chord 2 r sin(pi / modes) apart
    closest = min(
        math.dist(centers[i], centers[j]) for i in range(modes) for j in range(i + 1, modes)
    )
    assert closest == pytest.approx(2 * radius * math.sin(math.pi / modes), rel=1e-9)
    for k, (cx, cy) in enumerate(centers):
        assert math.hypot(cx, cy) == pytest.approx(radius, rel=1e-12)
        angle = math.atan2(cy, cx) % (2 * math.pi)
        expected = 2 * math.pi * k / modes
        assert min(abs(angle - expected), 2 * math.pi - abs(angle - expected)) < 1e-9


def test_default_ring_is_the_published_one():
    ring = make_dataset({"name": "ring8"})
    s = math.sqrt(0.5)
    expected = [[1, 0], [s, s], [0, 1], [-s, s], [-1, 0], [-s, -s], [0, -1], [s, -s]]
    np.testing.assert_allclose(ring.mode_centers(), expected, atol=1e-12)
    assert ring.mode_std() == 0.01


def test_grid_centres_equal_the_hand_written_list():
    grid = make_dataset({"name": "grid25"})
    expected = [[x, y] for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)]
    np.testing.assert_allclose(grid.mode_centers(), expected, atol=1e-12)
    assert grid.mode_std() == 0.05
    small = make_dataset({"name": "grid25", "side": 2, "spacing": 3})
    np.testing.assert_allclose(
        small.mode_centers(), [[-1.5, -1.5], [-1.5, 1.5], [1.5, -1.5], [1.5, 1.5]]
    )


def test_mixture_nd_centres_are_fixed_by_center_seed_only():
    mixture = make_dataset({"name": "mixture-nd", "dim": 4, "modes": 6, "scale": 2.0})
    expected = np.random.default_rng(0).normal(0.0, 2.0, size=(6, 4))
    np.testing.assert_allclose(mixture.mode_centers(), expected)
    assert mixture.dim == 4 and mixture.mode_std() == 0.1
    assert mixture.sample(3, np.random.default_rng(9)).shape == (3, 4)
    other = make_dataset({"name": "mixture-nd", "dim": 4, "modes": 6, "center_seed": 1})
    np.testing.assert_allclose(
        other.mode_centers(), np.random.default_rng(1).normal(0.0, 1.0, size=(6, 4))
    )
    # the config spelling "dim" survives a dump and a reload
    assert mixture.model_dump()["dim"] == 4
    assert make_dataset(mixture.model_dump()) == mixture
    assert isinstance(mixture, MixtureND)


MIXTURES = [
    {"name": "ring8"},
    {"name": "ring8", "modes": 5, "radius": 3.0, "std": 0.2},
    {"name": "grid25"},
    {"name": "grid25", "side": 3, "spacing": 1.0, "std": 0.1},
    {"name": "mixture-nd"},
    {"name": "mixture-nd", "dim": 3, "modes": 4, "std": 0.05, "center_seed": 7},
]


@pytest.mark.parametrize("params", MIXTURES, ids=lambda p: str(p)[:60])
def test_samples_spread_evenly_over_the_modes_with_the_given_std(params):
    dataset = make_dataset(params)
    centers, std = dataset.mode_centers(), dataset.mode_std()
    samples = dataset.sample(N, np.random.default_rng(2024)).astype(np.float64)
    # nearest centre by brute force
    squared = ((samples[:, None, :] - centers[None, :, :]) ** 2).sum(axis=-1)
    nearest = squared.argmin(axis=1)
    counts = np.bincount(nearest, minlength=len(centers))
    assert stats.chisquare(counts).pvalue > 1e-3
    residuals = samples - centers[nearest]
    assert np.abs(residuals.mean(axis=0)).max() < 5 * std / math.sqrt(N)
    np.testing.assert_allclose(residuals.std(axis=0), std, rtol=0.03)


def test_swissroll_equals_a_direct_sklearn_call():
    rng = np.random.default_rng(31)
    state = int(np.random.default_rng(31).integers(2**31 - 1))
    points = make_swiss_roll(1000, noise=0.25, random_state=state)[0]
    expected = np.stack([points[:, 0] / 7.5, points[:, 2] / 7.5], axis=1)
    samples = make_dataset({"name": "swissroll"}).sample(1000, rng)
    np.testing.assert_allclose(samples, expected, rtol=1e-6, atol=1e-6)

    state = int(np.random.default_rng(5).integers(2**31 - 1))
    points = make_swiss_roll(300, noise=0.0, random_state=state)[0]
    custom = make_dataset({"name": "swissroll", "noise": 0, "scale": 2})
    samples = custom.sample(300, np.random.default_rng(5))
    np.testing.assert_allclose(samples, points[:, [0, 2]] / 2.0, rtol=1e-6, atol=1e-6)


def test_two_moons_equals_a_direct_sklearn_call():
    state = int(np.random.default_rng(8).integers(2**31 - 1))
    expected = make_moons(501, noise=0.1, random_state=state)[0]
    samples = make_dataset({"name": "two-moons", "noise": 0.1}).sample(
        501, np.random.default_rng(8)
    )
    np.testing.assert_allclose(samples, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", ["swissroll", "two-moons"])
def test_manifold_datasets_have_no_modes(name):
    dataset = make_dataset({"name": name})
    assert dataset.mode_centers() is None and dataset.mode_std() is None


def test_dataset_config_union_holds_the_new_datasets():
    class Study(BaseModel):
        data: DatasetConfig

    study = Study.model_validate({"data": {"name": "grid25", "side": 3}})
    assert type(study.data).__name__ == "Grid25" and study.data.side == 3


BAD = [
    ({"name": "ring8", "modes": 0}, ["modes", "0"]),
    ({"name": "ring8", "modes": 8.0}, ["modes", "8.0"]),
    ({"name": "ring8", "radius": -1}, ["radius", "-1"]),
    ({"name": "ring8", "std": 0}, ["std", "0"]),
    ({"name": "ring8", "colour": "red"}, ["colour", "'red'"]),
    ({"name": "grid25", "side": 0}, ["side", "0"]),
    ({"name": "grid25", "spacing": 0.0}, ["spacing", "0.0"]),
    ({"name": "grid25", "std": float("inf")}, ["std", "inf"]),
    ({"name": "mixture-nd", "dim": 0}, ["dim", "0"]),
    ({"name": "mixture-nd", "modes": -2}, ["modes", "-2"]),
    ({"name": "mixture-nd", "scale": 0}, ["scale", "0"]),
    ({"name": "mixture-nd", "center_seed": -1}, ["center_seed", "-1"]),
    ({"name": "swissroll", "noise": -0.1}, ["noise", "-0.1"]),
    ({"name": "swissroll", "scale": 0}, ["scale", "0"]),
    ({"name": "two-moons", "noise": "high"}, ["noise", "'high'"]),
    ({"name": "ring-8"}, ["name", "'ring-8'", "'ring8'", "'two-moons'"]),
]


@pytest.mark.parametrize(("params", "expected"), BAD, ids=lambda p: str(p)[:50])
def test_bad_params_raise_one_line_bad_input(params, expected):
    with pytest.raises(BadInput) as info:
        make_dataset(params)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("data")
    for piece in expected:
        assert piece in message, (piece, message)


def test_mixture_nd_dim_error_names_the_config_field():
    with pytest.raises(BadInput) as info:
        make_dataset({"name": "mixture-nd", "dim": 0})
    assert str(info.value).startswith("data.dim = 0: ")
