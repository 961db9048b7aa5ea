"""`losslab reproduce`: ours beside the paper's, with the budget stated."""

import math

import numpy as np
import pytest

from losslab.cli import main
from losslab.study.reproduce import REPRODUCTIONS, compare_rows, format_table


def test_compare_rows_is_mean_and_standard_error_over_ok_seeds():
    modes = [6.0, 7.0, 5.0, 8.0]
    hq = [0.97, 0.99, 0.98, 0.96]
    members = [
        {"status": "ok", "metrics": {"modes": m, "high_quality": h, "reverse_kl": 0.1 * i}}
        for i, (m, h) in enumerate(zip(modes, hq, strict=True))
    ]
    members.append({"status": "diverged", "metrics": {}})
    rows = {
        r["metric"]: r for r in compare_rows({"members": members}, REPRODUCTIONS["pacgan-ring"])
    }
    mean, se = rows["modes"]["ours"]
    assert mean == pytest.approx(np.mean(modes))
    assert se == pytest.approx(np.std(modes, ddof=1) / math.sqrt(4))
    assert rows["high_quality"]["ours"][0] == pytest.approx(100 * np.mean(hq))  # percent
    assert rows["modes"]["paper"] == (6.3, 0.5)
    text = format_table(list(rows.values()), REPRODUCTIONS["pacgan-ring"], 1000, 4)
    assert "1,000 generator steps of the paper's 400,000" in text and "cut for time" in text


def test_reproduce_runs_the_protocol_and_prints_both_rows(tmp_path, capsys):
    out = tmp_path / "pacgan-ring"
    code = main(
        ["reproduce", "pacgan-ring", "--steps", "3", "--seeds", "2", "--out", str(out), "--quiet"]
    )
    text = capsys.readouterr().out
    assert code == 0
    assert "budget: 3 generator steps of the paper's 400,000" in text
    for metric, paper in (("modes", "6.3"), ("high_quality", "98.2"), ("reverse_kl", "0.45")):
        line = next(line for line in text.splitlines() if line.startswith(metric))
        assert paper in line
    assert (out / "summary.json").exists() and (out / "reproduction.txt").exists()


def test_unknown_reproduction_is_bad_input(capsys):
    assert main(["reproduce", "pacgan-moon"]) == 2
    assert "pacgan-ring" in capsys.readouterr().err
