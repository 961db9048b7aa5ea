"""Supervised metrics against scikit-learn (where it has them), scipy and plain loops."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from sklearn import metrics as skm

from losslab.metrics import (
    CLASSIFICATION_METRIC_NAMES,
    REGRESSION_METRIC_NAMES,
    SUPERVISED_HIGHER_IS_BETTER,
    SUPERVISED_METRIC_INFO,
    accuracy,
    balanced_accuracy,
    classification_metrics,
    expected_calibration_error,
    gaussian_nll,
    macro_f1,
    mae,
    median_absolute_error,
    mse,
    nll,
    quantile_coverage,
    regression_metrics,
)


def random_probs(n: int, k: int, seed: int, sharpness: float = 2.0):
    rng = np.random.default_rng(seed)
    logits = sharpness * rng.standard_normal((n, k))
    y = rng.integers(0, k, n)
    logits[np.arange(n), y] += 1.5  # better than chance
    p = np.exp(logits - logits.max(1, keepdims=True))
    return p / p.sum(1, keepdims=True), y


CASES = [(200, 3, 0), (500, 10, 1), (57, 2, 2), (300, 5, 3)]


@pytest.mark.parametrize(("n", "k", "seed"), CASES)
def test_classification_metrics_match_scikit_learn(n, k, seed):
    probs, y = random_probs(n, k, seed)
    pred = probs.argmax(1)
    assert accuracy(y, pred) == pytest.approx(skm.accuracy_score(y, pred), abs=1e-12)
    assert balanced_accuracy(y, pred) == pytest.approx(
        skm.balanced_accuracy_score(y, pred), abs=1e-12
    )
    assert macro_f1(y, pred) == pytest.approx(skm.f1_score(y, pred, average="macro"), abs=1e-12)
    assert nll(y, np.log(probs)) == pytest.approx(
        skm.log_loss(y, probs, labels=np.arange(k)), rel=1e-9
    )


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
def test_imbalanced_and_missing_classes_match_scikit_learn():
    y = np.array([0] * 90 + [1] * 8 + [2] * 2)
    pred = np.array([0] * 88 + [1] * 2 + [1] * 5 + [0] * 3 + [0, 3])  # class 3 only predicted
    assert balanced_accuracy(y, pred) == pytest.approx(
        skm.balanced_accuracy_score(y, pred), abs=1e-12
    )
    assert macro_f1(y, pred) == pytest.approx(
        skm.f1_score(y, pred, average="macro", zero_division=0), abs=1e-12
    )
    assert accuracy(y, np.zeros(100, dtype=int)) == 0.9
    assert balanced_accuracy(y, np.zeros(100, dtype=int)) == pytest.approx(1 / 3)


@pytest.mark.parametrize("scale", [1.0, 30.0, 1e3, 1e4])
@pytest.mark.parametrize("k", [2, 5])
def test_nll_from_logits_equals_torch_cross_entropy_in_float64(scale, k):
    """Logits up to 1e4 in magnitude, with confident mistakes: the metric equals
    ``torch.nn.functional.cross_entropy`` on float64 logits (no 1e-12 probability floor,
    which would stop a sample's NLL at 27.6)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(int(scale) + k)
    logits = scale * rng.uniform(-1.0, 1.0, (64, k))
    y = rng.integers(0, k, 64)
    logits[0] = 0.0
    logits[0, (y[0] + 1) % k] = scale  # a mistake by the full margin
    want = torch.nn.functional.cross_entropy(
        torch.tensor(logits, dtype=torch.float64), torch.tensor(y)
    ).item()
    assert nll(y, logits) == pytest.approx(want, rel=1e-12, abs=1e-12)
    assert classification_metrics(y, logits)["nll"] == pytest.approx(want, rel=1e-12, abs=1e-12)
    if scale >= 1e3:
        assert nll(y, logits) > -math.log(1e-12)  # the old floor understated it


def test_binary_logit_nll_is_bce_with_logits():
    """A one-logit loss's logit z, passed as the logits [0, z], gives the float64
    ``binary_cross_entropy_with_logits``, even at |z| = 1e4."""
    torch = pytest.importorskip("torch")
    z = np.array([-1e4, -30.0, -1.0, 0.0, 2.0, 40.0, 1e4])
    y = np.array([1, 0, 1, 0, 1, 0, 0])
    want = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.tensor(z, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
    ).item()
    assert nll(y, np.stack([np.zeros_like(z), z], 1)) == pytest.approx(want, rel=1e-12)


def ece_loop(probs, y, n_bins=15):
    """Guo et al. 2017, Eq. 3, with an explicit loop over samples and bins."""
    n = len(y)
    total = 0.0
    for m in range(n_bins):
        lo, hi = m / n_bins, (m + 1) / n_bins
        members = [i for i in range(n) if lo < max(probs[i]) <= hi]
        if not members:
            continue
        acc = sum(int(np.argmax(probs[i]) == y[i]) for i in members) / len(members)
        conf = sum(max(probs[i]) for i in members) / len(members)
        total += len(members) / n * abs(acc - conf)
    return total


@pytest.mark.parametrize(("n", "k", "seed"), CASES)
@pytest.mark.parametrize("n_bins", [15, 10, 1])
def test_ece_matches_a_plain_loop(n, k, seed, n_bins):
    probs, y = random_probs(n, k, seed, sharpness=1.0)
    assert expected_calibration_error(y, probs, n_bins) == pytest.approx(
        ece_loop(probs, y, n_bins), abs=1e-12
    )


def test_ece_of_a_calibrated_and_an_overconfident_model():
    rng = np.random.default_rng(0)
    n = 200_000
    conf = rng.uniform(0.5, 1.0, n)
    correct = rng.random(n) < conf  # right exactly as often as it claims
    y = np.where(correct, 0, 1)
    probs = np.column_stack([conf, 1 - conf])
    assert expected_calibration_error(y, probs) < 0.01
    sure = np.column_stack([np.full(n, 0.99), np.full(n, 0.01)])
    assert expected_calibration_error(y, sure) == pytest.approx(0.99 - correct.mean(), abs=1e-9)


def test_regression_metrics_match_scikit_learn_and_scipy():
    rng = np.random.default_rng(0)
    y = rng.standard_normal(300)
    pred = y + 0.3 * rng.standard_t(3, 300)
    assert mse(y, pred) == pytest.approx(skm.mean_squared_error(y, pred), rel=1e-12)
    assert mae(y, pred) == pytest.approx(skm.mean_absolute_error(y, pred), rel=1e-12)
    assert median_absolute_error(y, pred) == pytest.approx(
        skm.median_absolute_error(y, pred), rel=1e-12
    )
    var = rng.uniform(0.1, 2.0, 300)
    want = -np.mean(stats.norm.logpdf(y, loc=pred, scale=np.sqrt(var)))
    assert gaussian_nll(y, pred, var) == pytest.approx(want, rel=1e-12)
    assert gaussian_nll(y, pred, 0.7) == pytest.approx(
        -np.mean(stats.norm.logpdf(y, loc=pred, scale=math.sqrt(0.7))), rel=1e-12
    )


def test_quantile_coverage_is_the_fraction_at_or_below():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    q = np.array([1.0, 1.5, 3.5, 3.9])
    assert quantile_coverage(y, q) == sum(a <= b for a, b in zip(y, q, strict=True)) / 4
    rng = np.random.default_rng(1)
    sample = rng.standard_normal(100_000)
    assert quantile_coverage(sample, np.full_like(sample, stats.norm.ppf(0.9))) == pytest.approx(
        0.9, abs=0.005
    )


def test_dict_builders():
    probs, y = random_probs(100, 4, 0)
    got = classification_metrics(y, np.log(probs))
    assert tuple(got) == CLASSIFICATION_METRIC_NAMES
    assert got["accuracy"] == accuracy(y, probs.argmax(1))
    assert got["ece"] == pytest.approx(expected_calibration_error(y, probs), abs=1e-12)
    t = np.linspace(-1, 1, 50)
    p = 0.9 * t
    reg = regression_metrics(t, p, 0.5)
    assert tuple(reg) == REGRESSION_METRIC_NAMES
    assert reg["coverage"] == quantile_coverage(t, p)
    assert regression_metrics(t, p, 0.5, quantile_pred=t + 1)["coverage"] == 1.0
    assert reg["nll"] == gaussian_nll(t, p, 0.5)
    assert set(SUPERVISED_HIGHER_IS_BETTER) <= set(CLASSIFICATION_METRIC_NAMES)
    assert set(SUPERVISED_METRIC_INFO) == set(CLASSIFICATION_METRIC_NAMES + REGRESSION_METRIC_NAMES)


@pytest.mark.parametrize(("n", "k", "seed"), CASES)
def test_classification_metrics_take_y_true_first_as_scikit_learn(n, k, seed):
    """Every metric reads ``(y_true, y_pred)`` as scikit-learn does: the same positional
    arguments give scikit-learn's numbers."""
    probs, y = random_probs(n, k, seed)
    pred = probs.argmax(1)
    got = classification_metrics(y, np.log(probs))
    assert got["nll"] == pytest.approx(skm.log_loss(y, probs, labels=np.arange(k)), rel=1e-9)
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(y, pred), abs=1e-12)
    assert got["balanced_accuracy"] == pytest.approx(
        skm.balanced_accuracy_score(y, pred), abs=1e-12
    )
    assert got["macro_f1"] == pytest.approx(skm.f1_score(y, pred, average="macro"), abs=1e-12)
    assert got["ece"] == pytest.approx(ece_loop(probs, y), abs=1e-12)
