"""The thread policy: hand-computed cases, the --threads override, and its record."""

import json
from types import SimpleNamespace

import pytest
import torch

from losslab.cli import main
from losslab.errors import BadInput
from losslab.threads import (
    MIN_WORK_PER_THREAD,
    available_cores,
    cgroup_quota,
    choose_threads,
    evaluation_work,
    for_work,
    set_automatic,
    study_threads,
    task_work,
)

SMALL = 48 * 64 * 32 * 32  # seed-1d size: 3.1e6 multiply-adds per matmul
LARGE = 48 * 512 * 512 * 512  # 6.4e9


def test_affinity_is_capped_by_the_quota_rounded_up():
    assert available_cores(affinity=2, quota=None) == 2
    assert available_cores(affinity=2, quota=1.5) == 2  # 1.5 cores: two threads may run
    assert available_cores(affinity=8, quota=1.5) == 2
    assert available_cores(affinity=8, quota=0.5) == 1
    assert available_cores(affinity=2, quota=4.0) == 2  # the mask binds


def test_quota_is_read_from_cgroup_v2_and_v1(tmp_path):
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert cgroup_quota(tmp_path) == 1.5
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert cgroup_quota(tmp_path) is None
    (tmp_path / "cpu.max").unlink()
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("250000\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert cgroup_quota(tmp_path) == 2.5
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")  # v1: unlimited
    assert cgroup_quota(tmp_path) is None
    assert cgroup_quota(tmp_path / "missing") is None


@pytest.mark.parametrize(
    ("work", "cores", "load", "expected"),
    [
        (SMALL, 2, 0.0, 1),  # tiny networks: one thread, idle or not
        (SMALL, 16, 0.0, 1),
        (LARGE, 2, 0.0, 2),  # large and both cores idle: both
        (LARGE, 2, 1.0, 1),  # one core busy elsewhere: one
        (LARGE, 2, 0.4, 2),  # 0.4 rounds to no core busy
        (LARGE, 1, 0.0, 1),  # affinity 1
        (LARGE, 16, 4.0, 12),
        (LARGE, 16, 20.0, 1),  # overloaded: never below one
        (3 * MIN_WORK_PER_THREAD, 16, 0.0, 3),  # each thread gets at least the minimum
        (MIN_WORK_PER_THREAD - 1, 16, 0.0, 1),
    ],
)
def test_threads_from_work_cores_and_load(work, cores, load, expected):
    choice = choose_threads(work, cores=cores, load=load)
    assert choice.torch == expected
    assert choice.reason and "\n" not in choice.reason


def test_quota_of_one_and_a_half_cores_allows_two_threads_for_large_work():
    cores = available_cores(affinity=8, quota=1.5)
    assert choose_threads(LARGE, cores=cores, load=0.0).torch == 2
    assert choose_threads(SMALL, cores=cores, load=0.0).torch == 1


@pytest.fixture(autouse=True)
def _no_omp_env(monkeypatch):
    """The policy's own rule, whatever the shell running the tests has set."""
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)


def test_omp_num_threads_in_the_environment_is_a_request(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert choose_threads(SMALL, cores=2, load=0.0).record() == {
        "torch": 3, "reason": "OMP_NUM_THREADS"
    }
    assert choose_threads(SMALL, cores=2, load=0.0, requested=1).torch == 1  # --threads wins
    for ignored in ("0", "two", ""):
        monkeypatch.setenv("OMP_NUM_THREADS", ignored)
        assert choose_threads(LARGE, cores=16, load=0.0).reason != "OMP_NUM_THREADS"


def test_requested_threads_win_and_bad_ones_are_bad_input():
    assert choose_threads(SMALL, cores=2, load=0.0, requested=7).record() == {
        "torch": 7, "reason": "--threads"
    }
    for bad in (0, -1, 1.5, True):
        with pytest.raises(BadInput, match="--threads"):
            choose_threads(SMALL, requested=bad)


def test_task_work_reads_each_trainers_shapes():
    members = (None,) * 48
    adversarial = SimpleNamespace(
        members=members, batch_size=64, dataset=SimpleNamespace(dim=1),
        generator=SimpleNamespace(hidden=(32, 32)), discriminator=SimpleNamespace(hidden=(64,)),
    )
    assert task_work(adversarial) == 48 * 64 * 64 * 32
    generative = SimpleNamespace(
        members=members[:4], batch_size=128, dataset=SimpleNamespace(dim=2),
        network=SimpleNamespace(hidden=(128, 128, 128)),
    )
    assert task_work(generative) == 4 * 128 * 128 * 128
    supervised = SimpleNamespace(
        members=members[:10], batch_size=32, dataset=SimpleNamespace(dim=64), hidden=(16,),
    )
    assert task_work(supervised) == 10 * 32 * 64 * 16
    assert study_threads([adversarial, generative], cores=1).torch == 1
    assert study_threads([], cores=2).torch == 1


CONFIG = """
[study]
name = "tiny"
seeds = 1

[data]
name = "gaussian"

[model]
latent_dim = 2
generator = { hidden = [8], activation = "relu" }
discriminator = { hidden = [8], activation = "relu" }

[train]
steps = 10
batch_size = 16
eval_every = 10
eval_samples = 200

[[losses]]
name = "nonsaturating-bce"
"""


def test_run_records_and_prints_the_choice_and_restores_threads(tmp_path, capsys):
    config = tmp_path / "tiny.toml"
    config.write_text(CONFIG)
    before = torch.get_num_threads()
    assert main(["run", str(config), "--out", str(tmp_path / "a")]) == 0
    out = capsys.readouterr().out
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert summary["threads"] == 1 and "small networks" in summary["threads_reason"]
    assert out.splitlines()[0].startswith("torch threads: 1 (small networks")
    assert torch.get_num_threads() == before

    assert main(["run", str(config), "--out", str(tmp_path / "b"), "--quiet",
                 "--threads", "3"]) == 0
    assert "torch threads" not in capsys.readouterr().out  # --quiet: not printed
    summary = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert summary["threads"] == 3 and summary["threads_reason"] == "--threads"
    assert torch.get_num_threads() == before


@pytest.mark.parametrize(
    "command", [["run", "x.toml"], ["recommend", "x.csv", "--task", "classify"]]
)
@pytest.mark.parametrize("value", ["0", "-2", "two"])
def test_bad_threads_is_one_line_exit_2(command, value, capsys):
    assert main([*command, "--threads", value]) == 2
    err = capsys.readouterr().err.strip()
    assert "--threads" in err and len(err.splitlines()) == 1


def test_evaluation_chooses_again_only_under_an_automatic_choice(monkeypatch):
    """families-ring8's evaluation: 5 members x 2,500 samples x 128 x 128 = 2.0e8
    multiply-adds, 4 splits; on 2 idle cores it takes 2 threads, then the training's 1
    comes back. --threads, OMP_NUM_THREADS or no automatic choice: nothing changes."""
    task = SimpleNamespace(members=[0] * 5, batch_size=128, eval_samples=2500,
                           network=SimpleNamespace(hidden=[128, 128, 128]),
                           dataset=SimpleNamespace(dim=2))
    assert evaluation_work(task) == 5 * 2500 * 128 * 128  # by hand
    assert evaluation_work(SimpleNamespace(members=[0], batch_size=4, hidden=[8],
                                           dataset=SimpleNamespace(dim=2))) == 0
    monkeypatch.setattr("losslab.threads.others_load", lambda cores: 0.0)
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        seen = []
        set_automatic(2)
        with for_work(evaluation_work(task)):
            seen.append(torch.get_num_threads())
        seen.append(torch.get_num_threads())
        with for_work(SMALL):  # a small generation keeps the one thread
            seen.append(torch.get_num_threads())
        monkeypatch.setenv("OMP_NUM_THREADS", "1")
        with for_work(evaluation_work(task)):
            seen.append(torch.get_num_threads())
        monkeypatch.delenv("OMP_NUM_THREADS")
        set_automatic(None)  # --threads N, or a library caller's own setting
        with for_work(evaluation_work(task)):
            seen.append(torch.get_num_threads())
        assert seen == [2, 1, 1, 1, 1]
    finally:
        set_automatic(None)
        torch.set_num_threads(before)
