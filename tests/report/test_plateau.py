"""The plateau rule of a reproduction, against a hand computation on made-up curves."""

import math

import numpy as np
import pytest

from losslab.report.plateau import curve_table, plateau

STEPS = np.arange(0, 10_001, 500)  # 21 checkpoints: quarters of 5


def by_hand(values):
    """Quarter means per seed with plain loops: Q3 = checkpoints 11..15, Q4 = 16..20."""
    d = []
    for row in values:
        q3 = sum(row[11:16]) / 5
        q4 = sum(row[16:21]) / 5
        d.append(q4 - q3)
    mean = sum(d) / len(d)
    se = math.sqrt(sum((x - mean) ** 2 for x in d) / (len(d) - 1) / len(d))
    return mean, se


def test_flat_noise_has_plateaued():
    rng = np.random.default_rng(0)
    values = 6.0 + rng.normal(0, 0.3, (10, 21))
    r = plateau(STEPS, values)
    mean, se = by_hand(values)
    assert r["change"] == pytest.approx(mean, abs=1e-12) and r["se"] == pytest.approx(se)
    assert r["plateaued"] and r["by"] == "within 2 SE of no change"
    assert r["q3_steps"] == (5500, 7500) and r["q4_steps"] == (8000, 10000)


def test_a_rising_curve_is_still_moving_unless_below_the_papers_resolution():
    rng = np.random.default_rng(1)
    values = STEPS / 1000 + rng.normal(0, 0.05, (10, 21))  # rises 2.5 per quarter
    r = plateau(STEPS, values)
    mean, _ = by_hand(values)
    assert r["change"] == pytest.approx(mean) and mean == pytest.approx(2.5, abs=0.1)
    assert not r["plateaued"] and r["by"] == "still moving"
    assert plateau(STEPS, values, resolution=3.0)["by"] == "below the paper's resolution (2 SE)"


def test_missing_seeds_are_left_out_and_the_table_is_mean_and_se():
    values = np.tile(np.linspace(0, 1, 21), (3, 1))
    values[2, :] = np.nan
    r = plateau(STEPS, values)
    assert r["seeds"] == 2
    lines = curve_table(STEPS[:2], {"hq": np.array([[0.5, 0.9], [0.7, 0.9]])}, {"hq": 100.0})
    assert lines[1].split()[:4] == ["0", "60", "+-", "10"]  # mean 60 %, SE 10


def test_too_few_checkpoints_are_not_judged_even_when_the_two_se_clause_holds():
    # the 100k ring run read at 4 checkpoints: one per quarter, noisy seeds, still rising
    steps = np.array([0, 2500, 5000, 7500])
    rng = np.random.default_rng(2)
    values = np.array([0.0, 34.6, 63.2, 72.5]) + rng.normal(0, 15, (10, 4))
    r = plateau(steps, values)
    d = values[:, 3] - values[:, 2]  # by hand: Q3 = {5000}, Q4 = {7500}
    assert r["change"] == pytest.approx(d.mean())
    assert abs(d.mean()) <= 2 * d.std(ddof=1) / math.sqrt(10)  # the clause alone would pass
    assert not r["plateaued"] and r["by"].startswith("too few checkpoints to judge (4;")
    assert plateau(STEPS[:8], np.ones((3, 8)))["plateaued"]  # 8 flat checkpoints: judged
