"""The thread policy: hand-computed cases, the --threads override, and its record."""

import json
import math
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

TINY = 1 * 64 * 32 * 32  # one member of seed-1d: 6.6e4 multiply-adds per matmul
SMALL = 48 * 64 * 32 * 32  # seed-1d size: 3.1e6 multiply-adds per matmul
EVAL = 1 * 2500 * 128 * 128  # one member's evaluation, 2-D generative study: 4.1e7
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
        (TINY, 2, 0.0, 1),  # tiny networks: one thread, idle or not
        (TINY, 16, 0.0, 1),
        (SMALL, 2, 0.0, 2),  # seed-1d's ensemble on 2 idle cores: both
        (SMALL, 2, 1.0, 1),  # one core busy elsewhere: one
        (SMALL, 16, 0.0, SMALL // MIN_WORK_PER_THREAD),  # 12: each thread its minimum
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
    assert choose_threads(TINY, cores=cores, load=0.0).torch == 1


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
        with for_work(TINY):  # a tiny generation keeps the one thread
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


def _kernel_load(busy: list[float], tick: float = 5.0) -> list[float]:
    """The kernel's 1-min load average, as the kernel computes it: every 5 s,
    load = load * e^(-5/60) + runnable * (1 - e^(-5/60)); ``busy[i]`` is the runnable
    count during tick ``i``. Returns the load after each tick."""
    import math

    e = math.exp(-tick / 60.0)
    load, out = 0.0, []
    for n in busy:
        load = load * e + n * (1.0 - e)
        out.append(load)
    return out


def test_own_load_follows_the_kernels_average_of_a_process_busy_then_idle():
    from losslab.threads import OwnLoad

    # one core busy for 60 s from the start, then idle for 40 s; ours read at 20 s (the
    # first reading: only the CPU seconds over the age are known), 60 s, 80 s and 100 s
    kernel = _kernel_load([1.0] * 12 + [0.0] * 8)
    own = OwnLoad()
    assert own.update(wall=20.0, cpu=20.0, age=20.0) == pytest.approx(kernel[3], rel=1e-9)
    assert own.update(wall=60.0, cpu=60.0, age=60.0) == pytest.approx(kernel[11], rel=1e-9)
    assert own.update(wall=80.0, cpu=60.0, age=80.0) == pytest.approx(kernel[15], rel=1e-9)
    assert own.update(wall=100.0, cpu=60.0, age=100.0) == pytest.approx(kernel[19], rel=1e-9)
    # two threads busy for 30 s: twice the average
    two = OwnLoad()
    assert two.update(wall=30.0, cpu=60.0, age=30.0) == pytest.approx(
        2 * _kernel_load([1.0] * 6)[-1], rel=1e-9)
    fresh = OwnLoad()  # a process that has not run yet: nothing of its own
    assert fresh.update(wall=0.0, cpu=0.0, age=0.0) == 0.0


def test_the_load_average_fallback_leaves_out_this_processs_own_threads(monkeypatch):
    """Where /proc/stat cannot be read: a study running alone on the idle machine, the
    load (1.0) is its own thread, so the others' load is 0 and a large evaluation may
    take both cores."""
    import losslab.threads as th

    own = th.OwnLoad()
    own.update(wall=0.0, cpu=600.0, age=600.0)  # 10 min of one busy thread: own ~ 1.0
    monkeypatch.setattr(th, "_own_load", own)
    monkeypatch.setattr(th, "machine_busy_seconds", lambda: None)  # off Linux
    monkeypatch.setattr(th.os, "getloadavg", lambda: (1.0, 1.0, 1.0))
    monkeypatch.setattr(th.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(th.time, "monotonic", lambda: 0.0)
    monkeypatch.setattr(th.time, "process_time", lambda: 600.0)
    expected = max(0.0, 1.0 - (1 - math.exp(-10.0)))  # the closed form of own at 600 s
    assert th.others_load(2) == pytest.approx(expected, abs=1e-9)
    assert choose_threads(LARGE, cores=2).torch == 2
    # another process keeping one core busy: load 2.0, of which 1.0 is ours
    monkeypatch.setattr(th.os, "getloadavg", lambda: (2.0, 2.0, 2.0))
    assert th.others_load(2) == pytest.approx(1.0, abs=1e-4)
    assert choose_threads(LARGE, cores=2).torch == 1


def test_each_ensemble_trains_with_the_rules_threads_for_the_load_of_its_start(monkeypatch):
    """Under an automatic choice, each ensemble takes the rule's threads for its own work
    and the load when it starts (2 on two idle cores at seed-1d size, 1 once another
    process keeps a core busy), records them in its members' cost, and the study's
    threads come back after it. Under --threads (no automatic choice) nothing changes."""
    import losslab.study.executor as ex
    import losslab.threads as th

    seen = []

    def fake_train(task, progress=None):
        seen.append(torch.get_num_threads())
        return [ex.MemberResult(index=m.index, status="ok") for m in task.members]

    monkeypatch.setattr(ex, "train", fake_train)
    monkeypatch.setattr(ex, "_row", lambda task, m, r, c: c)
    monkeypatch.setattr(ex, "training_passes", lambda task, m: 1)
    members = [SimpleNamespace(index=i) for i in range(48)]
    task = SimpleNamespace(members=members, batch_size=64, dataset=SimpleNamespace(dim=1),
                           generator=SimpleNamespace(hidden=(32, 32)),
                           discriminator=SimpleNamespace(hidden=(32,)))
    assert task_work(task) == SMALL
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        set_automatic(2)
        loads = iter([0.0, 1.0])
        monkeypatch.setattr(th, "others_load", lambda cores: next(loads))
        idle = ex.run_task(task)
        assert torch.get_num_threads() == 1
        busy = ex.run_task(task)
        set_automatic(None)
        fixed = ex.run_task(task)
        assert seen == [2, 1, 1]
        assert {c["threads"] for c in idle} == {2} and {c["threads"] for c in busy} == {1}
        assert {c["threads"] for c in fixed} == {1}
    finally:
        set_automatic(None)
        torch.set_num_threads(before)


def test_machine_busy_seconds_reads_the_cpu_line_of_proc_stat(tmp_path):
    import os

    stat = tmp_path / "stat"
    # user nice system idle iowait irq softirq steal guest guest_nice
    stat.write_text("cpu  1000 20 300 9000 50 4 6 70 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n")
    hz = os.sysconf("SC_CLK_TCK")
    expected = (1000 + 20 + 300 + 4 + 6 + 70) / hz  # by hand: idle and iowait left out
    from losslab.threads import machine_busy_seconds

    assert machine_busy_seconds(stat) == pytest.approx(expected)
    stat.write_text("intr 1 2 3\n")
    assert machine_busy_seconds(stat) is None
    assert machine_busy_seconds(tmp_path / "missing") is None


def test_others_meter_subtracts_this_processs_own_cpu_from_the_machines():
    from losslab.threads import MIN_WINDOW, OthersMeter

    meter = OthersMeter()
    assert meter.update(wall=10.0, busy=100.0, own=40.0) is None  # nothing to compare yet
    # 2 s later: the machine was busy 3.0 CPU s, 1.9 of them ours: others kept 0.55 cores
    assert meter.update(wall=12.0, busy=103.0, own=41.9) == pytest.approx(1.1 / 2.0)
    # too short a window: the estimate stands and the window goes on from t = 12
    assert meter.update(wall=12.0 + MIN_WINDOW / 2, busy=103.1, own=42.0) == pytest.approx(0.55)
    assert meter.update(wall=14.0, busy=107.0, own=43.0) == pytest.approx((4.0 - 1.1) / 2.0)
    # our own accounting ahead of the machine's (ticks): never below zero
    assert meter.update(wall=15.0, busy=107.5, own=43.6) == 0.0


def _spin(seconds: float) -> None:
    import time

    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


@pytest.mark.skipif(not __import__("pathlib").Path("/proc/stat").exists(),
                    reason="needs Linux's /proc/stat")
def test_a_process_spinning_a_core_is_seen_as_others_and_our_own_spinning_is_not():
    """Measured, not mocked: a child process spinning one core for the window reads as
    about one core of others' work; this process spinning (our own work) does not."""
    import multiprocessing as mp
    import time

    from losslab.threads import OthersMeter, machine_busy_seconds

    def reading(meter):
        return meter.update(time.monotonic(), machine_busy_seconds(), time.process_time())

    child = mp.get_context("spawn").Process(target=_spin, args=(3.0,))
    child.start()
    try:
        time.sleep(1.0)  # the child is up and spinning
        meter = OthersMeter()
        reading(meter)
        time.sleep(1.0)
        assert reading(meter) >= 0.7
    finally:
        child.join(10)
    meter = OthersMeter()
    reading(meter)
    _spin(1.0)  # ours: the machine's busy time rises as much as our own
    assert reading(meter) <= 0.5


def test_after_an_evaluation_the_training_threads_are_chosen_again_for_the_load_now(
        monkeypatch):
    """An ensemble that started on two idle cores (2 threads) and whose evaluation ran
    while another process kept a core busy goes on training with 1; when the machine is
    idle again at the next checkpoint it takes 2 again; after the ensemble the threads
    before it come back."""
    import losslab.threads as th

    loads = iter([0.0, 1.0, 1.0, 0.0, 0.0])
    monkeypatch.setattr(th, "others_load", lambda cores: next(loads))
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    seen = []
    try:
        set_automatic(2)
        with for_work(EVAL):  # the ensemble starts: idle
            seen.append(torch.get_num_threads())
            with for_work(EVAL):  # checkpoint 1: a core taken
                seen.append(torch.get_num_threads())
            seen.append(torch.get_num_threads())  # training goes on: chosen for now (busy)
            with for_work(EVAL):  # checkpoint 2: idle again
                seen.append(torch.get_num_threads())
            seen.append(torch.get_num_threads())
        seen.append(torch.get_num_threads())  # after the ensemble: as before it
        assert seen == [2, 1, 1, 2, 2, 1]
    finally:
        set_automatic(None)
        torch.set_num_threads(before)


def test_tick_chooses_again_at_most_every_recheck_interval(monkeypatch):
    """Inside an ensemble's block, tick() re-chooses for the load now, but not more often
    than RECHECK_SECONDS (a fake clock); outside a block or without an automatic choice it
    does nothing."""
    import losslab.threads as th

    clock = {"t": 1000.0}
    monkeypatch.setattr(th.time, "monotonic", lambda: clock["t"])
    monkeypatch.setattr(th, "_last_tick", {"t": 0.0})
    load = {"now": 0.0}
    monkeypatch.setattr(th, "others_load", lambda cores: load["now"])
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    seen = []
    try:
        set_automatic(2)
        th.tick()  # outside a block: nothing
        seen.append(torch.get_num_threads())
        with for_work(EVAL):
            seen.append(torch.get_num_threads())  # idle at the start: 2
            load["now"] = 1.0  # another process takes a core
            th.tick()  # the first tick: re-chosen
            seen.append(torch.get_num_threads())
            load["now"] = 0.0
            clock["t"] += th.RECHECK_SECONDS / 2
            th.tick()  # too soon: unchanged
            seen.append(torch.get_num_threads())
            clock["t"] += th.RECHECK_SECONDS
            th.tick()  # idle again
            seen.append(torch.get_num_threads())
            set_automatic(None)
            load["now"] = 1.0
            clock["t"] += th.RECHECK_SECONDS * 2
            th.tick()  # no automatic choice: nothing
            seen.append(torch.get_num_threads())
        assert seen == [1, 2, 1, 1, 2, 2]
    finally:
        set_automatic(None)
        torch.set_num_threads(before)
