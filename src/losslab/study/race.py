r"""Successive halving over candidates x seeds on the ensemble engine, within a time budget.

Successive halving (Jamieson & Talwalkar 2016; the inner loop of Hyperband, Li et al.
2018): every candidate trains for a few steps, the better half (by the held-out score
on the **validation** rows) trains again for more steps, and so on until at most
:data:`FINAL_MAX` finalists remain; the final round trains them on at least
:data:`~losslab.report.stats.MIN_PAIRS` seeds and scores them on the **test** rows,
which no earlier decision has seen. Each round trains from scratch, so the final
numbers are those of complete runs of the final length.

How the budget is kept. Round 0 (every candidate, 2 seeds) is sized with a prior
cost so that it takes about :data:`ROUND0_SHARE` of the budget, and timed. The cost
model of a round is

.. math::  t = k \cdot T \cdot (A + \textstyle\sum_m w_m) + e \cdot S

with ``T`` steps, ``S`` members of work units ``w_m`` (supervised: 1; adversarial:
one generator step plus ``n_critic`` discriminator steps, plus one per declared
penalty), a per-step overhead ``A`` and a per-member evaluation cost ``e`` measured
from our own held-out evaluation. ``k`` is re-estimated from every finished round, and
separately for each kind of ensemble (:func:`group_key`: a GAN's critic steps, an energy
model's Langevin steps and a diffusion model's sampler do not cost the same per unit, and
which kinds survive changes from round to round); a kind not timed yet uses the
race-wide ``k``. The clock is the caller's: the command line starts it at its process's
start, so interpreter start-up and imports are inside the budget, and at
:data:`OVERRUN` times the budget the race stops where it is (:class:`OutOfTime`): the
round that was training is reported unfinished and no loss is recommended. Generative races
give every screening round at least :data:`TRANSIENT_STEPS` steps, racing fewer
candidates where the budget cannot (see there).
The time left (the budget x :data:`TARGET_SHARE`, less what has been spent) is planned
so that steps never shrink from one round to the next: a screening round gets the most
steps ``T`` with which it *and every later round at* ``T`` *steps* still fit (later
rounds have half the candidates each, so the rungs cost less and less, as in successive
halving); the final round takes all that remains, at least the steps of the round
before: 3 seeds and as many steps as fit up
to the paradigm's preferred length, then more seeds (power for the paired tests) up
to a cap, then more steps up to a cap. With the caps reached the race ends early:
more would not change the evidence much.

Supervised members stop early (:class:`~losslab.train.supervised.BestCheckpoint`): their
own loss on the validation rows is evaluated every ``steps / 20`` steps (at least 10), a
member stops after :data:`PATIENCE` (5) evaluations without a lower one, and the
checkpoint with the lowest validation loss is the one scored -- on validation rows in
screening rounds, on test rows in the final round. A network that overfits a few hundred
rows is then judged at its best, not after it has memorised them.

The simple models of :mod:`losslab.study.baselines` are fitted on the final seeds'
training rows and scored on the same test rows; they run just before the final round is
sized (on as many seeds as it may have), so their time comes out of its share.

Members of different candidates with the same seed share data, splits, initial
weights and noise (:mod:`losslab.rng`), so the final comparison is paired by seed.
A schedule (steps and seeds per round) can be replayed exactly: the same data, seed
and schedule give the same numbers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch

from losslab.data.arrays import (
    RowsDataset,
    TableClassification,
    TableCounts,
    TableRegression,
    mixture_modes,
    split_rows,
)
from losslab.data.files import Table
from losslab.data.profile import Profile
from losslab.errors import BadInput
from losslab.losses import get_loss
from losslab.losses.penalties import declared_penalties
from losslab.metrics import sample_metrics
from losslab.report.stats import MIN_PAIRS, ranking
from losslab.study.candidates import Plan
from losslab.study.config import (
    LossEntry,
    ModelConfig,
    NetConfig,
    OptimizerConfig,
    StudyConfig,
    StudyMeta,
    TrainConfig,
)
from losslab.study.executor import run_task
from losslab.study.planner import plan

ETA = 2  # keep the better half each round
SEARCH_SETTINGS = 3  # settings per candidate in round 0: its defaults and 2 random draws
FINAL_MAX = 3  # at most this many finalists
SCREEN_SEEDS = 2  # seeds per candidate before the final round
ROUND0_SHARE = 0.15
TARGET_SHARE = 0.92
RESERVE_S = 1.5  # for the report after the race
EVAL_SAMPLES = 500  # generated samples per member, scored against held-out rows
HELDOUT_ROWS = 2000  # at most this many held-out rows per score
HIDDEN = 64
MAX_GROWTH = 32  # steps grow at most this much per round: a guard against a bad estimate
# (the hard limit, OutOfTime, stops a race that overruns anyway)
EARLY_STOP_EVALS = 20  # validation evaluations per supervised run (every steps/20 steps,
EARLY_STOP_MIN_EVERY = 10  # at least 10 apart)
PATIENCE = 5  # evaluations without a lower validation loss before a member stops
PLAN_SAFETY = 0.75  # screening rounds plan on this share of the time left: the cost
# model is refitted after each round, and a round that overruns would starve the final
TRANSIENT_STEPS = 250
"""Generative round 0 trains at least this many steps (a quarter of the 1,000 a
generative recommendation needs): adversarial, energy and diffusion losses spend their
first steps in a start-up transient where a ranking says more about speed than about the
loss, and a GAN cut after 30 steps never reaches the final. Where the budget cannot give
every candidate that (every round that cuts candidates, at this length, must fit), round
0 first drops the search (defaults only), then races fewer candidates: the first of each
family in the catalogue's order (each family's founding loss first), taken round-robin
across the families, as many as fit and at least :data:`FINAL_MAX` (then round 0 cuts
no one and only times the race); the output says which were left out."""


@dataclass(frozen=True)
class Settings:
    """Per paradigm: step bounds, seed cap and the prior cost (seconds per work unit per
    step at 16 input columns; measured on a 2-core machine with one torch thread).

    ``min_final_steps``: the shortest final round whose finalists a recommendation may
    name (:mod:`losslab.study.recommendation` says "no recommendation: the race was too
    short" below it). Supervised: 300 steps (at a batch of 64, about 70 passes over a few
    hundred training rows, past the first fast drop of the validation loss); generative:
    1,000 steps (adversarial and energy losses spend their first few hundred steps in a
    start-up transient, where a ranking says more about speed than about the loss)."""

    min_steps: int
    preferred_steps: int
    max_steps: int
    max_seeds: int
    overhead_units: float
    prior_unit_s: float
    prior_eval_s: float  # per member
    eval_factor: float  # trainer-side evaluation cost per member / our own
    min_final_steps: int = 300


ADVERSARIAL = Settings(30, 3000, 20000, 10, 4.0, 1.2e-3, 0.3, 3.0, 1000)
SUPERVISED = Settings(30, 1500, 4000, 20, 10.0, 2.0e-4, 0.01, 1.0, 300)
OVERRUN = 1.2
"""A race that took more than this times its budget (start-up included) names no winner;
at this time (less :data:`RESERVE_S` for the report) the race stops where it is."""


class OutOfTime(BaseException):
    """Raised from the trainers' step callback when a budgeted race reaches its hard limit
    (:data:`OVERRUN` x budget). A ``BaseException``, so the per-member crash handling of
    :func:`~losslab.study.executor.run_task` does not record it as a failed member."""


@dataclass
class Round:
    index: int
    steps: int
    seeds: int
    candidates: list[str]
    final: bool
    split: str  # "validation" or "test"
    members: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    kept: list[str] = field(default_factory=list)
    out_of_time: bool = False  # stopped at the hard limit: its unfinished members unscored


@dataclass
class RaceResult:
    rounds: list[Round]
    notes: list[str]
    seconds: float
    # per candidate: the settings round 0 tried ({"params", "value"}) and the one it kept
    search: dict[str, dict[str, Any]] = field(default_factory=dict)
    # the simple models (:mod:`losslab.study.baselines`) on the final round's seeds and
    # test rows, one member dict per (baseline, seed)
    baselines: list[dict[str, Any]] = field(default_factory=list)
    min_final_steps: int = 0  # see :class:`Settings`
    replayed: bool = False  # a --schedule was followed (the budget sized nothing)
    # for the report's figures (not in summary.json): the final round's validation-loss
    # curves per finalist (supervised: (checkpoint steps, [seeds x checkpoints])) and its
    # seed-0 samples with the held-out rows they were scored against (generative)
    curves: dict[str, tuple[list[int], list[list[float]]]] = field(default_factory=dict)
    samples: dict[str, Any] = field(default_factory=dict)
    reference: Any = None
    # regression: seed 0's (test targets, test predictions) per finalist
    predictions: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    @property
    def schedule(self) -> list[tuple[int, int]]:
        return [(r.steps, r.seeds) for r in self.rounds]


def counts(n: int) -> list[int]:
    """Candidates per round: ``n``, then the better half, ... down to :data:`FINAL_MAX`
    (round 0 is always run: with at most ``FINAL_MAX`` candidates it only times the race)."""
    out = [n]
    while out[-1] > FINAL_MAX:
        out.append(max(math.ceil(out[-1] / ETA), FINAL_MAX))
    if len(out) == 1:
        out.append(n)
    return out


def unit_weight(loss: str) -> float:
    """Work units of one member per training step (see the module docstring)."""
    spec = get_loss(loss)
    if spec.family in ("classification", "regression"):
        return 1.0
    if spec.family == "adversarial":
        n_critic = int(spec.training.get("n_critic", 1))
        penalties = len(declared_penalties(spec.training))
        return 1.0 + n_critic * (1.0 + penalties)  # each penalty about one more critic pass
    knobs = spec.hyperparameters()
    method = spec.training.get("method")
    if method == "nce":  # the noise batch is noise_ratio times the data batch
        return 1.0 + float(knobs["noise_ratio"])
    if method == "ssm":  # a Jacobian-vector product and a backward through it per projection
        return 1.0 + 2.0 * float(knobs["n_projections"])
    return 1.0 + float(knobs.get("langevin_steps", 0))  # an MCMC step costs a network pass


def fixed_units(loss: str) -> float:
    """Work units of one member's two evaluations (the trainer samples at step 0 and at
    the end): the sampler's network passes over ``EVAL_SAMPLES`` samples."""
    spec = get_loss(loss)
    if spec.family in ("classification", "regression", "adversarial"):
        return 0.0
    k = spec.hyperparameters()
    passes = (
        k.get("eval_steps")
        or k.get("timesteps")
        or k.get("sampling_steps", 0) * (2 if k.get("sampler") == "heun" else 1)
        or k.get("steps_per_level", 0) * k.get("levels", 1)
    )
    return 2.0 * float(passes) * EVAL_SAMPLES / 128


def group_key(loss: str) -> tuple:
    """For the cost model: candidates with the same key train in one ensemble, as the
    study planner groups them (its tasks are what :meth:`Race._tasks` trains); this
    estimates the per-ensemble overhead of rounds not yet planned."""
    spec = get_loss(loss)
    if spec.family in ("classification", "regression"):
        return (spec.family, str(spec.training.get("outputs")))
    if spec.family == "adversarial":
        return ("adversarial", spec.training.get("discriminator", "mlp"))
    return (spec.family, loss)  # one sampler per ensemble


def groups(losses: list[str]) -> list[list[str]]:
    out: dict[tuple, list[str]] = {}
    for loss in losses:
        out.setdefault(group_key(loss), []).append(loss)
    return list(out.values())


def family_round_robin(losses: list[str]) -> list[str]:
    """``losses`` in the order a short generative race keeps them: the first of each
    family (in the catalogue's order), then the second of each, and so on."""
    by_family: dict[str, list[str]] = {}
    for loss in losses:
        by_family.setdefault(get_loss(loss).family, []).append(loss)
    return [
        fam[i] for i in range(max(map(len, by_family.values())))
        for fam in by_family.values() if i < len(fam)
    ]


def check_width(losses: list[str], dim: int, budget: float, source: str) -> None:
    """Bad input when even the smallest race (round 0 and the final round at the minimum
    steps, with the prior cost, which grows linearly with columns + hidden width) cannot
    fit the budget; the message says how many columns the budget serves. A generative
    race may keep as few as :data:`FINAL_MAX` candidates (see :data:`TRANSIENT_STEPS`)."""
    generative = get_loss(losses[0]).family not in ("classification", "regression")
    settings = ADVERSARIAL if generative else SUPERVISED
    if generative:
        losses = family_round_robin(losses)[:FINAL_MAX]
    per = counts(len(losses))

    def units(names: list[str], seeds: int) -> float:
        return sum(
            settings.min_steps * (settings.overhead_units + seeds * sum(unit_weight(x) for x in g))
            + seeds * sum(fixed_units(x) for x in g)
            for g in groups(names)
        )

    total = units(losses, SCREEN_SEEDS) + units(losses[: per[-1]], MIN_PAIRS)
    available = budget * TARGET_SHARE
    need = settings.prior_unit_s * (dim + HIDDEN) / (16 + HIDDEN) * total
    if need <= available:
        return
    served = int(available / (settings.prior_unit_s * total) * (16 + HIDDEN) - HIDDEN)
    if served < 1:
        raise BadInput(
            f"--budget {budget:g}: too small for {len(losses)} candidates on "
            f"{source} (the smallest race needs about {need / TARGET_SHARE:.0f} s); "
            "raise --budget"
        )
    raise BadInput(
        f"{source}: {dim} columns are more than a --budget of {budget:g} s can "
        f"serve (about {served} at most for {len(losses)} candidates); raise "
        "--budget or choose columns with --columns A,B,..."
    )


class Race:
    """One successive-halving race; :meth:`run` returns its rounds."""

    def __init__(
        self,
        table: Table,
        profile: Profile,
        plan: Plan,
        budget: float,
        seed: int = 0,
        started: float | None = None,
        schedule: list[tuple[int, int]] | None = None,
        on_step: Callable[[], Any] | None = None,
        on_round: Callable[[str], Any] | None = None,
        search: int = SEARCH_SETTINGS,
    ):
        self.table, self.profile, self.plan = table, profile, plan
        self.search = int(search)
        # round 0's labels -> {"loss", "params"}; a candidate's defaults keep its own name
        self.settings_of: dict[str, dict[str, Any]] = {}
        self.chosen: dict[str, dict[str, Any]] = {}  # loss -> the params kept after round 0
        self.budget, self.seed = float(budget), int(seed)
        self.started = time.perf_counter() if started is None else started
        self.schedule = schedule
        self.on_step, self.on_round = on_step, on_round
        self.task = profile.task
        self.settings = ADVERSARIAL if self.task == "generate" else SUPERVISED
        self.width = (table.dim + HIDDEN) / (16 + HIDDEN)
        self.k = self.settings.prior_unit_s * self.width
        # seconds per work unit measured per ensemble kind (group_key): an energy model's
        # Langevin steps and a GAN's critic steps cost differently per unit, and which
        # kinds survive changes from round to round
        self.k_group: dict[tuple, float] = {}
        self.e = self.settings.prior_eval_s
        self.notes: list[str] = []
        self.curves: dict[str, tuple[list[int], list[list[float]]]] = {}
        self.samples: dict[str, Any] = {}
        self.predictions: dict[str, tuple[Any, Any]] = {}
        self._prepare()

    # -- data ---------------------------------------------------------------
    def _prepare(self) -> None:
        t = self.table
        if self.task == "generate":
            split = split_rows(t.x, self.seed)
            self.split = split
            # the mixture in the training-standardised units the generator sees
            centers, std = mixture_modes(self.profile, t.x, split.mean, split.std)
            self.centers, self.mode_std = centers, std
            self.dataset: Any = RowsDataset.of(split.train, t.source, centers, std)
        elif self.task == "classify":
            self.dataset = TableClassification.of(t.x, t.y, t.source)
        elif self.profile.counts:
            self.dataset = TableCounts.of(t.x, t.y, t.source)
        else:
            self.dataset = TableRegression.of(t.x, t.y, t.source)

    # -- cost model -----------------------------------------------------------
    def group_units(self, losses: list[str], seeds: int, steps: int) -> list[tuple[tuple, float]]:
        """Work units of one round per ensemble (its :func:`group_key`): an overhead plus
        its members' steps."""
        a = self.settings.overhead_units
        names = [self._loss(x) for x in losses]
        return [
            (
                group_key(g[0]),
                steps * (a + seeds * sum(unit_weight(x) for x in g))
                + seeds * sum(fixed_units(x) for x in g),
            )
            for g in groups(names)
        ]

    def units(self, losses: list[str], seeds: int, steps: int) -> float:
        """Work units of one round (all its ensembles)."""
        return sum(u for _, u in self.group_units(losses, seeds, steps))

    def _loss(self, label: str) -> str:
        """The registered loss of a round-0 setting's label (a loss's own name otherwise)."""
        return self.settings_of.get(label, {"loss": label})["loss"]

    def predict(self, losses: list[str], steps: int, seeds: int) -> float:
        """Seconds of a round: each ensemble's units at its own measured seconds per unit
        (:attr:`k_group`, from the rounds so far; the race-wide ``k`` for an ensemble not
        timed yet) plus the evaluation."""
        return sum(
            self.k_group.get(key, self.k) * u for key, u in self.group_units(losses, seeds, steps)
        ) + self.e * seeds * len(losses)

    def steps_for(self, seconds: float, losses: list[str], seeds: int) -> float:
        fixed = self.predict(losses, 0, seeds)
        per_step = self.predict(losses, 1, seeds) - fixed
        return (seconds - fixed) / per_step

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def left(self) -> float:
        return self.budget * TARGET_SHARE - RESERVE_S - self.elapsed()

    def check_width(self) -> None:
        """Bad input when even the smallest race cannot fit the budget at this width."""
        check_width(
            [c.loss for c in self.plan.candidates], self.table.dim, self.budget, self.table.source
        )

    # -- rounds ---------------------------------------------------------------
    def run(self) -> RaceResult:
        cands = [c.loss for c in self.plan.candidates]
        per = counts(len(cands))
        if self.schedule is not None and len(self.schedule) != len(per):
            raise BadInput(
                f"--schedule has {len(self.schedule)} rounds; {len(cands)} "
                f"candidates need {len(per)}"
            )
        cands = self._fit_transient(cands)
        per = counts(len(cands))
        rounds: list[Round] = []
        alive = cands
        race_start = time.perf_counter()
        search: dict[str, dict[str, Any]] = {}
        baselines: list[dict[str, Any]] = []
        for r, n in enumerate(per):
            final = r == len(per) - 1
            alive = self._settings(alive) if r == 0 and not final else alive[:n]
            if final:  # before the final round is sized, so that its time is not overrun
                most = self.schedule[r][1] if self.schedule else self.settings.max_seeds
                baselines = self.baselines(list(range(most)))
            steps, seeds = self._size(r, per, alive, rounds)
            rnd = Round(r, steps, seeds, list(alive), final, "test" if final else "validation")
            if self.on_round is not None:
                self.on_round(f"round {r}: {len(alive)} x {seeds} seeds x {steps} steps")
            self._train(rnd)
            rounds.append(rnd)
            if rnd.out_of_time:
                if r == 0 and self.settings_of:  # reported at each candidate's defaults
                    rnd.members = [m for m in rnd.members if self._loss(m["loss"]) == m["loss"]]
                    rnd.candidates = list(dict.fromkeys(self._loss(c) for c in rnd.candidates))
                self.notes.append(
                    f"the race stopped at {self.elapsed():.0f} s, its hard limit of "
                    f"{OVERRUN:.0%} of --budget {self.budget:g}: round {r} did not finish "
                    "(the machine was slower than every round's measurement)"
                )
                break
            if not final:
                order = self._order(rnd)
                if r == 0 and self.settings_of:
                    order, search = self._keep_best_settings(rnd, order)
                rnd.kept = order[: per[r + 1]]
                alive = rnd.kept
        baselines = [m for m in baselines if m["seed"] < rounds[-1].seeds]
        return RaceResult(
            rounds, self.notes, time.perf_counter() - race_start, search, baselines,
            self.settings.min_final_steps, self.schedule is not None,
            self.curves, self.samples,
            self.split.test[:HELDOUT_ROWS] if self.task == "generate" else None,
            self.predictions,
        )

    def _fit_transient(self, cands: list[str]) -> list[str]:
        """The candidates (and search) with which every generative round can train
        :data:`TRANSIENT_STEPS` steps in the time left (see there); unchanged for
        supervised tasks and replayed schedules."""
        if self.schedule is not None or self.task != "generate":
            return cands

        def fits(names: list[str], search: int) -> bool:
            if len(names) <= FINAL_MAX:  # round 0 then only times the race: no one is cut
                return True
            labels = [n for n in names for _ in range(max(1, search))]  # round 0's settings
            return self._even_steps(0, counts(len(names)), labels) >= TRANSIENT_STEPS

        if fits(cands, self.search):
            return cands
        if self.search > 1 and fits(cands, 1):
            self.notes.append(
                f"round 0 trained the defaults only: {self.search} settings per candidate at "
                f"the {TRANSIENT_STEPS} steps every generative candidate gets (past its "
                "start-up transient) would not fit the budget"
            )
            self.search = 1
            return cands
        order = family_round_robin(cands)
        n = len(order) - 1
        while n > FINAL_MAX and not fits(order[:n], 1):
            n -= 1
        kept = [c for c in cands if c in order[:n]]
        left_out = [c for c in cands if c not in kept]
        self.search = 1
        self.notes.append(
            f"the budget cannot give all {len(cands)} candidates screening rounds of "
            f"{TRANSIENT_STEPS} steps (past the start-up transient): raced {len(kept)}, the "
            f"first of each family in the catalogue's order ({', '.join(kept)}), defaults "
            f"only; left out: {', '.join(left_out)}. A larger --budget races them all"
        )
        return kept

    def baselines(self, seeds: list[int]) -> list[dict[str, Any]]:
        """The simple models on the final round's seeds and test rows (see
        :mod:`losslab.study.baselines`)."""
        from losslab.study.baselines import generative_baselines, supervised_baselines

        if self.task != "generate":
            return supervised_baselines(self.dataset, self.seed, seeds, self.task)
        return generative_baselines(
            self.split.train, self.split.test[:HELDOUT_ROWS], seeds, self.seed,
            int(self.profile.modes), EVAL_SAMPLES, self.centers, self.mode_std,
        )

    # -- the search in round 0 ------------------------------------------------------
    def _settings(self, cands: list[str]) -> list[str]:
        """Round 0's labels: each candidate at its defaults and ``search - 1`` settings
        proposed by the tuned-study machinery (:mod:`losslab.study.tune`, random search):
        its learning rate log-uniform over x0.1..x10 of the paper's, its main knob (the
        first on its card with a search range) over the card's range, and for supervised
        tasks decoupled weight decay log-uniform over 1e-5..1e-1 (its defaults: none)."""
        from losslab.study.config import TuneConfig
        from losslab.study.tune import ask_trials, plan_tuning

        if self.search <= 1:
            return cands
        ranges = {}
        for c in cands:
            searched = [k for k, h in get_loss(c).card.hyperparameters.items() if h.search]
            ranges[c] = {k: False for k in searched[1:]}
        config = StudyConfig.model_construct(
            study=StudyMeta(name="recommend", seeds=1, seed=self.seed),
            data=self.dataset, model=ModelConfig(), train=TrainConfig(), optimizer=None,
            losses=[LossEntry(name=c) for c in cands],
            tune=TuneConfig.model_construct(
                trials=self.search, sampler="random", metric=self.plan.metric,
                search_seeds=1, batch=self.search, lr=[0.1, 10.0], beta1=[], n_critic=[],
                weight_decay=[] if self.task == "generate" else [1e-5, 1e-1], ranges=ranges,
            ),
        )
        labels = []
        for p, tuning in enumerate(plan_tuning(config)):
            for trial in ask_trials(tuning, config, p, self.search):
                loss = tuning.entry.name
                label = loss if trial.number == 0 else f"{loss} #{trial.number}"
                self.settings_of[label] = {"loss": loss, "params": trial.params}
                labels.append(label)
        return labels

    def _keep_best_settings(
        self, rnd: Round, order: list[str]
    ) -> tuple[list[str], dict[str, dict[str, Any]]]:
        """After round 0: each candidate keeps its best setting (by the validation score)
        under its own name; returns the candidates best first and what was searched."""
        best: dict[str, str] = {}
        for label in order:
            best.setdefault(self._loss(label), label)
        score = {e["loss"]: e["mean"] for e in ranking(rnd.members, [self.plan.metric])}
        search = {}
        for loss, label in best.items():
            self.chosen[loss] = self.settings_of[label]["params"]
            search[loss] = {
                "tried": [
                    {"params": v["params"], "value": score.get(k)}
                    for k, v in self.settings_of.items() if v["loss"] == loss
                ],
                "kept": self.chosen[loss],
                "defaults_kept": label == loss,
            }
        kept = ", ".join(
            f"{loss}: " + ("defaults" if s["defaults_kept"] else ", ".join(
                f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                for k, v in s["kept"].items()))
            for loss, s in search.items()
        )
        self.notes.append(
            f"round 0 tried {self.search} settings per candidate (its defaults, and its "
            f"learning rate x0.1..x10, main knob"
            + ("" if self.task == "generate" else " and weight decay 1e-5..1e-1")
            + " drawn at random) on the validation rows; "
            f"each candidate went on with its best: {kept}"
        )
        # round 0 as the report reads it: each candidate at the setting it went on with
        chosen_label = {label: loss for loss, label in best.items()}
        rnd.members = [
            {**m, "loss": chosen_label[m["loss"]]}
            for m in rnd.members
            if m["loss"] in chosen_label
        ]
        rnd.candidates = list(dict.fromkeys(self._loss(c) for c in rnd.candidates))
        return list(best), search

    def _size(self, r: int, per: list[int], alive: list[str], done: list[Round]) -> tuple[int, int]:
        s = self.settings
        if self.schedule is not None:
            steps, seeds = self.schedule[r]
            return int(steps), int(seeds)
        if r == 0:
            t = self.steps_for(ROUND0_SHARE * self.budget, alive, SCREEN_SEEDS)
            even = self._even_steps(r, per, alive)
            t = min(t, even)
            low = s.min_steps
            if self.task == "generate":  # past the start-up transient, where it fits
                low = max(low, min(TRANSIENT_STEPS, int(even)))
            return int(np.clip(t, low, s.preferred_steps // 4)), SCREEN_SEEDS
        prev = done[-1].steps
        left = self.left()
        if r < len(per) - 1:
            # an intermediate rung: the most steps such that it and every later round, at
            # as many steps, still fit; so the finalists never train less than the rungs
            # that chose them
            t = self._even_steps(r, per, alive)
            if t < prev and self._even_steps(r, per, alive, safety=1.0) >= prev:
                t = prev  # the last round overran the plan: keep its length if it still fits
            t = np.clip(t, s.min_steps, min(s.preferred_steps, MAX_GROWTH * prev))
            if t < prev:
                self.notes.append(
                    f"round {r - 1} took longer than its cost estimate, so round {r} trained "
                    f"{int(t)} steps, fewer than its {prev}: its cut rests on shorter runs"
                )
            return int(t), SCREEN_SEEDS
        # the final round: 3 seeds and the steps that fit up to the preferred length, then
        # more seeds up to the cap, then more steps up to the cap
        cap = min(s.max_steps, MAX_GROWTH * prev)
        seeds = MIN_PAIRS
        t = min(self.steps_for(left, alive, seeds), s.preferred_steps, cap)
        while seeds < s.max_seeds and self.predict(alive, int(t), seeds + 1) <= left:
            seeds += 1
        if seeds == s.max_seeds or t == cap:
            t = max(t, min(cap, self.steps_for(left, alive, seeds)))
        if t < prev and self.predict(alive, prev, seeds) <= 1.1 * left:
            t = prev  # never judge the finalists on shorter runs than the rung before
        elif int(max(t, s.min_steps)) < prev:  # (never "30 steps, fewer than the 30")
            self.notes.append(
                f"the budget ran short: the final round trained {int(max(t, s.min_steps))} "
                f"steps, fewer than the {prev} of the round before"
            )
        if t < s.min_steps:
            self.notes.append(
                f"the budget was too small for the final round: it ran the "
                f"minimum of {s.min_steps} steps x {seeds} seeds anyway"
            )
            t = s.min_steps
        if self.predict(alive, int(t), seeds) < 0.8 * left:
            self.notes.append(
                f"the final round reached its caps ({seeds} seeds, {int(t)} "
                "steps) and the race ended before the budget: more training "
                "would add little evidence"
            )
        return int(t), seeds

    def _even_steps(
        self, r: int, per: list[int], alive: list[str], safety: float = PLAN_SAFETY
    ) -> float:
        """The most steps ``T`` such that rounds ``r`` .. last, each at ``T`` steps (the
        screening rounds on :data:`SCREEN_SEEDS` seeds, the final on ``MIN_PAIRS``), fit in
        the time left. Round ``r`` is costed with all of ``alive`` (round 0: every setting
        the search tries); later rounds with the first ``per[j]`` distinct losses of
        ``alive`` (ranked best first after round 0). ``safety`` is the share of the time
        left planned on."""
        losses = list(dict.fromkeys(self._loss(x) for x in alive))
        plan = [
            (alive if j == r else losses[:n], MIN_PAIRS if j == len(per) - 1 else SCREEN_SEEDS)
            for j, n in enumerate(per)
            if j >= r
        ]
        fixed = sum(self.predict(c, 0, k) for c, k in plan)
        per_step = sum(self.predict(c, 1, k) - self.predict(c, 0, k) for c, k in plan)
        return (safety * self.left() - fixed) / per_step

    def _train(self, rnd: Round) -> None:
        t0 = time.perf_counter()
        rows: list[dict[str, Any]] = []
        timed_s, timed_units = 0.0, 0.0
        timed: list[tuple[tuple, float, float, int]] = []  # (kind, seconds, units, members)
        for task in self._tasks(rnd):
            if rnd.out_of_time:
                rows += _unfinished(task)
                continue
            start = time.perf_counter()
            try:
                out = run_task(task, self._progress)
            except OutOfTime:
                rnd.out_of_time = True
                rows += _unfinished(task)
                continue
            spent = time.perf_counter() - start
            rows += out
            if any(r["status"] != "failed" for r in out):  # a crashed task times nothing
                names = sorted({r["registry_name"] for r in out})
                parts = self.group_units(names, rnd.seeds, rnd.steps)
                whole = sum(u for _, u in parts) or 1.0
                for key, units in parts:  # one kind per ensemble; shared pro rata if not
                    timed.append((key, spent * units / whole, units, len(out) * units / whole))
                timed_s += spent
                timed_units += self.units(names, rnd.seeds, rnd.steps)
        t1 = time.perf_counter()
        rnd.members = [self._score(row, rnd) for row in sorted(rows, key=lambda x: x["idx"])]
        own = time.perf_counter() - t1
        rnd.seconds = time.perf_counter() - t0
        for loss in rnd.candidates:
            bad = [m for m in rnd.members
                   if m["loss"] == loss and m["status"] not in ("ok", "stopped")]
            if bad:
                self.notes.append(
                    f"round {rnd.index}: {loss}: {len(bad)} of {rnd.seeds} "
                    f"seeds {bad[0]['status']} ({bad[0]['reason'][:160]})"
                )
        n = max(1, len(rnd.members))
        # evaluation per member: ours plus the trainer's own (eval_factor - 1 times ours)
        self.e = self.settings.eval_factor * own / n
        if timed_units > 0:
            trainer_eval = (self.settings.eval_factor - 1.0) * own
            self.k = max(1e-7, (timed_s - trainer_eval) / timed_units)
            per_member_eval = trainer_eval / n
            for key, spent, units, members in timed:
                if units > 0:
                    self.k_group[key] = max(1e-7, (spent - per_member_eval * members) / units)

    def _progress(self, n: int) -> None:
        if self.on_step is not None:
            self.on_step()
        if self.schedule is None and self.elapsed() > OVERRUN * self.budget - RESERVE_S:
            raise OutOfTime

    def _tasks(self, rnd: Round) -> list[Any]:
        """The round as a study config over the in-memory dataset, planned into trainer
        tasks by the study planner (the same members, ensembles and RNG streams as a
        study of those losses and seeds). The dataset is built here, not read from a
        config file, so the config is constructed without re-validating it."""
        net = NetConfig(hidden=list(self._hidden()), activation="relu")
        if self.task == "generate":
            model = ModelConfig(
                latent_dim=max(2, min(self.table.dim, 32)),
                generator=net, discriminator=net, network=net,
            )
            batch = min(128, len(self.split.train))
        else:
            model = ModelConfig(network=NetConfig(hidden=[HIDDEN, HIDDEN], activation="relu"))
            batch = min(64, len(self.dataset.splits(np.random.default_rng(0)).y_train))
        config = StudyConfig.model_construct(
            study=StudyMeta(name="recommend", seeds=rnd.seeds, seed=self.seed),
            data=self.dataset,
            model=model,
            train=TrainConfig(
                steps=rnd.steps, batch_size=batch, eval_every=rnd.steps,
                eval_samples=EVAL_SAMPLES, record_every=rnd.steps, max_ensemble=10**6,
            ),
            optimizer=None,
            losses=[self._entry(label) for label in rnd.candidates],
        )
        tasks = plan(config)
        if self.task == "generate":
            return tasks
        # early stopping (:class:`~losslab.train.supervised.BestCheckpoint`): each member's
        # validation loss every steps/20 steps; its best checkpoint is what is scored
        every = max(EARLY_STOP_MIN_EVERY, rnd.steps // EARLY_STOP_EVALS)
        return [replace(t, eval_every=every, patience=PATIENCE) for t in tasks]

    def _entry(self, label: str) -> LossEntry:
        """A candidate (or round-0 setting) as a study's loss entry, with its knobs and
        learning rate where the search set them."""
        loss = self._loss(label)
        params = dict(self.settings_of[label]["params"] if label in self.settings_of
                      else self.chosen.get(label, {}))
        lr, weight_decay = params.pop("lr", None), params.pop("weight_decay", None)
        extra: dict[str, Any] = dict(params)
        if lr is not None or weight_decay is not None:
            paper = get_loss(loss).optimizer
            extra["optimizer"] = OptimizerConfig(
                name=paper.name, lr=float(paper.lr if lr is None else lr),
                betas=[float(b) for b in paper.betas], alpha=paper.alpha, eps=paper.eps,
                weight_decay=float(weight_decay or 0.0),
            )
        return LossEntry(name=loss, label=label, **extra)

    def _hidden(self) -> tuple[int, int]:
        d = self.table.dim
        return (HIDDEN, HIDDEN) if d <= 16 else (2 * HIDDEN, 2 * HIDDEN)

    def _score(self, row: dict[str, Any], rnd: Round) -> dict[str, Any]:
        """The member's held-out metrics: validation rows before the final round, test after."""
        out = {
            k: row[k]
            for k in ("loss", "registry_name", "seed", "status", "reason", "diverged_step")
        }
        out["metrics"] = {}
        if rnd.final:
            self._keep_for_figures(row)
        if row["status"] != "ok":
            return out
        if self.task == "generate":
            rows = self.split.test if rnd.final else self.split.val
            gen = row["samples"]["generated"]
            out["metrics"] = sample_metrics(gen, rows[:HELDOUT_ROWS], self.centers, self.mode_std)
        elif rnd.final:
            out["metrics"] = dict(row["metrics"])
        else:  # the validation metrics of the checkpoint early stopping restored
            ck = row["checkpoints"]
            losses = np.asarray(ck.get("val_loss", []), dtype=float)
            losses = np.where(np.isfinite(losses), losses, np.inf)
            at = int(np.argmin(losses)) if len(losses) and np.isfinite(losses).any() else -1
            out["metrics"] = {
                k.removeprefix("val_"): v[at] for k, v in ck.items() if k.startswith("val_") and v
            }
        if not all(np.isfinite(v) for v in out["metrics"].values()):
            out["metrics"] = {k: v for k, v in out["metrics"].items() if np.isfinite(v)}
        return out

    def _keep_for_figures(self, row: dict[str, Any]) -> None:
        """A final member's validation-loss curve (supervised) or seed-0 samples
        (generative), for the report's figures."""
        loss = row["loss"]
        if self.task == "generate":
            gen = (row.get("samples") or {}).get("generated")
            if row["seed"] == 0 and row["status"] == "ok" and gen is not None:
                self.samples[loss] = np.asarray(gen)
            return
        arrays = row.get("samples") or {}
        if row["seed"] == 0 and arrays.get("test_prediction") is not None:
            self.predictions[loss] = (arrays["test_target"], arrays["test_prediction"])
        val = (row.get("checkpoints") or {}).get("val_loss")
        if val:
            steps, per_seed = self.curves.setdefault(loss, (list(row["checkpoint_steps"]), []))
            if len(val) == len(steps):
                per_seed.append([float(v) for v in val])

    def _order(self, rnd: Round) -> list[str]:
        """Candidates best first by their mean held-out score (no score: last)."""
        entries = ranking(rnd.members, [self.plan.metric])
        ranked = [e["loss"] for e in entries]
        return ranked + [c for c in rnd.candidates if c not in ranked]


def _unfinished(task: Any) -> list[dict[str, Any]]:
    """Rows for the members of a task the hard limit stopped (or never started)."""
    from losslab.study.executor import _row
    from losslab.train.result import MemberResult

    reason = f"stopped at the race's hard limit ({OVERRUN:.0%} of --budget) before it finished"
    return [
        _row(task, m, MemberResult(index=m.index, status="stopped", reason=reason),
             {"passes": 0, "seconds": 0.0})
        for m in task.members
    ]


def set_threads(requested: int | None = None) -> int:
    """Torch threads for the race by :func:`losslab.threads.choose_threads` (``requested``:
    ``--threads``); its networks are small, so one thread unless asked (the priors above
    were measured so). Returns the number before, to restore."""
    from losslab.threads import choose_threads

    choice = choose_threads(0, requested=requested)
    before = torch.get_num_threads()
    torch.set_num_threads(choice.torch)
    return before
