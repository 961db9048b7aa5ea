"""Studies on the user's data file (``[data] name = "file"``): a 2-D mixture written here
(generative), scikit-learn's breast-cancer (classify) and diabetes (regress) sets written
to CSV. Each runs from a config through the command line and through ``losslab.run``
with the same members; numbers are checked against independent computations."""

import json
import os

import numpy as np
import pandas as pd
import pytest

import losslab
from losslab.cli import main
from losslab.data.filedata import FileData
from losslab.errors import BadInput
from losslab.study.config import load_config, validate_config

CENTRES = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])

SMALL = """
[train]
steps = {steps}
batch_size = 16
eval_every = {steps}
eval_samples = 300
"""

GENERATIVE = """
[study]
name = "mixture file"
seeds = 2

[data]
name = "file"
path = "data/mix.csv"

[model]
latent_dim = 2
generator = { hidden = [8], activation = "relu" }
discriminator = { hidden = [8], activation = "relu" }

[[losses]]
name = "nonsaturating-bce"

[[losses]]
name = "wgan-gp"
""" + SMALL.format(steps=20)

CLASSIFY = """
[study]
name = "cancer file"
seeds = 2

[[data]]
name = "file"
path = "data/cancer.csv"
task = "classify"
target = "target"

[[data]]
name = "wine"

[model]
network = { hidden = [16] }

[[losses]]
name = "softmax-ce"

[[losses]]
name = "label-smoothing-ce"
""" + SMALL.format(steps=30)

REGRESS = """
[study]
name = "diabetes file"
seeds = 2

[[data]]
name = "file"
path = "data/diabetes.csv"
task = "regress"
target = "target"

[[data]]
name = "diabetes"

[model]
network = { hidden = [16] }

[[losses]]
name = "mse"

[[losses]]
name = "huber"
""" + SMALL.format(steps=30)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A folder with data/{mix,cancer,diabetes}.csv and the three configs beside it."""
    from sklearn.datasets import load_breast_cancer, load_diabetes

    root = tmp_path_factory.mktemp("files")
    (root / "data").mkdir()
    rng = np.random.default_rng(0)
    x = CENTRES[rng.integers(0, 3, 600)] + 0.3 * rng.standard_normal((600, 2))
    pd.DataFrame(x, columns=["a", "b"]).to_csv(root / "data" / "mix.csv", index=False)
    load_breast_cancer(as_frame=True).frame.to_csv(root / "data" / "cancer.csv", index=False)
    load_diabetes(as_frame=True).frame.to_csv(root / "data" / "diabetes.csv", index=False)
    for name, text in (("generative", GENERATIVE), ("classify", CLASSIFY), ("regress", REGRESS)):
        (root / f"{name}.toml").write_text(text)
    return root


def run_both(files, name, tmp_path, monkeypatch):
    """The config run by the command line (from another folder: paths are relative to
    the config) and by losslab.run; returns both studies."""
    config = files / f"{name}.toml"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["run", str(config), "--out", str(tmp_path / "cli"), "--quiet"]) == 0
    cli = losslab.load(tmp_path / "cli")
    api = losslab.run(config, out=tmp_path / "api")
    return cli, api


def same_members(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.drop(columns="cost.seconds"), b.drop(columns="cost.seconds"))


def test_generative_study_on_a_csv_file(files, tmp_path, monkeypatch):
    cli, api = run_both(files, "generative", tmp_path, monkeypatch)
    members = api.members
    assert len(members) == 2 * 2 * 1  # losses x seeds x datasets
    assert set(members["dataset"]) == {"mix.csv"}
    assert set(members["status"]) <= {"ok", "not-converged"}
    # the mode metrics work: three modes (reverse KL of a histogram over 3 modes <= ln 3)
    assert {"modes", "high_quality", "reverse_kl"} <= set(members.columns)
    assert members["modes"].between(0, 3).all()
    assert (members["reverse_kl"] <= np.log(3) + 1e-9).all()
    same_members(cli.members, members)


def test_generative_file_modes_and_samples(files):
    config = load_config(files / "generative.toml")
    dataset = config.datasets[0]
    assert isinstance(dataset, FileData) and dataset.dim == 2
    x = pd.read_csv(files / "data" / "mix.csv").to_numpy()
    mean, std = x.mean(0), x.std(0)
    rows = (x - mean) / std
    # mode centres: the mixture's, in the standardised units the generator sees
    found = dataset.mode_centers()
    assert found.shape == (3, 2)
    for centre in (CENTRES - mean) / std:
        assert np.min(np.linalg.norm(found - centre, axis=1)) < 0.1
    assert dataset.mode_std() == pytest.approx(0.3 / std.mean(), rel=0.25)
    # samples: the file's rows, drawn with the member's stream only
    got = dataset.sample(500, np.random.default_rng(7))
    idx = np.random.default_rng(7).integers(0, len(rows), size=500)
    np.testing.assert_allclose(got, rows[idx].astype(np.float32))


def test_classify_study_on_a_csv_file_beside_a_builtin(files, tmp_path, monkeypatch):
    cli, api = run_both(files, "classify", tmp_path, monkeypatch)
    members = api.members
    assert len(members) == 2 * 2 * 2  # losses x seeds x datasets
    assert list(dict.fromkeys(members["dataset"])) == ["cancer.csv", "wine"]
    assert set(members["status"]) <= {"ok", "not-converged"}
    assert members["accuracy"].between(0, 1).all()
    assert set(api.ranking("accuracy")["dataset"]) == {"cancer.csv", "wine"}
    same_members(cli.members, members)


def test_regress_file_reproduces_the_builtin_diabetes_set(files, tmp_path, monkeypatch):
    """diabetes.csv holds scikit-learn's diabetes rows in order, so its members (split from
    the same streams, standardised the same way) equal the built-in set's, number for
    number: an independent check of the file path end to end."""
    cli, api = run_both(files, "regress", tmp_path, monkeypatch)
    members = api.members
    assert len(members) == 2 * 2 * 2
    from_file = members[members["dataset"] == "diabetes.csv"].reset_index(drop=True)
    builtin = members[members["dataset"] == "diabetes"].reset_index(drop=True)
    for metric in ("mse", "mae"):
        np.testing.assert_allclose(from_file[metric], builtin[metric], rtol=1e-6)
    note = api.summary["notes"]["data diabetes.csv"]
    assert "standardised" in note and "'target'" in note
    same_members(cli.members, members)


def config_with(data: str) -> str:
    return f"""
[study]
name = "bad"
seeds = 2

[data]
name = "file"
{data}

[[losses]]
name = "{'softmax-ce' if 'classify' in data else 'wgan-gp'}"
"""


@pytest.mark.parametrize(
    "data, expected",
    [
        ('path = "data/none.csv"', "data: {root}/data/none.csv: no such file"),
        ('path = "data/cancer.csv"\ntask = "classify"\ntarget = "nope"',
         "data: {root}/data/cancer.csv: no target column 'nope'"),
        ('path = "data/cancer.csv"\ntask = "classify"',
         'task = "classify" needs target = "COLUMN"'),
        ('path = "data/mix.csv"\ncolumns = ["a", "zz"]',
         "columns names unknown column(s) zz"),
        ('path = "data/mix.csv"\nformat = "xls"', "data.file.format = 'xls'"),
        ('path = "data/mix.csv"\ntarget = "a"', 'target applies to task = "classify"'),
        ('path = "data/bad.csv"', 'set drop_invalid = true'),
    ],
)
def test_bad_data_file_is_one_line_exit_2(files, tmp_path, capsys, data, expected):
    (files / "data" / "bad.csv").write_text("a,b\n" + "1,2\n" * 12 + "3,\n")
    config = files / "bad.toml"
    config.write_text(config_with(data))
    code = main(["run", str(config), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert str(config) in err and expected.format(root=files) in err, err
    assert "Traceback" not in err and "--drop-invalid" not in err


def test_dict_config_paths_are_relative_to_the_cwd(files, monkeypatch):
    monkeypatch.chdir(files / "data")
    raw = {"study": {"name": "d"}, "data": {"name": "file", "path": "mix.csv"},
           "losses": [{"name": "wgan-gp"}]}
    config = validate_config(raw)
    assert config.datasets[0].path == os.path.join(files / "data", "mix.csv")
    with pytest.raises(BadInput, match="no such file"):
        validate_config({**raw, "data": {"name": "file", "path": "data/mix.csv"}})


def test_out_may_not_be_the_data_file(files, tmp_path):
    with pytest.raises(BadInput, match="is the input"):
        losslab.run(files / "generative.toml", out=files / "data" / "mix.csv")


def test_count_target_kept_in_its_units_trains_a_count_loss(tmp_path, capsys):
    """standardise_target = false keeps a regression file's counts raw: the splits hold the
    file's integers (their mean is the file's, not 0) and poisson-nll trains on them; with
    the default standardisation the same study is refused in one line (negative targets)."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((400, 2))
    y = rng.poisson(np.exp(0.8 + 0.5 * x[:, 0]))
    pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "n": y}).to_csv(tmp_path / "counts.csv", index=False)
    study = """
[study]
name = "file-counts"
seeds = 2

[data]
name = "file"
path = "counts.csv"
task = "regress"
target = "n"
{extra}

[train]
steps = 40
batch_size = 32
eval_every = 20

[[losses]]
name = "poisson-nll"

[[losses]]
name = "mse"
"""
    raw = tmp_path / "raw.toml"
    raw.write_text(study.format(extra="standardise_target = false"))
    from losslab.study.config import load_config

    dataset = load_config(raw).datasets[0]
    splits = dataset.splits(np.random.default_rng(0))
    every = np.concatenate([splits.y_train, splits.y_val, splits.y_test])
    assert np.array_equal(np.sort(every), np.sort(y).astype(np.float32))
    assert "kept in its own units" in dataset.describe()
    assert main(["run", str(raw), "--out", str(tmp_path / "ok"), "--quiet"]) == 0
    summary = json.loads((tmp_path / "ok" / "summary.json").read_text())
    assert {m["status"] for m in summary["members"]} <= {"ok", "not-converged"}
    capsys.readouterr()

    standardised = tmp_path / "std.toml"
    standardised.write_text(study.format(extra=""))
    assert main(["run", str(standardised), "--out", str(tmp_path / "no"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "non-negative targets" in err[0]
