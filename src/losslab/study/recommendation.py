"""The recommendation: a ranked table with means and 95% CIs, the verdict of the paired
tests, the reasons (profile facts plus measured evidence, linked to the catalogue),
and the files ``summary.json``, ``profile.json``, ``table.csv`` and ``report.html``.

Statistics come from :mod:`losslab.report.stats` (mean and Student-t CI over seeds,
paired t-tests against the best with Holm's correction, the stated verdict rule).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from losslab.data.profile import Profile
from losslab.losses import get_loss
from losslab.metrics.direction import UNRANKED
from losslab.report.html import catalogue_href, fmt_p
from losslab.report.stats import (
    MIN_PAIRS,
    direction,
    finite_or_none,
    mean_ci95,
    metric_ci95,
    paired_p,
    ranking,
    verdict,
)
from losslab.study.baselines import PREFIX, linear_loss
from losslab.study.candidates import Plan
from losslab.study.race import OVERRUN, RaceResult, Round

BASELINES = {"classify": "softmax-ce", "regress": "mse"}


@dataclass
class RecommendResult:
    """What :func:`losslab.recommend` returns. ``table`` is a pandas DataFrame, best first."""

    task: str
    profile: Profile
    plan: Plan
    race: RaceResult
    ranking: list[dict[str, Any]]
    verdict: dict[str, Any]
    table: pd.DataFrame
    recommendation: str
    reasons: list[str]
    budget: float
    seconds: float = 0.0
    out_dir: Path | None = None
    winner: str | None = None  # None where the evidence does not separate the best
    tied: list[str] = field(default_factory=list)

    @property
    def metric(self) -> str:
        return self.plan.metric

    def summary(self) -> dict[str, Any]:
        """Everything, as strict JSON (the ``summary.json`` of the output folder)."""
        final = self.race.rounds[-1]
        return {
            "study": f"recommend: {self.profile.source}",
            "task": self.task,
            "config": {
                "task": self.task,
                "budget_s": self.budget,
                "metric": self.metric,
                "schedule": self.race.schedule,
                "candidates": [c.loss for c in self.plan.candidates],
            },
            "recommendation": self.recommendation,
            "winner": self.winner,
            "tied": self.tied,
            "reasons": self.reasons,
            "metric": self.metric,
            "metric_reason": self.plan.metric_reason,
            "rules": list(self.plan.rules),
            "candidates": [vars(c) for c in self.plan.candidates],
            "members": [
                {
                    **m,
                    "dataset": self.profile.source,
                    "metrics": {k: finite_or_none(v) for k, v in m["metrics"].items()},
                }
                for m in final.members
            ],
            "ranking": self.ranking,
            "verdict": self.verdict,
            "table": json.loads(self.table.to_json(orient="records")),
            "rounds": [_round_dict(r) for r in self.race.rounds],
            "notes": self.race.notes,
            # per candidate: the settings round 0 tried and the one it went on with
            "search": self.race.search,
            # the simple models on the final round's seeds and test rows (stage "baseline")
            "baselines": [
                {**m, "metrics": {k: finite_or_none(v) for k, v in m["metrics"].items()}}
                for m in self.race.baselines
            ],
            "budget_s": self.budget,
            "seconds": round(self.seconds, 3),
            "profile": self.profile.to_dict(),
        }

    def text(self) -> str:
        """The table, the recommendation and its reasons, for the terminal."""
        show = self.table.copy()
        cols = [
            "rank",
            "loss",
            "stage",
            "steps",
            "seeds",
            "mean",
            "ci95_low",
            "ci95_high",
            "p_holm_vs_best",
            "beats_baselines",
        ] + [c for c in self.plan.secondary if c in show.columns and c != self.metric]
        show = show[[c for c in cols if c in show.columns]]
        for col in ("rank", "steps"):  # baselines have neither
            show[col] = show[col].astype(object).where(show[col].notna(), "-")
        with pd.option_context(
            "display.width", 160, "display.max_columns", 30, "display.float_format", "{:.4g}".format
        ):
            body = show.to_string(index=False, na_rep="-")
        lines = [
            f"held-out score: {self.metric} ({self.plan.metric_reason}); "
            f"{'higher' if direction(self.metric) == 'max' else 'lower'} is better",
            body,
            "",
            self.recommendation,
            *[f"  - {r}" for r in self.reasons],
        ]
        lines += [f"  note: {n}" for n in self.race.notes]
        lines.append(
            f"time: {self.seconds:.1f} s of a {self.budget:g} s budget; schedule "
            + ", ".join(f"{t} steps x {s} seeds" for t, s in self.race.schedule)
        )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"RecommendResult({self.recommendation!r})"

    def save(self, out: str | Path) -> Path:
        from losslab.report.recommend import write_report

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        self.out_dir = out
        (out / "profile.json").write_text(json.dumps(self.profile.to_dict(), indent=2))
        self.table.to_csv(out / "table.csv", index=False)
        (out / "summary.json").write_text(json.dumps(self.summary(), indent=2, default=_json))
        write_report(out / "report.html", self)
        return out


def _json(x: Any) -> Any:
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return finite_or_none(x)
    return str(x)


def _round_dict(r: Round) -> dict[str, Any]:
    return {
        "round": r.index,
        "steps": r.steps,
        "seeds": r.seeds,
        "candidates": r.candidates,
        "final": r.final,
        "scored_on": r.split,
        "kept": r.kept,
        "seconds": round(r.seconds, 3),
        "out_of_time": r.out_of_time,
    }


def _values(members: list[dict[str, Any]], loss: str, metric: str) -> dict[int, float]:
    return {
        m["seed"]: float(m["metrics"][metric])
        for m in members
        if m["loss"] == loss
        and m["status"] == "ok"
        and metric in m["metrics"]
        and np.isfinite(m["metrics"][metric])
    }


def build(
    task: str,
    profile: Profile,
    plan: Plan,
    race: RaceResult,
    budget: float,
    seconds: float | None = None,
) -> RecommendResult:
    """Rank the finalists on the test rows, state the verdict, list the reasons.

    Three rules can withhold a recommendation even where the paired tests separate the
    best finalist (each stated in the words it prints):

    * **too short**: the final round trained fewer than the paradigm's
      ``min_final_steps`` (:class:`~losslab.study.race.Settings`), or the race took more
      than :data:`~losslab.study.race.OVERRUN` times its budget (``seconds``, start-up
      included; not for a replayed ``--schedule``, whose budget sizes nothing);
    * **baselines**: the best finalist does not beat every simple model
      (:mod:`losslab.study.baselines`) on the mean of the same metric over the same seeds'
      test rows: then no neural loss is recommended and the loss of the simple model is.
    """
    final = race.rounds[-1]
    metrics = [plan.metric] + [
        m for m in plan.secondary if m != plan.metric and m not in UNRANKED
    ]  # coverage has no better direction: shown in the table, never ranked
    ranked = ranking(final.members, metrics)
    primary = [e for e in ranked if e["metric"] == plan.metric]
    decided = verdict(primary)
    base_rank = [e for e in ranking(race.baselines, metrics) if e["metric"] == plan.metric]
    rows = _table_rows(task, plan, race, primary, base_rank)
    table = pd.DataFrame(rows)
    for col in ("rank", "steps"):  # whole numbers, with gaps: "1", not "1.0", in table.csv
        table[col] = table[col].astype("Int64")
    best = decided["best"]
    short = _too_short(race, budget, seconds)
    lost_to = _beaten_by(plan.metric, primary[0] if primary else None, base_rank)
    winner, tied = None, []
    if short:
        recommendation = "No recommendation: the race was too short: " + short
    elif best is None:
        recommendation = "No recommendation: no finalist produced a finite score."
    elif lost_to is not None:
        simple = lost_to["loss"].removeprefix(PREFIX)
        kind = "generative loss" if task == "generate" else "neural loss"
        model = {"generate": "a simple density model"}.get(task, "a linear model")
        if simple in ("mean", "majority", "gaussian"):
            model = f"a trivial model ({simple})"
        recommendation = (
            f"No recommendation: no {kind} beats {model} on this data: {simple} has "
            f"{plan.metric} {lost_to['mean']:.4g} on the same test rows, the best finalist "
            f"({best}) {primary[0]['mean']:.4g}. Choose the loss for the "
            f"{'simple' if task == 'generate' else 'linear'} model: "
            f"{linear_loss(task, plan.metric)}."
        )
    elif decided["significant"]:
        winner = best
        recommendation = (
            f"Recommended: {best}. It has the best {plan.metric} on the held-out test rows, "
            f"the paired t-tests (Holm-adjusted p < 0.05, >= {MIN_PAIRS} seeds) separate "
            "it from every other finalist, and it beats the simple baselines."
        )
    else:
        tied = [best] + [x["loss"] for x in decided["not_separated"]]
        others = ", ".join(
            f"{x['loss']} (Holm p = {fmt_p(x['p_holm'])})" for x in decided["not_separated"]
        )
        recommendation = (
            f"Tie: {best} has the best mean {plan.metric}, but the evidence does not separate "
            f"it from {others}. Any of them fits this data; a larger --budget (more seeds) "
            "may separate them."
        )
    reasons = _reasons(task, profile, plan, race, ranked, primary, decided) if best else []
    if base_rank:
        reasons.append(
            "baselines on the same test rows: "
            + "; ".join(f"{e['loss'].removeprefix(PREFIX)} {_f(e['mean'])}" for e in base_rank)
            + f" ({plan.metric}; a finalist must beat every one to be recommended)"
        )
    return RecommendResult(
        task,
        profile,
        plan,
        race,
        ranked,
        decided,
        table,
        recommendation,
        reasons,
        budget,
        winner=winner,
        tied=tied,
    )


def _too_short(race: RaceResult, budget: float, seconds: float | None) -> str | None:
    """Why the race is too short to name a winner (see :func:`build`), or ``None``."""
    final = race.rounds[-1]
    if final.out_of_time or not final.final:
        more = 10 * math.ceil(max(budget, seconds or 0.0) * 2 / 10)
        return (
            f"it reached its hard limit ({OVERRUN:.0%} of --budget {budget:g} s) during "
            f"{'the final round' if final.final else f'screening round {final.index}'}, "
            f"which did not finish (the machine was slower than measured); rerun on a "
            f"quieter machine or with --budget {more}"
        )
    need = race.min_final_steps
    if need and final.steps < need:
        spent = (seconds or budget) if race.replayed else max(budget, seconds or 0.0)
        more = 10 * math.ceil(spent * need / max(final.steps, 1) / 10)
        return (
            f"its final round trained {final.steps} steps, fewer than the {need} a "
            f"recommendation needs (rule: the finalists train at least {need} steps and the "
            f"race ends within {OVERRUN:.0%} of --budget); a --budget of about {more} s "
            f"would give the final round {need} steps on this machine"
        )
    if seconds is not None and not race.replayed and seconds > OVERRUN * budget:
        return (
            f"it took {seconds:.0f} s of a {budget:g} s budget (more than {OVERRUN - 1:.0%} "
            "over: the machine was busy, so its rounds are shorter than planned); rerun on a "
            f"quieter machine or with --budget {10 * math.ceil(seconds * OVERRUN / 10)}"
        )
    return None


def _beaten_by(
    metric: str, best: dict[str, Any] | None, base_rank: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """The strongest baseline when it is at least as good as the best finalist's mean."""
    known = [e for e in base_rank if e["mean"] is not None]
    if best is None or best["mean"] is None or not known:
        return None
    top = known[0]  # ranked best first
    better = top["mean"] >= best["mean"] if direction(metric) == "max" else (
        top["mean"] <= best["mean"]
    )
    return top if better else None


def _table_rows(
    task: str,
    plan: Plan,
    race: RaceResult,
    primary: list[dict[str, Any]],
    base_rank: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    final = race.rounds[-1]
    baseline = BASELINES.get(task)
    base_vals = _values(final.members, baseline, plan.metric) if baseline else {}
    best_base = next((e for e in base_rank if e["mean"] is not None), None)
    rows = []
    for e in primary:
        row = _row(
            e["loss"],
            final,
            plan,
            e["rank"],
            "final (test rows)",
            e.get("p_vs_best_holm"),
            base_vals if baseline in final.candidates else {},
        )
        if best_base is not None:
            # flagged "no" where the strongest simple model is at least as good
            row["beats_baselines"] = (
                "-" if e["mean"] is None
                else "no" if _beaten_by(plan.metric, e, base_rank) else "yes"
            )
        rows.append(row)
    for e in base_rank:
        rows.append(_baseline_row(e["loss"], race, plan))
    for r in reversed(race.rounds[:-1]):
        for loss in r.candidates:
            if loss in r.kept:
                continue
            rows.append(
                _row(loss, r, plan, None, f"out after round {r.index} (validation rows)", None, {})
            )
    return rows


def _baseline_row(name: str, race: RaceResult, plan: Plan) -> dict[str, Any]:
    """A simple model's row: stage ``baseline (test rows)``, the final round's seeds."""
    vals = _values(race.baselines, name, plan.metric)
    mean, lo, hi = metric_ci95(list(vals.values()), plan.metric)
    n = sum(1 for m in race.baselines if m["loss"] == name)
    row: dict[str, Any] = {
        "rank": None,
        "loss": name,
        "family": "baseline",
        "stage": "baseline (test rows)",
        "steps": None,
        "seeds": f"{len(vals)}/{n}",
        "metric": plan.metric,
        "mean": finite_or_none(mean),
        "ci95_low": finite_or_none(lo),
        "ci95_high": finite_or_none(hi),
        "p_holm_vs_best": None,
    }
    for metric in plan.secondary:
        if metric != plan.metric:
            row[metric] = finite_or_none(
                mean_ci95(list(_values(race.baselines, name, metric).values()))[0]
            )
    return row


def _row(
    loss: str,
    rnd: Round,
    plan: Plan,
    rank: int | None,
    stage: str,
    p_holm: Any,
    base_vals: dict[int, float],
) -> dict[str, Any]:
    mine = [m for m in rnd.members if m["loss"] == loss]
    ok = [m for m in mine if m["status"] == "ok"]
    vals = _values(rnd.members, loss, plan.metric)
    mean, lo, hi = metric_ci95(list(vals.values()), plan.metric)
    row: dict[str, Any] = {
        "rank": rank,
        "loss": loss,
        "family": get_loss(loss).family,
        "stage": stage,
        "steps": rnd.steps,
        "seeds": f"{len(ok)}/{len(mine)}",
        "metric": plan.metric,
        "mean": finite_or_none(mean),
        "ci95_low": finite_or_none(lo),
        "ci95_high": finite_or_none(hi),
        "p_holm_vs_best": p_holm,
    }
    if base_vals:
        p, _ = paired_p(vals, base_vals) if vals else (None, 0)
        shared = sorted(set(vals) & set(base_vals))
        diff = np.mean([vals[s] - base_vals[s] for s in shared]) if shared else None
        row["diff_vs_baseline"] = finite_or_none(diff)
        row["p_vs_baseline"] = p
    for metric in plan.secondary:
        if metric == plan.metric:
            continue
        row[metric] = finite_or_none(
            mean_ci95(list(_values(rnd.members, loss, metric).values()))[0]
        )
    return row


def _reasons(
    task: str,
    profile: Profile,
    plan: Plan,
    race: RaceResult,
    ranked: list[dict[str, Any]],
    primary: list[dict[str, Any]],
    decided: dict[str, Any],
) -> list[str]:
    best = decided["best"]
    final = race.rounds[-1]
    top = primary[0]
    cand = {c.loss: c for c in plan.candidates}
    reasons = [
        f"profile: {profile.n} rows x {profile.dim} columns; "
        + (", ".join(profile.flags()) or "no special characteristic found")
        + f"; {best} raced because of the rule '{cand[best].reason}'"
    ]
    lo, hi = top["ci95"]
    reasons.append(
        f"measured: {best} {plan.metric} = {top['mean']:.4g} (95% CI [{_f(lo)}, {_f(hi)}], "
        f"{top['n']} seeds, {final.steps} steps, held-out test rows)"
        + "".join(
            f"; {e['loss']} {e['mean']:.4g}, Holm p = {fmt_p(e.get('p_vs_best_holm'))}"
            for e in primary[1:]
            if e["mean"] is not None
        )
    )
    firsts = [
        e["metric"]
        for e in ranked
        if e["loss"] == best and e["rank"] == 1 and e["metric"] != plan.metric
    ]
    if firsts:
        reasons.append(f"{best} also has the best mean on {', '.join(firsts)}")
    disagree = _disagreements(best, plan.metric, ranked)
    if disagree:
        reasons.append(
            f"but the other metrics disagree with {plan.metric}: " + "; ".join(disagree)
        )
    if task == "generate" and profile.multimodal:
        modes = {e["loss"]: e["mean"] for e in ranked if e["metric"] == "modes"}
        if profile.modes_caveat:  # "10 of 10 captured" would follow from the fit, not the data
            reasons.append(
                f"modes captured, high-quality fraction and reverse KL are not meaningful "
                f"here: the profile's {profile.modes} components are not modes "
                f"({profile.modes_caveat}); judge by {plan.metric} and the samples"
            )
        else:
            reasons.append(
                f"modes captured of the {profile.modes} found: "
                + ", ".join(f"{k} {_f(v)}" for k, v in modes.items())
            )
    out = [r for r in race.rounds[:-1] for c in r.candidates if c not in r.kept]
    if race.rounds[:-1] and out:
        reasons.append(
            "successive halving dropped "
            + "; ".join(
                f"{', '.join(c for c in r.candidates if c not in r.kept)} "
                f"after round {r.index} ({r.steps} steps, validation rows)"
                for r in race.rounds[:-1]
                if set(r.candidates) - set(r.kept)
            )
        )
    href = catalogue_href(best)
    why = get_loss(best).card.why
    # the built catalogue only where it exists (`losslab docs` writes it); the card always
    page = f"{href.split('#')[0]}" if href else None
    where = f"{href}; " if page and Path(page).is_file() else ""
    reasons.append(f"catalogue: {best}: {why} ({where}`losslab explain {best}`)")
    return reasons


def _disagreements(best: str, metric: str, ranked: list[dict[str, Any]]) -> list[str]:
    """Each further metric on which another finalist is better than ``best``, with both
    numbers (so a reason naming one metric shows the others where they disagree)."""
    out = []
    for other in dict.fromkeys(e["metric"] for e in ranked):
        entries = [e for e in ranked if e["metric"] == other and e["mean"] is not None]
        mine = next((e for e in entries if e["loss"] == best), None)
        if other == metric or not entries or entries[0]["loss"] == best:
            continue
        top = entries[0]
        sense = "higher" if direction(other) == "max" else "lower"
        out.append(
            f"{other} ({sense} is better): {best} {_f(mine['mean'] if mine else None)} vs "
            f"{top['loss']} {_f(top['mean'])}"
        )
    return out


def _f(x: Any) -> str:
    return "-" if x is None else f"{x:.4g}"
