"""The datasets that make issue 18's losses' cases: class-dependent (pair-flip) label
noise, a long tail with a balanced test set, and count targets, each checked against its
stated law."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from losslab.data import make_dataset
from losslab.errors import BadInput


def test_asymmetric_noise_flips_each_class_to_the_next_at_the_rate():
    ds = make_dataset({"name": "noisy-labels", "noise": "asymmetric", "flip_rate": 0.4,
                       "n": 6000, "classes": 4})
    clean = make_dataset({"name": "noisy-labels", "flip_rate": 0.0, "n": 6000, "classes": 4})
    noisy, truth = ds.splits(np.random.default_rng(5)), clean.splits(np.random.default_rng(5))
    # same draw and split (corruption comes after the split): compare label by label
    np.testing.assert_array_equal(noisy.x_train, truth.x_train)
    changed = noisy.y_train != truth.y_train
    assert changed.mean() == pytest.approx(0.4, abs=0.025)
    np.testing.assert_array_equal(noisy.y_train[changed], (truth.y_train[changed] + 1) % 4)
    np.testing.assert_array_equal(noisy.y_test, truth.y_test)  # the test labels stay clean


def test_symmetric_noise_spreads_flips_over_the_other_classes():
    ds = make_dataset({"name": "noisy-labels", "flip_rate": 0.4, "n": 9000, "classes": 3})
    clean = make_dataset({"name": "noisy-labels", "flip_rate": 0.0, "n": 9000, "classes": 3})
    noisy, truth = ds.splits(np.random.default_rng(1)), clean.splits(np.random.default_rng(1))
    changed = noisy.y_train != truth.y_train
    shift = (noisy.y_train[changed] - truth.y_train[changed]) % 3
    assert changed.mean() == pytest.approx(0.4, abs=0.025)
    assert stats.chisquare(np.bincount(shift, minlength=3)[1:]).pvalue > 0.001


def test_asymmetric_noise_at_half_is_refused():
    with pytest.raises(BadInput, match="flip_rate"):
        make_dataset({"name": "noisy-labels", "noise": "asymmetric", "flip_rate": 0.5})


def test_long_tail_counts_follow_the_ratio_and_the_test_set_is_balanced():
    ds = make_dataset({"name": "blobs-imbalanced", "ratio": 100, "classes": 5, "n": 5000,
                       "balanced_test": 200})
    counts = ds.class_counts()
    assert counts[0] / counts[-1] == pytest.approx(100, rel=0.05)
    s = ds.splits(np.random.default_rng(0))
    np.testing.assert_array_equal(np.bincount(s.y_test), [200] * 5)
    train = np.bincount(s.y_train, minlength=5)
    assert train[0] / train[-1] == pytest.approx(100, rel=0.15)
    # the balanced test points come from the same class law: per-class means at the centres
    for k, c in enumerate(ds.centers()):
        assert np.abs(s.x_test[s.y_test == k].mean(0) - c).max() < 0.3


def test_poisson_counts_have_the_log_linear_mean():
    ds = make_dataset({"name": "counts", "n": 40000, "features": 2})
    s = ds.splits(np.random.default_rng(2))
    y, x = s.y_train.astype(np.float64), s.x_train.astype(np.float64)
    assert np.all(y >= 0) and np.all(y == np.round(y))
    # Poisson GLM by scipy's optimiser (independent of the generator): recovers b and s w
    def nll(beta):
        eta = beta[0] + x @ beta[1:]
        return np.mean(np.exp(eta) - y * eta)
    fit = __import__("scipy.optimize", fromlist=["minimize"]).minimize(nll, np.zeros(3))
    w = np.array([1.0, -1.0]) / np.sqrt(2)
    np.testing.assert_allclose(fit.x, [0.8, *(0.8 * w)], atol=0.03)


def test_negative_binomial_counts_are_over_dispersed_as_stated():
    """At x = 0 (signal 0) the counts are NB with mean mu = e^b and variance
    mu + mu^2 / r: compared with scipy's nbinom(r, r / (r + mu))."""
    ds = make_dataset({"name": "counts", "n": 60000, "signal": 0.0, "intercept": 1.5,
                       "distribution": "negative-binomial", "dispersion": 2.0})
    x, y = ds.draw(np.random.default_rng(3))
    mu, r = np.exp(1.5), 2.0
    ref = stats.nbinom(r, r / (r + mu))
    assert y.mean() == pytest.approx(ref.mean(), rel=0.02)
    assert y.var() == pytest.approx(ref.var(), rel=0.05)
    assert y.var() > 2 * y.mean()
