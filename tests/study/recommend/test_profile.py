"""The profile against independent computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from losslab.data.files import load
from losslab.data.profile import breusch_pagan, profile, robust_z
from losslab.study.candidates import choose


def test_skewness_and_kurtosis_match_scipy():
    rng = np.random.default_rng(1)
    x = np.column_stack([rng.exponential(size=500), rng.standard_t(5, size=500)])
    p = profile(load(x, "generate"), "generate")
    assert np.allclose(p.skewness, stats.skew(x, axis=0))
    assert np.allclose(p.excess_kurtosis, stats.kurtosis(x, axis=0, fisher=True))
    assert np.allclose(p.std, x.std(0)) and p.n == 500 and p.dim == 2


def test_ring_of_eight_has_eight_modes(ring):
    p = profile(load(ring(), "generate"), "generate")
    assert p.modes == 8 and "BIC" in p.modes_method
    assert p.multimodal


def test_one_gaussian_has_one_mode():
    x = np.random.default_rng(2).standard_normal((800, 2))
    assert profile(load(x, "generate"), "generate").modes == 1


def test_robust_z_by_hand():
    v = np.array([1.0, 2.0, 3.0, 4.0, 100.0])
    med, mad = 3.0, 1.0  # |v - 3| = 2, 1, 0, 1, 97 -> median 1
    assert np.allclose(robust_z(v[:, None])[:, 0], 0.6745 * (v - med) / mad)


def test_breusch_pagan_by_polyfit():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((400, 1))
    res = (0.1 + np.abs(x[:, 0])) * rng.standard_normal(400)
    # n R^2 of e^2 on [1, x, x^2], computed with numpy's polyfit
    e2 = res**2
    fit = np.polyval(np.polyfit(x[:, 0], e2, 2), x[:, 0])
    r2 = 1 - np.sum((e2 - fit) ** 2) / np.sum((e2 - e2.mean()) ** 2)
    assert np.isclose(breusch_pagan(x, res), stats.chi2.sf(400 * r2, 2))
    assert breusch_pagan(x, res) < 0.01


def test_imbalance_and_rules():
    rng = np.random.default_rng(4)
    y = np.r_[np.zeros(300), np.ones(30)].astype(int)
    x = rng.standard_normal((330, 2)) + 2.5 * y[:, None]
    df = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": y})
    p = profile(load(df, "classify", target="y"), "classify")
    assert p.class_counts == [300, 30] and np.isclose(p.imbalance_ratio, 10.0)
    plan = choose(p)
    names = [c.loss for c in plan.candidates]
    assert {"softmax-ce", "class-weighted-ce", "focal", "sigmoid-bce"} <= set(names)
    # the logit-adjustment family (issue 18) joins for imbalance, and says why
    why = {c.loss: c.reason for c in plan.candidates}
    assert "imbalanced classes" in why["logit-adjusted-ce"] and "balanced-softmax" in why
    assert "imbalanced classes" in why["ldam"]
    assert plan.metric == "balanced_accuracy"


def test_overlapping_classes_bring_noise_robust_losses():
    rng = np.random.default_rng(6)
    y = rng.integers(0, 3, 600)
    x = rng.standard_normal((600, 2)) + 0.6 * y[:, None]  # heavily overlapping classes
    df = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": y})
    p = profile(load(df, "classify", target="y"), "classify")
    assert p.overlap >= 0.10
    names = [c.loss for c in choose(p).candidates]
    assert {"label-smoothing-ce", "gce", "sce"} <= set(names)


def test_regression_outliers_bring_robust_losses():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((400, 3))
    y = x @ [1.0, -1.0, 0.5] + 0.3 * rng.standard_normal(400)
    hit = rng.random(400) < 0.08
    y[hit] += 15 * rng.standard_normal(int(hit.sum()))
    df = pd.DataFrame(np.column_stack([x, y]), columns=["a", "b", "c", "y"])
    p = profile(load(df, "regress", target="y"), "regress")
    assert p.outlier_fraction > 0.01
    names = [c.loss for c in choose(p).candidates]
    assert names[0] == "mse" and {"huber", "mae", "log-cosh", "cauchy", "barron"} <= set(names)
