r"""Tuned studies: every loss gets the same number of tuning trials before it is judged.

Protocol (issue 13; Lucic et al. 2018, Dodge et al. 2019):

1. For every (dataset, loss) an Optuna study (ask-and-tell) proposes ``[tune].trials``
   settings from the loss's search space (:mod:`losslab.study.space`); trial 0 is always
   the defaults the config gives (the paper's, unless overridden). ``random`` (the
   default, what tuning curves assume: independent draws) and ``qmc`` (scrambled Sobol)
   ask every trial at once; ``tpe`` asks ``[tune].batch`` at a time and learns from the
   values told so far.
2. A trial trains on ``search_seeds`` seeds that no final member uses
   (:data:`~losslab.study.space.SEARCH_SEED_BASE` + s). Every trial of every loss is a
   member like any other, so a round's trials train together as ensembles; its value is
   the mean of ``metric`` over its seeds (NaN if any of them diverged or failed).
3. The best trial of each loss (ties: the lower trial number, so the defaults win a tie)
   and the defaults are retrained on the study's ``seeds`` (fresh data, initial weights
   and noise: no winner's curse), and only these final members are ranked, at defaults
   and tuned, in one run.

Member indices are fixed by the plan, not by the order things finish, so ``--resume``
skips whatever the store holds and asks the samplers the same questions again.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from losslab.data.registry import dataset_label
from losslab.losses import Search, get_loss
from losslab.metrics.baselines import SCORED
from losslab.metrics.direction import DATASET_SEP, direction
from losslab.study.config import LossEntry, StudyConfig
from losslab.study.planner import index_bases, member
from losslab.study.space import SEARCH_SEED_BASE, defaults, loss_space, tune_metric

# members -> {index: {"status": str, "metrics": {name: float}}} for every member asked
TrainMembers = Callable[[list[Any], str], dict[int, dict[str, Any]]]


@dataclass
class Trial:
    number: int
    params: dict[str, Any]
    indices: list[int]
    seeds: list[int]
    value: float = math.nan
    optuna_trial: Any = None


@dataclass
class LossTuning:
    """The tuning of one (dataset, loss): its space, its trials and the chosen setting."""

    dataset: int
    entry: LossEntry
    space: dict[str, Search]
    defaults: dict[str, Any]
    study: Any  # the Optuna study
    trials: list[Trial] = field(default_factory=list)
    metric: str = "w1"  # what trials are judged on; its direction is the metric's own

    @property
    def best(self) -> Trial:
        """The best trial by value (direction of the metric); ties and all-NaN: the lowest
        trial number, so trial 0 (the defaults) when nothing beats it."""
        sign = -1.0 if direction(self.metric) == "max" else 1.0
        finite = [t for t in self.trials if math.isfinite(t.value)]
        if not finite:
            return self.trials[0]
        return min(finite, key=lambda t: (sign * t.value, t.number))


def _sampler(name: str, seed: int) -> Any:
    import optuna

    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "qmc":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.samplers.QMCSampler(qmc_type="sobol", scramble=True, seed=seed)
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=4, multivariate=True)


def _suggest(trial: Any, name: str, search: Search, integer: bool) -> Any:
    if search.choices is not None:
        return trial.suggest_categorical(name, list(search.choices))
    if integer:
        return trial.suggest_int(name, int(search.low), int(search.high), log=search.log)
    return trial.suggest_float(name, search.low, search.high, log=search.log)


def _off_axis(search: Search, value: Any) -> bool:
    """A trial-0 value a log axis cannot hold (0: weight decay off, the study's default):
    trial 0 takes it as given and Optuna is not told (it cannot represent it)."""
    return search.choices is None and search.log and float(value) <= 0


def _integer(entry: LossEntry, knob: str) -> bool:
    hp = get_loss(entry.name).card.hyperparameters.get(knob)
    return knob == "n_critic" or bool(hp is not None and hp.integer)


def sampler_seed(config: StudyConfig, dataset: int, loss: int) -> int:
    """The Optuna sampler's seed for one (dataset, loss): fixed by the study seed."""
    ss = np.random.SeedSequence([config.study.seed, dataset, loss, 0x7E5])
    return int(ss.generate_state(1)[0])


def plan_tuning(config: StudyConfig) -> list[LossTuning]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    metric = tune_metric(config)
    minimize = direction(metric) != "max"
    out = []
    for d in range(len(config.datasets)):
        for l_idx, entry in enumerate(config.losses):
            space = loss_space(config, entry)
            start = {k: v for k, v in defaults(config, entry).items() if k in space}
            study = optuna.create_study(
                direction="minimize" if minimize else "maximize",
                sampler=_sampler(config.tune.sampler, sampler_seed(config, d, l_idx)),
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                study.enqueue_trial(
                    {k: v for k, v in start.items() if not _off_axis(space[k], v)},
                    skip_if_exists=False,
                )
            out.append(LossTuning(d, entry, space, start, study, metric=metric))
    return out


def ask_trials(tuning: LossTuning, config: StudyConfig, position: int, count: int) -> list[Trial]:
    """Ask ``count`` more trials of one loss; ``position`` = d * L + l."""
    base, _ = index_bases(config)
    ss = config.tune.search_seeds
    new = []
    for _ in range(count):
        number = len(tuning.trials)
        if number >= config.tune.trials:
            break
        ot = tuning.study.ask()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # optuna warns when QMC falls back on categoricals
            params = {
                k: tuning.defaults[k] if number == 0 and _off_axis(s, tuning.defaults[k])
                else _suggest(ot, k, s, _integer(tuning.entry, k))
                for k, s in tuning.space.items()
            }
        first = base + (position * config.tune.trials + number) * ss
        trial = Trial(
            number, params, list(range(first, first + ss)),
            [SEARCH_SEED_BASE + j for j in range(ss)], optuna_trial=ot,
        )
        tuning.trials.append(trial)
        new.append(trial)
    return new


def _value(results: dict[int, dict[str, Any]], trial: Trial, metric: str) -> float:
    values = []
    for i in trial.indices:
        r = results.get(i, {})
        v = r.get("metrics", {}).get(metric, math.nan) if r.get("status") in SCORED else math.nan
        values.append(float(v))
    return float(np.mean(values)) if values and all(map(math.isfinite, values)) else math.nan


def run_tuning(
    config: StudyConfig, train_members: TrainMembers
) -> tuple[list[LossTuning], list[Any]]:
    """Run the trials, round by round, then plan the final members.

    ``train_members(members, phase)`` trains (or finds in the store) the given members
    and returns their status and final metrics. Returns every loss's tuning and the final
    members (defaults on the study's seeds, then each loss's best setting where it differs).
    """
    from optuna.trial import TrialState

    tunings = plan_tuning(config)
    per_round = (
        config.tune.trials if config.tune.sampler in ("random", "qmc") else config.tune.batch
    )
    rounds = 0
    while any(len(t.trials) < config.tune.trials for t in tunings):
        asked = [(t, ask_trials(t, config, p, per_round)) for p, t in enumerate(tunings)]
        members = [
            member(config, t.entry, seed, index, trial.params)
            for t, trials in asked for trial in trials
            for index, seed in zip(trial.indices, trial.seeds, strict=True)
        ]
        rounds += 1
        label = "trials" if per_round >= config.tune.trials else f"trials, round {rounds}"
        results = train_members(members, label)
        for t, trials in asked:
            for trial in trials:
                trial.value = _value(results, trial, t.metric)
                if math.isfinite(trial.value):
                    t.study.tell(trial.optuna_trial, trial.value)
                else:
                    t.study.tell(trial.optuna_trial, state=TrialState.FAIL)
    return tunings, final_members(config, tunings)


def final_members(config: StudyConfig, tunings: list[LossTuning]) -> list[Any]:
    """Defaults on the study's seeds (indices as an untuned study has them), then each
    loss's best setting where it is not the defaults."""
    _, tuned_base = index_bases(config)
    seeds = config.study.seeds
    out = []
    for p, t in enumerate(tunings):
        for s in range(seeds):
            out.append(member(config, t.entry, s, p * seeds + s))
    for p, t in enumerate(tunings):
        best = t.best
        if best.number != 0:
            for s in range(seeds):
                out.append(member(config, t.entry, s, tuned_base + p * seeds + s, best.params))
    return out


def tuning_record(config: StudyConfig, tunings: list[LossTuning]) -> dict[str, Any]:
    """What the store keeps of the tuning (summary.json's ``tuning``, less the curve,
    which the report computes): per loss its space, trials, defaults and best params."""
    multi = len(config.datasets) > 1
    out: dict[str, Any] = {"metric": tunings[0].metric if tunings else tune_metric(config),
                           "sampler": config.tune.sampler, "search_seeds": config.tune.search_seeds,
                           "trials_per_loss": config.tune.trials, "losses": {}}
    for t in tunings:
        key = t.entry.display
        if multi:
            key = f"{key}{DATASET_SEP}{dataset_label(config.datasets[t.dataset])}"
        out["losses"][key] = {
            "loss": t.entry.display,
            "dataset": dataset_label(config.datasets[t.dataset]),
            "space": {k: s.as_dict() for k, s in t.space.items()},
            "default_params": t.defaults,
            "trials": [
                {"number": tr.number, "params": tr.params, "value": tr.value,
                 "seeds": tr.seeds, "members": tr.indices}
                for tr in t.trials
            ],
            "best_trial": t.best.number,
            "best_params": t.best.params,
        }
    return out
