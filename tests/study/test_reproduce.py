"""`losslab reproduce`: ours beside the paper's, with the budget stated."""

import math

import numpy as np
import pytest

from losslab.cli import build_parser, main
from losslab.study.reproduce import REPRODUCTIONS, compare_rows, format_table
from losslab.study.reproduce_probe import PUBLISHED, probe_ages, shape_rows, shape_verdict

ANCHORS = ("pacgan-ring", "pacgan-grid", "arjovsky-bottou-vanishing")


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
        ["reproduce", "pacgan-ring", "--steps", "3", "--eval-every", "1", "--seeds", "2",
         "--out", str(out), "--quiet"]
    )
    text = capsys.readouterr().out
    assert code == 0
    assert "budget: 3 generator steps of the paper's 400,000" in text
    for metric, paper in (("modes", "6.3"), ("high_quality", "98.2"), ("reverse_kl", "0.45")):
        line = next(line for line in text.splitlines() if line.startswith(metric))
        assert paper in line
    assert (out / "summary.json").exists() and (out / "reproduction.txt").exists()
    assert text.rstrip().endswith("recorded converged result: docs/reproductions.md#pacgan-ring")
    # the plateau curve: every checkpoint (0, 1, 2, 3) in the table, a verdict per metric
    lines = text.splitlines()
    at = lines.index("metrics at the checkpoints (mean +- SE over seeds; high_quality in %):")
    assert [ln.split()[0] for ln in lines[at + 2:at + 6]] == ["0", "1", "2", "3"]
    for metric in ("modes", "high_quality", "reverse_kl"):
        assert any(ln.startswith(f"  {metric}") and "from steps 2-2 to 3-3" in ln for ln in lines)
    assert (out / "figures" / "plateau.png").stat().st_size > 10_000


def test_unknown_reproduction_is_bad_input(capsys):
    assert main(["reproduce", "pacgan-moon"]) == 2
    assert "pacgan-ring" in capsys.readouterr().err


def test_list_names_every_reproduction_with_its_anchor(capsys):
    assert main(["reproduce", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(REPRODUCTIONS) == len(ANCHORS)
    for name, line in zip(ANCHORS, lines, strict=True):
        assert line.startswith(name) and f"docs/reproductions.md#{name}" in line
    assert "Arjovsky & Bottou 2017" in lines[2] and "4,000 discriminator iterations" in lines[2]


def test_reproduce_without_a_name_or_list_is_one_line_bad_input(capsys):
    assert main(["reproduce"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--list" in err and "arjovsky-bottou-vanishing" in err


def test_help_teaches_every_reproduction():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    text = sub.choices["reproduce"].format_help()
    for name in ANCHORS:
        assert name in text
    assert "--list" in text


def test_probe_options_do_not_apply_to_a_study_reproduction(tmp_path, capsys):
    argv = ["reproduce", "pacgan-ring", "--d-iters", "5", "--out", str(tmp_path / "x")]
    assert main(argv) == 2
    assert "--d-iters" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()  # refused before anything is written


def test_vanishing_reproduction_runs_the_probe_and_prints_the_published_shape(tmp_path, capsys):
    out = tmp_path / "ab"
    argv = ["reproduce", "arjovsky-bottou-vanishing", "--steps", "5", "--d-iters", "20",
            "--seeds", "2", "--out", str(out), "--quiet"]  # fmt: skip
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert (out / "figures" / "probe_vanishing.png").stat().st_size > 0
    assert (out / "summary.json").exists() and (out / "arjovsky-bottou-vanishing.toml").exists()
    assert (out / "reproduction.txt").read_text() == text
    assert "substitute:" in text
    for shape in PUBLISHED.values():
        assert shape in text
    assert text.rstrip().endswith(
        "recorded converged result: docs/reproductions.md#arjovsky-bottou-vanishing"
    )
    assert probe_ages(5) == [0, 2, 5] and probe_ages(2500) == [100, 1000, 2500]
    rows = [line.split() for line in text.splitlines() if line.split()[:1] in (["0"], ["5"])]
    assert [r[0] for r in rows] == ["0", "0", "5", "5"]  # both costs per age
    assert rows[0][1] == "minimax" and rows[1][1] == "-log"


def _results(curves: dict[str, np.ndarray]) -> list[dict]:
    """The probe summary's per-(age, cost) entries for hand-made curves [records, seeds]."""
    return [
        {
            "generator_steps": 100,
            "cost": cost,
            "start": list(curve[0]),
            "end": list(curve[-1]),
            "orders_fallen": list(np.log10(curve.max(0) / curve[-1])),
        }
        for cost, curve in curves.items()
    ]


def test_shape_verdict_on_hand_made_curves():
    t = np.arange(400)[:, None]
    # rises for 10 records to 1, then falls 5 orders (seed 2: 4 orders) to the last record
    falling = np.where(t < 10, 0.1 + 0.09 * t, 10.0 ** (-np.array([5.0, 4.0]) * (t - 10) / 389))
    flat = np.full((400, 2), 3.0) * np.array([1.0, 2.0])
    orders = [np.log10(1.0 / 1e-5), np.log10(1.0 / 1e-4)]  # by hand: 5 and 4

    rows = shape_rows(_results({"minimax-bce": falling, "nonsaturating-bce": flat}))
    assert rows[0]["orders"][0] == pytest.approx(np.mean(orders))
    assert rows[0]["orders"][1] == pytest.approx(np.std(orders, ddof=1) / math.sqrt(2))
    assert rows[0]["peak"] == pytest.approx(1.0) and rows[0]["last"] == pytest.approx(10**-4.5)
    assert rows[1]["peak"] == pytest.approx(3 * math.sqrt(2)) and rows[1]["orders"][0] == 0

    assert shape_verdict("minimax-bce", _results({"minimax-bce": falling}))[0] is True
    matches, line = shape_verdict("minimax-bce", _results({"minimax-bce": flat}))
    assert matches is False and line.startswith("does not match") and ">= 2 orders" in line
    assert shape_verdict("nonsaturating-bce", _results({"nonsaturating-bce": flat}))[0] is True
    matches, line = shape_verdict("nonsaturating-bce", _results({"nonsaturating-bce": falling}))
    assert matches is False and "< 1 order" in line


def test_resume_reaches_the_study_runner_and_is_refused_for_the_probe(tmp_path, monkeypatch,
                                                                      capsys):
    """--resume continues a killed PacGAN run (the runner's own kill/resume, tested in
    tests/study/test_kill_resume.py); the probe reproduction has no checkpoints to resume."""
    import losslab.study.runner as runner

    seen = {}

    def fake_run_study(config_path, **kwargs):
        seen.update(kwargs)
        raise SystemExit(0)

    monkeypatch.setattr(runner, "run_study", fake_run_study)
    try:
        main(["reproduce", "pacgan-grid", "--resume", "--out", str(tmp_path / "g"), "--quiet"])
    except SystemExit:
        pass
    assert seen["resume"] is True and seen["overwrite"] is False
    assert main(["reproduce", "arjovsky-bottou-vanishing", "--resume", "--out",
                 str(tmp_path / "ab")]) == 2
    assert "--resume: does not apply" in capsys.readouterr().err


def test_so_far_reads_an_unfinished_runs_checkpoint_and_trains_nothing(tmp_path, capsys):
    """A hand-made checkpoint of 2 seeds at 9 checkpoints: the table's rows are the seeds'
    mean and SE computed here, the verdicts judge the last two quarters, and nothing in
    the run folder but the so-far figure is written."""
    import torch

    out = tmp_path / "pacgan-ring"
    (out / "checkpoints").mkdir(parents=True)
    (out / "pacgan-ring.toml").write_text(
        REPRODUCTIONS["pacgan-ring"].config_text(100_000, 2500))
    steps = [2500 * k for k in range(9)]
    modes = [[min(8, k) for k in range(9)], [min(8, k + 1) for k in range(9)]]
    values = [[{"modes": float(modes[s][c]), "high_quality": 0.1 * c, "reverse_kl": 1.0}
               for s in range(2)] for c in range(9)]
    torch.save({"step": 20_480, "evaluator": {"steps": steps, "values": values, "arrays": []}},
               out / "checkpoints" / "ensemble-0.pt")
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    assert main(["reproduce", "pacgan-ring", "--out", str(out), "--so-far"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("pacgan-ring so far: 20,480 of 100,000 generator steps trained, "
                           "2 seeds")
    last = next(ln for ln in text.splitlines() if ln.split()[:1] == ["20,000"])
    # by hand: modes 8 and 8 -> 8 +- 0; high quality 0.8 -> 80 %; reverse KL 1
    assert last.split() == ["20,000", "8", "+-", "0", "80", "+-", "0", "1", "+-", "0"]
    # quarters of 2, Q3 = 12,500-15,000 and Q4 = 17,500-20,000: seed 0's modes 5.5 -> 7.5,
    # seed 1's 6.5 -> 8: d = 2 and 1.5, mean 1.75, SE 0.25, beyond 2 SE and the paper's 1.0
    line = next(ln for ln in text.splitlines() if ln.startswith("  modes"))
    assert line.split()[1:4] == ["+1.75", "+-", "0.25"]
    assert line.endswith("from steps 12,500-15,000 to 17,500-20,000: still moving")
    kl = next(ln for ln in text.splitlines() if ln.startswith("  reverse_kl"))
    assert kl.endswith("plateaued, within 2 SE of no change")  # flat: change 0, SE 0
    assert (out / "figures" / "plateau-so-far.png").stat().st_size > 10_000
    after = {p: p.stat().st_mtime_ns for p in out.rglob("*") if "figures" not in p.parts}
    assert after == {p: t for p, t in before.items() if "figures" not in p.parts}


def test_so_far_refuses_what_it_cannot_do_in_one_line(tmp_path, capsys):
    (tmp_path / "r").mkdir()
    for argv, says in (
        (["pacgan-ring", "--out", str(tmp_path / "r"), "--so-far"], "no checkpoint"),
        (["pacgan-ring", "--out", str(tmp_path / "r"), "--so-far", "--steps", "9"], "only --out"),
        (["arjovsky-bottou-vanishing", "--so-far"], "--so-far: does not apply"),
    ):
        assert main(["reproduce", *argv]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and says in err, err
