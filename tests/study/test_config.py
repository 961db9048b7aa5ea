"""Bad configs exit 2 with one line naming the problem; good ones plan into members."""

import subprocess
import sys
from pathlib import Path

import pytest

from losslab.cli import main
from losslab.errors import BadInput
from losslab.study.config import load_config
from losslab.study.planner import plan, plan_members

GOOD = """
[study]
name = "t"
seeds = 3

[data]
name = "gaussian"

[train]
steps = {steps}

[[losses]]
name = "{loss}"

[[losses]]
name = "wgan-gp"
gp_weight = 5
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "study.toml"
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    "text,needle",
    [
        (GOOD.format(steps=10, loss="wgan-pg"), "unknown loss 'wgan-pg'"),
        (GOOD.format(steps=-5, loss="hinge"), "train.steps = -5"),
        (GOOD.format(steps='"many"', loss="hinge"), "train.steps = 'many'"),
        (
            GOOD.format(steps=10, loss="hinge").replace("seeds = 3", "seeds = 3\ncolour = 1"),
            "study.colour",
        ),
        (GOOD.format(steps=10, loss="hinge").replace('"gaussian"', '"gausian"'), "gausian"),
        (
            GOOD.format(steps=10, loss="hinge").replace("gp_weight = 5", "gp_weight = -1"),
            "gp_weight = -1",
        ),
        (
            GOOD.format(steps=10, loss="hinge").replace("gp_weight = 5", "lambda = 1"),
            "no hyper-parameter 'lambda'",
        ),
        ("[study\nname=1", "not valid TOML"),
    ],
)
def test_bad_config_exits_2_with_one_line(tmp_path, capsys, text, needle):
    path = write(tmp_path, text)
    code = main(["run", str(path), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert needle in err and str(path) in err
    assert "Traceback" not in err


def test_missing_file_and_bad_arguments(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.toml")]) == 2
    assert "config file not found" in capsys.readouterr().err
    assert main(["run", "x.toml", "--steps", "-3"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--steps" in err and "-3" in err


def test_console_script_exit_code_without_traceback(tmp_path):
    path = write(tmp_path, GOOD.format(steps='"many"', loss="hinge"))
    proc = subprocess.run(
        [sys.executable, "-m", "losslab.cli", "run", str(path)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_planner_expands_members_and_keeps_losses_contiguous(tmp_path):
    config = load_config(write(tmp_path, GOOD.format(steps=10, loss="hinge")))
    members = plan_members(config)
    assert [(m.label, m.seed) for m in members] == [
        ("hinge", 0),
        ("hinge", 1),
        ("hinge", 2),
        ("wgan-gp", 0),
        ("wgan-gp", 1),
        ("wgan-gp", 2),
    ]
    assert members[3].hparams["gp_weight"] == 5.0
    assert members[3].n_critic == 5 and members[3].optimizer.betas == (0.5, 0.9)
    (task,) = plan(config)
    assert len(task.members) == 6


def test_max_ensemble_splits_members(tmp_path):
    text = GOOD.format(steps=10, loss="hinge").replace("steps = 10", "steps = 10\nmax_ensemble = 4")
    tasks = plan(load_config(write(tmp_path, text)))
    assert [len(t.members) for t in tasks] == [4, 2]


def test_cli_overrides_are_validated(tmp_path):
    config = load_config(
        write(tmp_path, GOOD.format(steps=10, loss="hinge")),
        {"train": {"steps": 3}, "study": {"seeds": 2}},
    )
    assert config.train.steps == 3 and config.study.seeds == 2
    with pytest.raises(BadInput):
        load_config(write(tmp_path, GOOD.format(steps=10, loss="hinge")), {"train": {"steps": 0}})


def test_example_config_is_valid():
    root = Path(__file__).resolve().parents[2]
    config = load_config(root / "examples" / "seed-1d.toml")
    assert len(plan_members(config)) == 48


def test_one_dataset_twice_needs_a_label_and_results_stay_apart():
    """Two [[data]] entries of one dataset with different knobs: refused without labels
    (their results would merge), kept apart with them."""
    from losslab.data.registry import dataset_label
    from losslab.errors import BadInput
    from losslab.study.config import validate_config

    raw = {
        "study": {"name": "x", "seeds": 2},
        "data": [{"name": "noisy-labels"}, {"name": "noisy-labels", "noise": "asymmetric"}],
        "losses": [{"name": "softmax-ce"}],
    }
    with pytest.raises(BadInput, match=r"data\[1\]: 'noisy-labels' is also data\[0\]"):
        validate_config(raw)
    raw["data"][1]["label"] = "asymmetric"
    config = validate_config(raw)
    assert [dataset_label(d) for d in config.datasets] == ["noisy-labels", "asymmetric"]
    assert "label=" not in config.datasets[1].describe()


def test_a_count_loss_on_signed_targets_is_refused_before_training():
    """poisson-nll on linear-gaussian (targets of both signs): one line naming the loss,
    the dataset and the lowest target, at validation (it used to fail every member)."""
    from losslab.errors import BadInput
    from losslab.study.config import validate_config

    raw = {
        "study": {"name": "x", "seeds": 2},
        "data": [{"name": "counts"}, {"name": "linear-gaussian"}],
        "losses": [{"name": "mse"}, {"name": "poisson-nll"}],
    }
    with pytest.raises(BadInput) as err:
        validate_config(raw)
    text = str(err.value)
    assert "\n" not in text
    assert "losses[1].name = 'poisson-nll' needs non-negative targets" in text
    assert "data[1] = 'linear-gaussian'" in text
    validate_config({**raw, "data": [{"name": "counts"}]})  # raw counts: accepted
