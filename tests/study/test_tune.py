"""Tuned studies: per-member knobs reproduce solo runs, the protocol keeps trials and final
seeds apart with the defaults as trial 0, bad [tune] input is one line, and a tuned run is
deterministic and reported at defaults and tuned."""

import json
import math

import numpy as np
import pytest

from losslab.cli import main
from losslab.errors import BadInput
from losslab.losses import get_loss
from losslab.study.config import validate_config
from losslab.study.space import SEARCH_SEED_BASE, loss_space
from losslab.study.tune import LossTuning, Trial, plan_tuning, run_tuning
from losslab.train.adversarial import AdversarialMember, train_adversarial
from losslab.train.optim import OptimizerSettings
from losslab.train.supervised import SupervisedMember, SupervisedTask, train_supervised

from ..train.test_adversarial_trainer import task as adversarial_task


def _adv(index, seed, gp_weight, clip_loss=False):
    loss = "wgan-clip" if clip_loss else "wgan-gp"
    spec = get_loss(loss)
    knob = {"clip": gp_weight} if clip_loss else {"gp_weight": gp_weight}
    return AdversarialMember(
        index=index, label=loss, loss=loss, hparams=spec.hyperparameters(knob), seed=seed,
        n_critic=2, optimizer=OptimizerSettings("adam", 1e-3, (0.5, 0.9)),
    )


@pytest.mark.parametrize("clip_loss", [False, True], ids=["gp_weight", "clip"])
def test_members_with_different_knob_values_reproduce_their_solo_runs(clip_loss):
    values = (0.1, 10.0) if not clip_loss else (0.01, 0.5)
    members = [_adv(0, 0, values[0], clip_loss), _adv(1, 1, values[1], clip_loss),
               _adv(2, 2, values[0], clip_loss)]
    # 70 steps: past one chunk of draws (train.adversarial.CHUNK = 64)
    together = train_adversarial(adversarial_task(members, steps=70))
    for i, m in enumerate(members):
        alone = train_adversarial(adversarial_task([m], steps=70))[0]
        assert together[i].status == alone.status == "ok"
        for name in ("d_loss", "g_loss", "d_penalty", "g_grad_norm"):
            np.testing.assert_allclose(
                together[i].series[name], alone.series[name], rtol=1e-5, atol=1e-5
            )
        np.testing.assert_allclose(together[i].samples, alone.samples, rtol=1e-5, atol=1e-5)


def test_supervised_members_with_different_epsilon_reproduce_their_solo_runs():
    from losslab.data import make_dataset

    spec = get_loss("label-smoothing-ce")
    opt = OptimizerSettings("adam", 1e-2)
    members = [
        SupervisedMember(index=i, label="ls", loss="label-smoothing-ce",
                         hparams=spec.hyperparameters({"epsilon": eps}), seed=i, optimizer=opt)
        for i, eps in enumerate((0.0, 0.3))
    ]

    def task(ms):
        return SupervisedTask(
            study_seed=3, dataset=make_dataset({"name": "blobs"}),
            batch_size=32, steps=30, eval_every=15, record_every=1, members=tuple(ms),
            hidden=(16,), activation="relu",
        )

    together = train_supervised(task(members))
    for i, m in enumerate(members):
        alone = train_supervised(task([m]))[0]
        for name, value in alone.metrics.items():
            assert together[i].metrics[name] == pytest.approx(value, rel=1e-5, abs=1e-6)


BASE = {
    "study": {"name": "t", "seeds": 3, "seed": 5},
    "data": {"name": "gaussian", "mean": 4.0, "std": 1.25},
    "model": {"latent_dim": 2, "generator": {"hidden": [8]}, "discriminator": {"hidden": [8]}},
    "train": {"steps": 20, "batch_size": 16, "eval_every": 10, "eval_samples": 200},
    "losses": [{"name": "nonsaturating-bce"}, {"name": "wgan-gp", "gp_weight": 10.0}],
}


def config(**tune):
    return validate_config({**BASE, "tune": {"trials": 5, **tune}})


def test_space_has_card_ranges_optimizer_and_overrides():
    c = config(ranges={"wgan-gp": {"gp_weight": {"low": 0.1, "high": 1.0, "log": True},
                                   "beta1": False}})
    gp = loss_space(c, c.losses[1])
    # the override is widened to contain the configured value 10 (trial 0 must be in range)
    assert (gp["gp_weight"].low, gp["gp_weight"].high, gp["gp_weight"].log) == (0.1, 10.0, True)
    assert "beta1" not in gp
    assert gp["lr"].low == pytest.approx(1e-5) and gp["lr"].high == pytest.approx(1e-3)
    assert set(gp["n_critic"].choices) == {1, 2, 5}
    ns = loss_space(c, c.losses[0])
    assert "gp_weight" not in ns and ns["lr"].low == pytest.approx(2e-5)


SUPERVISED = {
    "study": {"name": "wd", "seeds": 2, "seed": 1},
    "data": {"name": "blobs"},
    "model": {"network": {"hidden": [8]}},
    "train": {"steps": 20, "batch_size": 16, "eval_every": 10},
    "losses": [{"name": "softmax-ce"}, {"name": "label-smoothing-ce"}],
}


def test_supervised_losses_search_decoupled_weight_decay_from_the_studys_own():
    c = validate_config({**SUPERVISED, "tune": {"trials": 6, "sampler": "random"}})
    space = loss_space(c, c.losses[0])
    wd = space["weight_decay"]
    assert (wd.low, wd.high, wd.log) == (1e-5, 1e-1, True)
    assert "weight_decay" not in loss_space(config(), config().losses[0])  # adversarial: no
    off = validate_config({**SUPERVISED, "tune": {"trials": 6, "weight_decay": []}})
    assert "weight_decay" not in loss_space(off, off.losses[0])

    def train(members, phase):
        return {m.index: {"status": "ok", "metrics": {"balanced_accuracy": 0.5}}
                for m in members}

    seen = []
    tunings, finals = run_tuning(c, lambda ms, ph: seen.extend(ms) or train(ms, ph))
    for t in tunings:
        assert t.trials[0].params["weight_decay"] == 0.0  # trial 0: the study's own, none
        drawn = [tr.params["weight_decay"] for tr in t.trials[1:]]
        assert all(1e-5 <= w <= 1e-1 for w in drawn) and len(set(drawn)) == 5
        for tr in t.trials:  # each trial's members train with its decay
            members = [m for m in seen if m.index in tr.indices]
            assert members and all(
                m.optimizer.weight_decay == tr.params["weight_decay"] for m in members
            )
    own = validate_config({**SUPERVISED, "optimizer": {"name": "adam", "lr": 1e-3,
                                                       "weight_decay": 0.01},
                           "tune": {"trials": 3}})
    assert plan_tuning(own)[0].defaults["weight_decay"] == 0.01


def test_trial_zero_is_the_defaults_and_trials_use_their_own_seeds():
    c = config(sampler="random", search_seeds=2)
    seen = {}

    def train(members, phase):
        seen[phase] = members
        return {m.index: {"status": "ok", "metrics": {"w1": 1.0 + m.optimizer.lr}}
                for m in members}

    tunings, finals = run_tuning(c, train)
    for t in tunings:
        assert t.trials[0].params == {k: t.defaults[k] for k in t.space}
        assert len(t.trials) == 5
        for trial in t.trials[1:]:
            for knob, value in trial.params.items():
                s = t.space[knob]
                if s.choices is not None:
                    assert value in s.choices
                else:
                    assert s.low <= value <= s.high
    trial_members = seen["trials"]
    assert len(trial_members) == 2 * 5 * 2
    assert {m.seed for m in trial_members} == {SEARCH_SEED_BASE, SEARCH_SEED_BASE + 1}
    final_seeds = {m.seed for m in finals}
    assert final_seeds == {0, 1, 2}
    indices = [m.index for m in trial_members] + [m.index for m in finals]
    assert len(indices) == len(set(indices))
    # the lowest lr wins (w1 = 1 + lr is minimised): every tuned final uses it
    for p, t in enumerate(tunings):
        best_lr = min(tr.params["lr"] for tr in t.trials)
        assert t.best.params["lr"] == best_lr
        tuned = [m for m in finals if m.index >= 6 + 2 * 5 * 2 and m.label == t.entry.display]
        assert len(tuned) == 3 and all(m.optimizer.lr == best_lr for m in tuned)
        assert [m.index for m in finals[p * 3:(p + 1) * 3]] == [p * 3, p * 3 + 1, p * 3 + 2]


def test_best_prefers_lower_trial_on_ties_and_ignores_nan():
    t = LossTuning(0, None, {}, {}, None, metric="w1")
    t.trials = [Trial(0, {}, [], [], 1.0), Trial(1, {}, [], [], math.nan),
                Trial(2, {}, [], [], 1.0)]
    assert t.best.number == 0
    t.trials.append(Trial(3, {}, [], [], 0.5))
    assert t.best.number == 3
    t.metric = "modes"  # higher is better
    assert t.best.number == 0
    t.trials = [Trial(0, {}, [], [], math.nan), Trial(1, {}, [], [], math.nan)]
    assert t.best.number == 0


@pytest.mark.parametrize("sampler", ["random", "qmc", "tpe"])
def test_samplers_ask_the_same_trials_again(sampler):
    """What --resume relies on: the same config and told values give the same trials."""

    def params(c):
        def train(members, phase):
            return {m.index: {"status": "ok", "metrics": {"w1": m.optimizer.lr * 1e3}}
                    for m in members}

        tunings, finals = run_tuning(c, train)
        return [[tr.params for tr in t.trials] for t in tunings], [m.index for m in finals]

    c = config(sampler=sampler, batch=2)
    assert params(c) == params(c)


@pytest.mark.parametrize(
    ("tune", "needle"),
    [
        ({"trials": -1}, "tune.trials = -1"),
        ({"sampler": "grid"}, "tune.sampler = 'grid'"),
        ({"ranges": {"wgan-gp": {"nope": False}}}, "tune.ranges.wgan-gp.nope"),
        ({"ranges": {"wgan-gp": {"gp_weight": {"low": 5, "high": 1}}}}, "empty or inverted"),
        ({"ranges": {"wgan-gp": {"gp_weight": {"low": 3, "high": 3}}}}, "empty or inverted"),
        ({"ranges": {"wgan-gp": {"gp_weight": {"low": 0, "high": 1, "log": True}}}},
         "log range needs low > 0"),
        ({"ranges": {"wgan-gp": {"gp_weight": {"low": -1, "high": 1}}}}, "must be >= 0"),
        ({"ranges": {"lsgan": {}}}, "tune.ranges.lsgan"),
        ({"metric": "accuracy"}, "tune.metric = 'accuracy'"),
        ({"search_seeds": 0}, "tune.search_seeds = 0"),
        ({"lr": [10.0, 0.1]}, "lr = [10.0, 0.1]"),
        ({"weight_decay": [0.1, 0.01]}, "weight_decay = [0.1, 0.01]"),
        ({"weight_decay": [-1.0, 0.01]}, "tune.weight_decay"),
        ({"ranges": {"wgan-gp": {"gp_weight": {"low": 1}}}}, "needs both low and high"),
    ],
)
def test_bad_tune_input_is_one_line_naming_the_field(tune, needle):
    with pytest.raises(BadInput) as exc:
        validate_config({**BASE, "tune": tune})
    assert needle in str(exc.value) and "\n" not in str(exc.value)


def test_plan_tuning_enqueues_the_defaults_for_every_loss():
    c = config()
    tunings = plan_tuning(c)
    assert [t.entry.name for t in tunings] == ["nonsaturating-bce", "wgan-gp"]
    assert tunings[1].defaults["gp_weight"] == 10.0 and tunings[1].defaults["n_critic"] == 5


TOML = """
[study]
name = "tuned"
seeds = 3

[data]
name = "gaussian"
mean = 4.0

[model]
latent_dim = 2
generator = { hidden = [8] }
discriminator = { hidden = [8] }

[train]
steps = 30
batch_size = 16
eval_every = 15
eval_samples = 200

[[losses]]
name = "nonsaturating-bce"

[[losses]]
name = "wgan-gp"
"""


def test_cli_tuned_run_reports_defaults_and_tuned_and_is_deterministic(tmp_path, capsys):
    path = tmp_path / "c.toml"
    path.write_text(TOML)
    runs = []
    for k in range(2):
        out = tmp_path / f"r{k}"
        assert main(["run", str(path), "--out", str(out), "--quiet", "--tune", "3"]) == 0
        runs.append(json.loads((out / "summary.json").read_text(), parse_constant=pytest.fail))
    assert "after 3 trials per loss" in capsys.readouterr().out
    a, b = runs
    assert [m["metrics"] for m in a["members"]] == [m["metrics"] for m in b["members"]]
    assert a["tuning"] == b["tuning"]
    stages = {m["stage"] for m in a["members"]}
    assert stages == {"trial", "final"}
    assert sum(m["stage"] == "trial" for m in a["members"]) == 2 * 3
    for m in a["members"]:
        assert m["cost"]["passes"] > 0 and m["cost"]["seconds"] >= 0
        if m["stage"] == "trial":
            assert m["seed"] >= SEARCH_SEED_BASE
    for loss in ("nonsaturating-bce", "wgan-gp"):
        t = a["tuning"][loss]
        assert len(t["trials"]) == 3 and [c["k"] for c in t["curve"]] == [1, 2, 3]
        assert set(t["best_params"]) == set(t["space"])
        values = [tr["value"] for tr in t["trials"]]
        # the curve's k = 1 point is the mean of the trial values (every trial finite here)
        if all(v is not None for v in values):
            assert t["curve"][0]["expected_best"] == pytest.approx(np.mean(values))
    assert {e["stage"] for e in a["ranking"]} == {"default", "tuned"}
    html = (tmp_path / "r0" / "report.html").read_text()
    assert "Rankings after tuning (3 trials per loss)" in html
    assert html.index("At a glance") < html.index("Study configuration")
    assert (tmp_path / "r0" / "figures" / "tuning_curves.png").stat().st_size > 0


def test_tuned_study_killed_during_the_trials_resumes_to_the_uninterrupted_result(
    tmp_path, monkeypatch
):
    import losslab.study.executor as executor
    import losslab.study.runner as runner
    from losslab.study.runner import run_study

    path = tmp_path / "c.toml"
    path.write_text(TOML.replace("[train]", "[train]\nmax_ensemble = 2"))
    whole = run_study(path, out=tmp_path / "whole", progress=False, tune=3).summary

    real_run = executor.run_in_process
    calls = []

    def killed_in_the_trials(tasks, progress=None):
        calls.append(len(tasks))
        for i, rows in enumerate(real_run(tasks, progress)):
            yield rows
            if len(calls) == 1 and i == 1:
                raise KeyboardInterrupt  # dies with two trial ensembles stored

    monkeypatch.setattr(runner, "run_in_process", killed_in_the_trials)
    out, db = tmp_path / "resumed", tmp_path / "store.db"
    with pytest.raises(KeyboardInterrupt):
        run_study(path, out=out, db=db, progress=False, tune=3)
    monkeypatch.setattr(runner, "run_in_process", real_run)
    resumed = run_study(path, out=out, db=db, resume=True, progress=False, tune=3).summary

    def key(summary):
        return sorted((m["index"], m["seed"], json.dumps(m["metrics"], sort_keys=True))
                      for m in summary["members"])

    assert key(resumed) == key(whole)
    assert resumed["tuning"] == whole["tuning"]
