"""One plan, three executors (in-process, a process pool, Ray), identical results.

Every member draws from its own RNG streams, so where its ensemble trains must
not change a single number: the final metrics and the stored per-step series of
each member are compared for exact equality against the in-process run.
"""

import json
import sqlite3
import sys

import pytest

import losslab.study.runner as runner
from losslab.cli import main
from losslab.errors import BadInput
from losslab.study.runner import run_study

# 2 losses x 3 seeds, at most 2 members an ensemble: 3 ensembles of 20 steps each
CONFIG = """
[study]
name = "tiny-executors"
seeds = 3

[data]
name = "mixture"
k = 2

[model]
latent_dim = 2
generator = { hidden = [8], activation = "relu" }
discriminator = { hidden = [8], activation = "relu" }

[train]
steps = 20
batch_size = 16
eval_every = 10
eval_samples = 300
max_ensemble = 2
"""

LOSSES = """
[[losses]]
name = "nonsaturating-bce"

[[losses]]
name = "wgan-gp"
"""

ENSEMBLES, STEPS = 3, 20


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    path = tmp_path_factory.mktemp("config") / "tiny.toml"
    path.write_text(CONFIG + LOSSES)
    return path


@pytest.fixture(scope="module")
def in_process(config, tmp_path_factory):
    """The reference: the default executor."""
    root = tmp_path_factory.mktemp("in-process")
    summary = run_study(config, out=root / "out", db=root / "s.db", progress=False).summary
    return final_metrics(summary), stored_series(root / "s.db")


@pytest.fixture(scope="module")
def ray_cluster():
    try:
        import ray
    except ImportError:
        pytest.skip("ray is not installed (pip install -e '.[ray]')")
    ray.init(num_cpus=2, include_dashboard=False)
    yield ray
    ray.shutdown()


class CountingBar:
    """Stands in for the progress bar: records the total and what the executor reports."""

    last = None

    def __init__(self, total, *_, **__):
        self.total, self.n = total, 0
        CountingBar.last = self

    def __enter__(self):
        return self

    def __exit__(self, *_):
        return False

    def update(self, n):
        self.n += n

    def set_postfix_str(self, text):
        pass


def final_metrics(summary):
    return [(m["loss"], m["seed"], m["status"], m["metrics"]) for m in summary["members"]]


def stored_series(db):
    query = (
        "SELECT m.idx, s.name, s.step, s.value FROM series s"
        " JOIN members m ON s.member_id = m.id ORDER BY m.idx, s.name, s.step"
    )
    return sqlite3.connect(db).execute(query).fetchall()


def test_reference_has_several_ensembles_and_real_metrics(in_process):
    metrics, series = in_process
    assert len(metrics) == 2 * ENSEMBLES and all(m[2] in ("ok", "not-converged") for m in metrics)
    assert all({"w1", "ks"} <= set(m[3]) for m in metrics)
    assert len({row[0] for row in series}) == 2 * ENSEMBLES


def test_process_pool_gives_identical_results(tmp_path, config, in_process, monkeypatch):
    monkeypatch.setattr(runner, "progress_bar", CountingBar)
    out, db = tmp_path / "out", tmp_path / "s.db"
    args = ["run", str(config), "--out", str(out), "--db", str(db), "--quiet"]
    assert main([*args, "--executor", "pool", "--workers", "2"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert final_metrics(summary) == in_process[0]  # member by member, exact
    assert stored_series(db) == in_process[1]
    assert CountingBar.last.n == CountingBar.last.total == ENSEMBLES * STEPS


def test_ray_gives_identical_results(tmp_path, config, in_process, ray_cluster, monkeypatch):
    monkeypatch.setattr(runner, "progress_bar", CountingBar)
    db = tmp_path / "s.db"
    summary = run_study(config, out=tmp_path / "out", db=db, executor="ray").summary
    assert final_metrics(summary) == in_process[0]
    assert stored_series(db) == in_process[1]
    assert CountingBar.last.n == CountingBar.last.total == ENSEMBLES * STEPS
    assert ray_cluster.is_initialized()  # a session the caller opened stays open


def test_killed_study_resumes_under_ray(tmp_path, config, in_process, ray_cluster, monkeypatch):
    real_run = runner.run_on_ray

    def killed_after_first(tasks, progress=None):
        for rows in real_run(tasks, progress):
            yield rows
            raise KeyboardInterrupt  # the driver dies after one ensemble is stored

    out, db = tmp_path / "out", tmp_path / "s.db"
    monkeypatch.setattr(runner, "run_on_ray", killed_after_first)
    with pytest.raises(KeyboardInterrupt):
        run_study(config, out=out, db=db, executor="ray", progress=False)
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM members").fetchone()[0] == 2

    planned = []

    def recording(tasks, progress=None):
        planned.append(len(tasks))
        return real_run(tasks, progress)

    monkeypatch.setattr(runner, "run_on_ray", recording)
    resumed = run_study(config, out=out, db=db, executor="ray", resume=True, progress=False)
    assert planned == [ENSEMBLES - 1]  # only the missing ensembles ran again
    assert final_metrics(resumed.summary) == in_process[0]


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--executor", "dask"], "invalid choice: 'dask'"),
        (["--executor", "pool", "--workers", "0"], "expected a positive integer, got 0"),
        (["--executor", "pool", "--workers", "two"], "expected a positive integer"),
        (["--workers", "2"], "--workers applies to --executor pool only"),
        (["--address", "ray://head:10001"], "--address applies to --executor ray only"),
        (["--device", "tpu"], "invalid choice: 'tpu'"),
    ],
)
def test_bad_executor_arguments_exit_2_with_one_line(tmp_path, config, capsys, extra, message):
    out = tmp_path / "out"
    assert main(["run", str(config), "--out", str(out), "--quiet", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not out.exists()  # rejected before anything is written


def test_ray_executor_without_ray_says_how_to_install(tmp_path, config, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    out = tmp_path / "out"
    assert main(["run", str(config), "--out", str(out), "--quiet", "--executor", "ray"]) == 2
    err = capsys.readouterr().err.strip()
    assert "install losslab[ray]" in err and len(err.splitlines()) == 1
    assert not out.exists()


def test_cuda_without_a_gpu_is_bad_input(tmp_path, config, capsys, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    out = tmp_path / "out"
    for executor in ("in-process", "pool"):
        args = ["run", str(config), "--out", str(out), "--device", "cuda", "--executor", executor]
        assert main([*args, "--quiet"]) == 2
        err = capsys.readouterr().err.strip()
        assert "no CUDA device" in err and len(err.splitlines()) == 1
    assert not out.exists()


def test_device_flag_overrides_the_config(tmp_path, monkeypatch):
    import torch

    path = tmp_path / "cuda.toml"
    path.write_text(CONFIG + 'device = "cuda"\n' + LOSSES)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(BadInput, match="no CUDA device"):
        run_study(path, out=tmp_path / "out")
    monkeypatch.setattr(runner, "_run", lambda config, *_: config)  # stop before training
    assert run_study(path, out=tmp_path / "out", device="cpu").train.device == "cpu"
