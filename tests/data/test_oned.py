"""The 1-D datasets: shapes, seeding, distributions (KS against closed forms), validation."""

import math

import numpy as np
import pytest
from pydantic import BaseModel, ValidationError
from scipy import stats

from losslab.data import DATASETS, DatasetConfig, Mixture, make_dataset
from losslab.errors import BadInput

NAMES = ["gaussian", "mixture", "student-t", "lognormal", "uniform"]
N = 20_000


def test_registry_holds_the_five_datasets():
    assert set(NAMES) <= set(DATASETS)


@pytest.mark.parametrize("name", NAMES)
def test_sample_shape_dtype_and_defaults(name):
    dataset = make_dataset({"name": name})
    samples = dataset.sample(17, np.random.default_rng(0))
    assert dataset.dim == 1
    assert samples.shape == (17, 1)
    assert samples.dtype == np.float32
    assert np.all(np.isfinite(samples))
    assert dataset.sample(0, np.random.default_rng(0)).shape == (0, 1)
    line = dataset.describe()
    assert name in line and "\n" not in line


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_samples_different_seed_different(name):
    dataset = make_dataset({"name": name})
    a = dataset.sample(500, np.random.default_rng(123))
    b = dataset.sample(500, np.random.default_rng(123))
    c = dataset.sample(500, np.random.default_rng(124))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def _mixture_cdf(centers, std, weights):
    def cdf(x):
        x = np.asarray(x, dtype=np.float64)
        total = np.zeros_like(x)
        for center, weight in zip(centers, weights, strict=True):
            z = (x - center) / (std * math.sqrt(2.0))
            total += weight * 0.5 * (1.0 + np.vectorize(math.erf)(z))
        return total

    return cdf


CLOSED_FORMS = [
    ({"name": "gaussian"}, stats.norm(loc=4.0, scale=1.25).cdf),
    ({"name": "gaussian", "mean": -2, "std": 0.3}, stats.norm(loc=-2.0, scale=0.3).cdf),
    ({"name": "student-t"}, stats.t(df=3.0, loc=0.0, scale=1.0).cdf),
    ({"name": "student-t", "df": 1.5, "loc": 2, "scale": 3}, stats.t(df=1.5, loc=2, scale=3).cdf),
    ({"name": "lognormal"}, stats.lognorm(s=0.5, scale=math.exp(0.0)).cdf),
    ({"name": "lognormal", "mu": 1.0, "sigma": 0.9}, stats.lognorm(s=0.9, scale=math.exp(1.0)).cdf),
    ({"name": "uniform"}, stats.uniform(loc=-1.0, scale=2.0).cdf),
    ({"name": "uniform", "low": 3, "high": 7.5}, stats.uniform(loc=3.0, scale=4.5).cdf),
    ({"name": "mixture"}, _mixture_cdf([-4.0, 0.0, 4.0], 0.5, [1 / 3, 1 / 3, 1 / 3])),
    (
        {"name": "mixture", "k": 4, "spacing": 2, "center": 1, "std": 0.7, "weights": [1, 2, 3, 4]},
        _mixture_cdf([-2.0, 0.0, 2.0, 4.0], 0.7, [0.1, 0.2, 0.3, 0.4]),
    ),
]


@pytest.mark.parametrize(("params", "cdf"), CLOSED_FORMS, ids=lambda p: str(p)[:60])
def test_samples_follow_the_closed_form_distribution(params, cdf):
    samples = make_dataset(params).sample(N, np.random.default_rng(2024))
    result = stats.kstest(samples[:, 0].astype(np.float64), cdf)
    assert result.pvalue > 1e-3


def test_mixture_centres_and_std():
    mixture = make_dataset({"name": "mixture"})
    np.testing.assert_allclose(mixture.mode_centers(), [[-4.0], [0.0], [4.0]])
    assert mixture.mode_std() == 0.5
    shifted = make_dataset({"name": "mixture", "k": 4, "spacing": 2.5, "center": 10})
    np.testing.assert_allclose(shifted.mode_centers(), [[6.25], [8.75], [11.25], [13.75]])
    single = make_dataset({"name": "mixture", "k": 1, "center": -3})
    np.testing.assert_allclose(single.mode_centers(), [[-3.0]])


@pytest.mark.parametrize("name", ["gaussian", "student-t", "lognormal", "uniform"])
def test_datasets_without_modes(name):
    dataset = make_dataset({"name": name})
    assert dataset.mode_centers() is None and dataset.mode_std() is None


def test_ints_accepted_for_floats_and_models_frozen_and_hashable():
    dataset = make_dataset({"name": "gaussian", "mean": 4, "std": 2})
    assert dataset.mean == 4.0 and isinstance(dataset.std, float)
    with pytest.raises(ValidationError):  # frozen
        dataset.std = 3.0
    mixture = make_dataset({"name": "mixture", "k": 2, "weights": [1, 3]})
    assert hash(mixture) == hash(make_dataset({"name": "mixture", "k": 2, "weights": [1, 3]}))
    assert isinstance(mixture, Mixture)


def test_dataset_config_is_a_discriminated_union_field():
    class Study(BaseModel):
        data: DatasetConfig

    study = Study.model_validate({"data": {"name": "uniform", "low": 0, "high": 2}})
    assert type(study.data).__name__ == "Uniform" and study.data.high == 2.0


BAD = [
    ({"name": "gaussian", "std": -1}, ["std", "-1"]),
    ({"name": "gaussian", "std": "big"}, ["std", "'big'"]),
    ({"name": "gaussian", "colour": 1}, ["colour", "1"]),
    ({"name": "gaussian", "mean": True}, ["mean", "True"]),
    ({"name": "gaussian", "mean": float("nan")}, ["mean", "nan"]),
    ({"name": "gausian"}, ["name", "'gausian'", "'gaussian'", "'mixture'", "'uniform'"]),
    ({}, ["name", "'gaussian'"]),
    ({"name": "uniform", "low": 1, "high": 1}, ["high", "1"]),
    ({"name": "uniform", "low": 2.0, "high": -1.0}, ["high", "-1.0"]),
    ({"name": "mixture", "weights": [1.0, 2.0]}, ["weights", "[1.0, 2.0]"]),
    ({"name": "mixture", "k": 2, "weights": [1.0, -2.0]}, ["weights", "-2.0"]),
    ({"name": "mixture", "k": 0}, ["k", "0"]),
    ({"name": "mixture", "k": 2.0}, ["k", "2.0"]),
    ({"name": "student-t", "df": 0}, ["df", "0"]),
    ({"name": "lognormal", "sigma": -0.1}, ["sigma", "-0.1"]),
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


def test_field_errors_name_the_field_without_the_union_tag():
    with pytest.raises(BadInput) as info:
        make_dataset({"name": "gaussian", "std": -1})
    assert str(info.value).startswith("data.std = -1: ")
