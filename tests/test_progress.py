"""Progress off a terminal: timed plain lines (members done, steps, rate, ETA), a tqdm bar on
a terminal, nothing with --quiet; a study run through a pipe prints them on stderr."""

import io
import os
import re
import subprocess
import sys

from losslab.progress import LineProgress, progress_bar, resumed


class Clock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


def test_lines_every_interval_with_rate_and_eta_from_the_average():
    clock, out = Clock(), io.StringIO()
    bar = LineProgress(1000, "train", "step", every=10, stream=out, clock=clock)
    bar.set_postfix_str("0/4 members")
    clock.t += 4
    bar.update(100)  # 4 s after the start: under the interval, no line
    assert out.getvalue() == ""
    clock.t += 6
    bar.update(150)  # 10 s: 250 steps, 25 steps/s, 750 left -> 30 s
    bar.set_postfix_str("1/4 members")
    clock.t += 3
    bar.update(50)  # 3 s after the last line: none
    lines = out.getvalue().splitlines()
    assert lines == [
        "train: 250/1,000 steps (25%), 25 steps/s, 10 s elapsed, ETA 30 s, 0/4 members"
    ]
    clock.t += 107  # 120 s in, 300 done -> 2.5/s, 700 left -> 280 s
    bar.update(0)
    assert out.getvalue().splitlines()[-1] == (
        "train: 300/1,000 steps (30%), 2.5 steps/s, 2 min 00 s elapsed, ETA 4 min 40 s, "
        "1/4 members"
    )
    bar.update(700)
    bar.close()
    bar.close()  # once
    last = out.getvalue().splitlines()
    assert len(last) == 3 and last[-1].startswith("train: 1,000/1,000 steps (100%)")
    assert "ETA" not in last[-1]


def test_a_resumed_runs_earlier_steps_count_toward_the_total_not_the_rate():
    # the PacGAN run resumed at step 5,120 of 100,000 that printed "169 steps/s, ETA 9 min"
    clock, out = Clock(), io.StringIO()
    bar = LineProgress(100_000, "pacgan-ring", "step", every=10, stream=out, clock=clock)
    resumed(bar.update, 5_120)  # the trainer's call, given the bar's update
    for _ in range(40):
        clock.t += 0.25
        bar.update(1)  # 4 steps/s in this process
    # by hand: 40 steps in 10 s -> 4/s; 100,000 - 5,160 = 94,840 left / 4 = 23,710 s
    assert out.getvalue().splitlines() == [
        "pacgan-ring: 5,160/100,000 steps (5%), 4 steps/s, 10 s elapsed, ETA 6 h 35 min"
    ]
    seen = []
    resumed(seen.append, 7)  # any other callable just gets the count
    assert seen == [7]


def test_tqdm_leaves_resumed_work_out_of_its_rate_too():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    with progress_bar(100_000, "x", "step", stream=Tty()) as bar:
        resumed(bar.update, 5_120)
        assert (bar.n, bar.initial) == (5_120, 5_120)
        bar.update(3)
        assert bar.n == 5_123 and bar.format_dict["initial"] == 5_120


def test_terminal_gets_tqdm_pipe_gets_lines_quiet_gets_nothing():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    from tqdm import tqdm

    with progress_bar(10, "x", "step", stream=Tty()) as bar:
        assert isinstance(bar, tqdm)
    pipe = io.StringIO()
    with progress_bar(10, "x", "step", stream=pipe) as bar:
        bar.update(10)
    assert isinstance(bar, LineProgress) and pipe.getvalue().startswith("x: 10/10 steps")
    quiet = io.StringIO()
    with progress_bar(10, "x", "step", enabled=False, stream=quiet) as bar:
        bar.update(10)
    assert quiet.getvalue() == ""


CONFIG = """
[study]
name = "piped"
seeds = 2

[data]
name = "gaussian"

[model]
latent_dim = 1
generator = { hidden = [8] }
discriminator = { hidden = [8] }

[train]
steps = 40
batch_size = 16
eval_every = 20
eval_samples = 200

[[losses]]
name = "nonsaturating-bce"

[[losses]]
name = "lsgan"
"""


def test_a_study_through_a_pipe_prints_progress_lines(tmp_path):
    config = tmp_path / "piped.toml"
    config.write_text(CONFIG)
    env = {**os.environ, "LOSSLAB_PROGRESS_SECONDS": "0", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "losslab.cli", "run", str(config), "--out",
         str(tmp_path / "out"), "--db", str(tmp_path / "s.db")],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    lines = [ln for ln in done.stderr.splitlines() if ln.startswith("piped: ")]  # the study
    assert len(lines) > 2, done.stderr
    # the two losses train as one ensemble of 4 members: 40 steps, then all 4 stored
    assert re.match(r"piped: 40/40 steps \(100%\), .* elapsed, 4/4 members$", lines[-1])
    assert re.search(r"ETA \d+ s, 0/4 members$", lines[0])
    assert "\r" not in done.stderr  # no bar redrawn with carriage returns into a log
