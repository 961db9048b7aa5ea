"""``--losses A,B,...``: race a chosen set; a name that cannot race is one line, exit 2."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from losslab.cli import main


def _regress_csv(tmp_path):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((200, 2))
    y = x @ [1.0, -1.0] + 0.2 * rng.standard_normal(200)
    path = tmp_path / "r.csv"
    pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": y}).to_csv(path, index=False)
    return str(path)


def test_losses_races_exactly_the_chosen_set(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["recommend", _regress_csv(tmp_path), "--task", "regress", "--target", "y",
                 "--losses", "mae,log-cosh", "--schedule", "30x2,40x3", "--tune", "1",
                 "--out", str(out), "--quiet"])
    capsys.readouterr()
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["config"]["candidates"] == ["mae", "log-cosh"]
    assert {m["loss"] for m in summary["members"]} == {"mae", "log-cosh"}
    assert any(r.startswith("--losses: raced mae, log-cosh") for r in summary["rules"])


@pytest.mark.parametrize(
    ("losses", "needle"),
    [
        ("mse,no-such-loss", "--losses no-such-loss: unknown loss"),
        ("mse,softmax-ce", "--losses softmax-ce: not a loss for --task regress"),
        ("mse,poisson-nll", "--losses poisson-nll: needs count targets"),
        ("mse", "name at least 2 losses"),
    ],
)
def test_a_loss_that_cannot_race_is_one_line(tmp_path, capsys, losses, needle):
    code = main(["recommend", _regress_csv(tmp_path), "--task", "regress", "--target", "y",
                 "--losses", losses, "--quiet", "--budget", "10", "--out",
                 str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "Traceback" not in err
    assert needle in err, err
