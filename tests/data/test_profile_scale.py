"""The profile scales: every superlinear step runs on a stated number of rows, exact steps
stay exact, and a 3.5M-row x 7 CSV loads and profiles in well under a minute."""

from __future__ import annotations

import time

import numpy as np
import pytest
from scipy import stats

import losslab.data.profile as profile_module
from losslab.data.files import Table, load
from losslab.data.profile import profile


def table(x, y=None, classes=()):
    cols = [f"c{i}" for i in range(x.shape[1])]
    return Table("<test>", cols, x, y=y, target="t" if y is not None else None,
                 classes=list(classes))


def test_small_data_uses_every_row():
    rng = np.random.default_rng(1)
    x = rng.gamma(2.0, size=(3000, 2))
    prof = profile(table(x), "generate")
    assert prof.skewness == pytest.approx(stats.skew(x, axis=0).tolist())
    assert prof.sample_sizes["moments"] == 3000 and prof.sample_sizes["scale"] == 3000


def test_large_data_uses_the_stated_sizes(monkeypatch):
    monkeypatch.setattr(profile_module, "PROFILE_ROWS", 4000)
    monkeypatch.setattr(profile_module, "KNN_ROWS", 1000)
    rng = np.random.default_rng(2)
    n = 20_000
    y = (rng.random(n) < 0.1).astype(np.int64)  # 10% minority class
    x = rng.normal(size=(n, 3)) + y[:, None] * 3.0
    prof = profile(table(x, y, ["a", "b"]), "classify")
    sizes = prof.sample_sizes
    assert sizes["moments"] == 4000 and sizes["outliers"] == 4000 and sizes["discrete"] == 4000
    assert sizes["scale"] == n and sizes["modes"] == 2000
    assert 995 <= sizes["overlap"] <= 1005  # each class keeps its share (rounding)
    assert prof.mean == pytest.approx(x.mean(0).tolist())  # the scale is exact
    assert prof.max == pytest.approx(x.max(0).tolist())
    # well-separated classes (3 std apart): a 5-NN error near the Bayes error, ~ 1%
    assert prof.overlap < 0.05
    assert "on 1000 of the rows" in "\n".join(prof.lines()) or sizes["overlap"] != 1000


def test_discrete_is_exact_beyond_the_subsample(monkeypatch):
    monkeypatch.setattr(profile_module, "PROFILE_ROWS", 500)
    rng = np.random.default_rng(3)
    n = 50_000
    twenty = rng.integers(0, 20, size=n).astype(float)
    rare = twenty.copy()
    rare[[7, 30_000]] = 99.0  # a 21st value in 2 rows: the subsample almost surely misses it
    x = np.column_stack([twenty, rare, rng.normal(size=n)])
    prof = profile(table(x), "generate")
    assert prof.discrete == ["c0"]


@pytest.mark.slow
def test_a_3_5m_row_csv_loads_and_profiles_within_a_minute(tmp_path):
    import importlib.util
    from pathlib import Path

    here = Path(__file__).resolve().parents[2] / "benchmarks" / "profile_scale.py"
    spec = importlib.util.spec_from_file_location("profile_scale", here)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    path = bench.write_csv(tmp_path / "big.csv", 3_500_000)
    assert path.stat().st_size > 150e6
    started = time.perf_counter()
    data = load(str(path), "classify", target="label")
    prof = profile(data, "classify")
    elapsed = time.perf_counter() - started
    assert data.n == 3_500_000 and data.dim == 6
    assert prof.sample_sizes["overlap"] <= 20_100
    assert elapsed < 60, elapsed
