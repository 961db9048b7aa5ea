"""Build a study's report from the run store: summary.json, figures/*.png, report.html.

Averages over seeds stack each loss's per-member curves on one step grid (the
union of the members' steps; members of one loss share it, the union only
guards against a short record) with NaN where a member has no value.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from losslab.data import make_dataset
from losslab.data.registry import dataset_label
from losslab.losses import get_loss
from losslab.metrics.baselines import NOT_CONVERGED, SCORED
from losslab.report import figures as fig
from losslab.report import tuned
from losslab.report.diagnoses import THRESHOLDS, diagnose
from losslab.report.figures2d import (
    plot_critic_contours,
    plot_final_samples,
    plot_scatter_checkpoints,
)
from losslab.report.figures_images import plot_sample_grids
from losslab.report.html import write_html
from losslab.report.stats import (
    DATASET_SEP,
    INTERVAL_NOTE,
    base_metric,
    direction,
    finite_or_none,
    ranking,
    verdicts,
)
from losslab.report.tuning import verdict_sentence
from losslab.report.why import plot_why
from losslab.study.store import RunStore

GENERATIVE_FAMILIES = ("adversarial", "energy", "diffusion")

FINAL_METRICS = ("w1", "ks")  # metrics that get a per-seed "final_<metric>.png"
# reported per member but not ranked: neither higher nor lower is better (the quantile
# coverage should approach the loss's own target level)
NOT_RANKED = {"coverage"}


def strict_json(obj: Any) -> Any:
    """``obj`` with every non-finite float replaced by ``None`` and numpy scalars unwrapped."""
    if isinstance(obj, dict):
        return {str(k): strict_json(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [strict_json(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return strict_json(obj.tolist())
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        return finite_or_none(obj)
    return obj


def stack_curves(curves: Sequence[tuple[np.ndarray, np.ndarray]]) -> fig.Curve | None:
    """Stack per-member ``(steps, values)`` into ``(steps [T], values [S, T])``, NaN-filled."""
    if not curves:
        return None
    grid = np.unique(np.concatenate([np.asarray(s) for s, _ in curves]))
    out = np.full((len(curves), grid.size), np.nan)
    for row, (steps, values) in enumerate(curves):
        out[row, np.searchsorted(grid, steps)] = values
    return grid, out


def _staged(entries: list[dict[str, Any]], stage: str) -> list[dict[str, Any]]:
    """Ranking entries marked with the verdict they feed: ``default`` (every loss at the
    defaults the config gives) or ``tuned`` (every loss at its best trial's setting)."""
    return [{**e, "stage": stage} for e in entries]


def baselines_summary(members: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The trivial baselines the members were judged against (:mod:`losslab.metrics.baselines`),
    per dataset: ``{dataset: {"baseline", "what", "metric", "seeds": [{"seed", "baseline",
    "metrics", "data_floor"}], "not_converged": [{"loss", "seed", "value", "baseline"}]}}``
    (``baseline`` names every kind used, e.g. ``"gaussian"``, joined by " / " where seeds
    differ); a dataset whose members carry no baseline (a store older than schema 3) is
    left out."""
    out: dict[str, Any] = {}
    for m in members:
        base = m.get("baseline") or {}
        if not base.get("metrics"):
            continue
        entry = out.setdefault(
            m["dataset"],
            {"baseline": [], "what": [], "metric": base.get("metric"), "seeds": {},
             "not_converged": []},
        )
        for key in ("baseline", "what"):
            if base.get(key) not in entry[key]:
                entry[key].append(base.get(key))
        entry["seeds"].setdefault(
            m["seed"],
            {
                "baseline": base.get("baseline"),
                "metrics": {k: finite_or_none(v) for k, v in base["metrics"].items()},
                "data_floor": finite_or_none(base.get("data_floor")),
            },
        )
        if m["status"] == NOT_CONVERGED:
            metric = base.get("metric")
            entry["not_converged"].append(
                {
                    "loss": m["loss"],
                    "seed": m["seed"],
                    "value": finite_or_none(m["metrics"].get(metric)),
                    "baseline": finite_or_none(base["metrics"].get(metric)),
                }
            )
    for entry in out.values():
        entry["baseline"] = " / ".join(str(b) for b in entry["baseline"])
        entry["what"] = "; or ".join(str(w) for w in entry["what"])
        entry["seeds"] = [{"seed": s, **v} for s, v in sorted(entry["seeds"].items())]
    return out


def _member_entry(m: dict[str, Any]) -> dict[str, Any]:
    extra = {k: m[k] for k in ("stage", "params") if k in m}
    return {
        **extra,
        "cost": m.get("cost", {}),
        "index": m["index"],
        "loss": m["loss"],
        "registry_name": m["registry_name"],
        "dataset": m["dataset"],
        "seed": m["seed"],
        "hparams": m["hparams"],
        "status": m["status"],
        "diverged_step": m["diverged_step"],
        "reason": m["reason"],
        "metrics": {k: finite_or_none(v) for k, v in m["metrics"].items()},
    }


def load_loss_data(store: RunStore, members: Sequence[dict[str, Any]]) -> dict[str, dict]:
    """Per loss label: stacked ``series`` and ``checkpoints`` curves, a ``reference``
    sample and the ``generated`` samples of its ok members pooled (``None`` if none)."""
    raw: dict[str, dict[str, Any]] = {}
    for m in members:
        d = raw.setdefault(
            m["loss"], {"series": {}, "checkpoints": {}, "reference": None, "generated": []}
        )
        for group, curves in (
            ("series", store.series(m["member_id"])),
            ("checkpoints", store.checkpoints(m["member_id"])),
        ):
            for name, curve in curves.items():
                d[group].setdefault(name, []).append(curve)
        samples = store.samples(m["member_id"])
        if d["reference"] is None and samples.get("reference") is not None:
            d["reference"] = samples["reference"]
        if m["status"] in SCORED and samples.get("generated") is not None:
            d["generated"].append(samples["generated"])
    return {
        label: {
            "series": {n: stack_curves(c) for n, c in d["series"].items()},
            "checkpoints": {n: stack_curves(c) for n, c in d["checkpoints"].items()},
            "reference": d["reference"],
            "generated": np.concatenate(d["generated"]) if d["generated"] else None,
        }
        for label, d in raw.items()
    }


def write_figures(
    fig_dir: Path,
    data: dict[str, dict],
    members: Sequence[dict[str, Any]],
    ranked: Sequence[dict[str, Any]],
    samples: Callable[[int], dict[str, np.ndarray]] | None = None,
) -> list[tuple[Path, str]]:
    """Write every figure into ``fig_dir``; returns ``(path, caption)`` in report order."""
    out: list[tuple[Path, str]] = []
    slugs = fig.slugify(data)
    family = {m["loss"]: get_loss(m["registry_name"]).family for m in members}
    for label, d in data.items():
        s, slug = d["series"], slugs[label]
        if family[label] != "adversarial":
            out += _training_figures(fig_dir, label, slug, family[label], d, members, samples)
            continue
        if s.get("d_hinge_active") is not None:
            path = fig.plot_panels(
                fig_dir / f"energies_{slug}.png",
                f"{label}: energies and hinge",
                [
                    (
                        "reconstruction energy D(x)",
                        "energy (MSE)",
                        [("D(x) real", s.get("d_real")), ("D(G(z)) generated", s.get("d_fake"))],
                        True,
                    ),
                    (
                        "hinge active: D(G(z)) < margin",
                        "fraction of generated samples",
                        [("hinge active", s.get("d_hinge_active"))],
                        False,
                    ),
                ],
                xlabel="generator step",
            )
            out.append(
                (
                    path,
                    f"{label}: the autoencoder's energy (reconstruction error) on real and "
                    "generated samples, and how often the margin hinge is active "
                    "(mean over seeds, ±1 std).",
                )
            )
        path = fig.plot_losses(
            fig_dir / f"losses_{slug}.png", label, s.get("d_loss"), s.get("g_loss")
        )
        out.append(
            (
                path,
                f"Loss graph, {label}: D and G loss over generator steps "
                "(mean over seeds, shaded ±1 std).",
            )
        )
        path = fig.plot_gradients(
            fig_dir / f"gradients_{slug}.png",
            label,
            s.get("g_grad_mean"),
            s.get("g_grad_norm"),
            s.get("d_grad_norm"),
        )
        out.append(
            (
                path,
                f"Gradient graph, {label}: generator gradient signed mean, and "
                "generator/discriminator gradient norms (mean over seeds, ±1 std).",
            )
        )
    path = fig.plot_compare(fig_dir / "compare_losses.png", data)
    out.append(
        (
            path,
            "All losses compared: W1 and KS at checkpoints, generator gradient norm, "
            "discriminator accuracy (mean over seeds, shaded ±1 std).",
        )
    )
    panels = {label: (d["reference"], d["generated"]) for label, d in data.items()}
    path = fig.plot_histograms(fig_dir / "histograms.png", panels)
    if path is not None:
        out.append(
            (
                path,
                "Reference vs generated samples at the end of training, generated "
                "pooled over each loss's ok seeds (densities on shared bins; outliers beyond "
                "each sample's central 99% lie off the axis).",
            )
        )
    metrics_present = {e["metric"] for e in ranked}
    for metric in (m for m in FINAL_METRICS if m in metrics_present):
        path = _final_figure(fig_dir, metric, members, ranked)
        out.append((path, f"Final {metric} of every ok seed per loss, with mean and 95% CI."))
    return out


def _training_figures(
    fig_dir: Path, label: str, slug: str, family: str, d: dict, members, samples
) -> list[tuple[Path, str]]:
    """The training curves of an energy-based or diffusion loss."""
    s = d["series"]
    panels = [("training objective", "loss", [("loss", s.get("loss"))], False)]
    if s.get("data_energy") is not None:
        panels.append(
            (
                "energies",
                "E(x)",
                [("data E(x+)", s.get("data_energy")), ("samples E(x-)", s.get("sample_energy"))],
                False,
            )
        )
        panels.append(
            ("Langevin gradient", "‖∇ₓE‖₂", [("along chains", s.get("langevin_grad_norm"))], True)
        )
    panels.append(("gradient norm", "‖∇θ‖₂", [("parameters", s.get("grad_norm"))], True))
    path = fig.plot_panels(fig_dir / f"training_{slug}.png", f"{label}: training", panels)
    what = (
        "objective, data vs sample energies, Langevin gradient magnitude along the chains"
        if family == "energy" and s.get("data_energy") is not None
        else "objective"
    )
    out = [(path, f"{label}: {what} and parameter gradient norm over training steps.")]
    first = next((m for m in members if m["loss"] == label and m["status"] in SCORED), None)
    arrays = samples(first["member_id"]) if first is not None and samples is not None else {}
    profile = arrays.get("langevin_grad_by_step")
    if profile is not None:
        at = arrays["langevin_grad_by_step_at"]
        path = fig.plot_langevin_profile(fig_dir / f"langevin_{slug}.png", label, profile, at)
        out.append(
            (
                path,
                f"{label}: the energy's gradient magnitude at each Langevin step of the training "
                "chains, at several points of training (seed 0).",
            )
        )
    return out


def _final_figure(fig_dir: Path, metric: str, members, ranked, name: str = "") -> Path:
    labels = list(dict.fromkeys(m["loss"] for m in members))
    values = {
        label: [
            m["metrics"].get(metric, math.nan)
            for m in members
            if m["loss"] == label and m["status"] in SCORED
        ]
        for label in labels
    }
    entries = {e["loss"]: e for e in ranked if base_metric(e["metric"]) == metric}
    better = "higher" if direction(metric) == "max" else "lower"
    path = fig_dir / f"{name or 'final_' + metric}.png"
    return fig.plot_final(path, metric, values, entries, better)


def rank_by_dataset(members: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """:func:`ranking` per dataset; with several datasets each entry carries its
    ``dataset`` and its metric is named ``"<metric> @ <dataset>"``."""
    datasets = list(dict.fromkeys(m["dataset"] for m in members))
    out = []
    for dataset in datasets:
        for e in ranking([m for m in members if m["dataset"] == dataset]):
            if e["metric"] in NOT_RANKED:
                continue
            e["dataset"] = dataset
            if len(datasets) > 1:
                e["metric"] = f"{e['metric']}{DATASET_SEP}{dataset}"
            out.append(e)
    return out


def _datasets(config: dict[str, Any]) -> list[tuple[str, Any]]:
    """The study's datasets rebuilt from its stored config, as ``(name, dataset)``; a
    dataset the report cannot rebuild (e.g. from an older version) is ``None``."""
    raw = config.get("data", [])
    out = []
    for params in raw if isinstance(raw, list) else [raw]:
        try:
            dataset = make_dataset(params)
        except Exception:  # noqa: BLE001 - the report goes on without what it would give
            dataset = None
        name = params.get("name", "?") if dataset is None else dataset_label(dataset)
        out.append((name, dataset))
    return out


def _n_modes(config: dict[str, Any]) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for name, dataset in _datasets(config):
        centers = None if dataset is None else dataset.mode_centers()
        out[name] = None if centers is None else len(centers)
    return out


def _supervised_figures(
    fig_dir: Path, members: Sequence[dict[str, Any]], ranked: Sequence[dict[str, Any]]
) -> list[tuple[Path, str]]:
    """Why-figures of the families present and, per dataset, the main metric per seed."""
    out = []
    families = {get_loss(m["registry_name"]).family for m in members}
    for family in sorted(families & {"classification", "regression"}):
        path = plot_why(family, fig_dir / f"why_{family}.png")
        out.append(
            (
                path,
                f"Why the {family} losses differ: per-sample loss and gradient "
                "magnitude against the margin (classification) or residual "
                "(regression), for every registered loss of the family.",
            )
        )
    main = "accuracy" if "classification" in families else "mae"
    datasets = list(dict.fromkeys(m["dataset"] for m in members))
    slugs = fig.slugify(datasets)
    for dataset in datasets:
        mine = [m for m in members if m["dataset"] == dataset]
        metric = main if len(datasets) == 1 else f"{main}{DATASET_SEP}{dataset}"
        entries = [e for e in ranked if e["metric"] == metric]
        if not entries:
            continue
        path = _final_figure(fig_dir, main, mine, entries, name=f"final_{main}_{slugs[dataset]}")
        out.append(
            (path, f"{dataset}: final test {main} of every ok seed per loss, with mean and 95% CI.")
        )
    return out


def build_report(
    store: RunStore, study_id: int, out_dir: Path, threads: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Write ``out_dir/summary.json``, ``out_dir/figures/*.png`` and ``out_dir/report.html``.

    Returns the summary: ``{"study", "config", "members": [{"index", "loss",
    "registry_name", "dataset", "seed", "hparams", "status", "diverged_step",
    "reason", "metrics"}], "ranking": [...], "verdicts": {metric: ...},
    "diagnoses": [...], "figures": [{"file", "caption"}]}`` with non-finite numbers
    as ``None`` (summary.json is strict JSON). ``threads``: the run's torch threads and
    why (:meth:`losslab.threads.ThreadChoice.record`), kept as ``"threads"`` (the int)
    and ``"threads_reason"``.
    """
    out_dir = Path(out_dir)
    fig_dir = out_dir / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    study = store.study(study_id)
    stored = store.members(study_id)
    record = store.tuning(study_id)
    split = tuned.split_members(stored, record) if record else None
    # the members the figures and tables show: a tuned study's finals (defaults, and the
    # tuned setting as "<loss> (tuned)" where it differs); its trials are in `tuning`
    members = split["shown"] if split else stored
    ranked = _staged(rank_by_dataset(split["default"] if split else members), "default")
    if split:
        ranked += _staged(rank_by_dataset(split["tuned"]), "tuned")
    # what the figures rank: the shown members (a tuned study's "<loss> (tuned)" among them)
    shown_ranked = rank_by_dataset(members) if split else ranked
    generative = any(
        get_loss(m["registry_name"]).family in GENERATIVE_FAMILIES for m in members
    )
    diagnoses: list[dict[str, Any]] = []
    if generative:
        data = load_loss_data(store, members)
        figures = write_figures(fig_dir, data, members, shown_ranked, store.samples)
        figures += write_figures_2d(fig_dir, store, members)
        figures += _image_figures(fig_dir, data, study["config"])
        diagnoses = diagnose(members, store.series, _n_modes(study["config"]))
    else:
        figures = _supervised_figures(fig_dir, members, shown_ranked)
    extra: dict[str, Any] = {}
    if split:
        n_modes = _n_modes(study["config"])
        tuning = tuned.tuning_section(record, n_modes)
        metric = record["metric"]
        figures += tuned.tuning_figures(fig_dir, tuning, metric, split)
        both = tuned.stage_verdicts(ranked, metric)
        k = record["trials_per_loss"]
        extra = {
            "tuning": tuning,
            "tuning_info": {
                **{key: record[key] for key in ("metric", "sampler", "search_seeds",
                                                "trials_per_loss")},
                "verdicts": both,
                "sentence": verdict_sentence(both["default"], both["tuned"], metric, k),
            },
            "verdicts_tuned": verdicts([e for e in ranked if e["stage"] == "tuned"]),
        }
    shown = split["shown"] + split["trials"] if split else members
    summary = strict_json(
        {
            "study": study["name"],
            "config": study["config"],
            "members": [_member_entry(m) for m in shown],
            "ranking": ranked,
            "verdicts": verdicts([e for e in ranked if e["stage"] == "default"]),
            **extra,
            "diagnoses": diagnoses,
            "diagnosis_thresholds": THRESHOLDS,
            "figures": [{"file": f"figures/{p.name}", "caption": c} for p, c in figures],
            "notes": _dataset_notes(study["config"]),
            "baselines": baselines_summary(shown),
            "intervals": INTERVAL_NOTE,
            # DESIGN.md's contract: "threads" is the int; the sentence sits beside it
            **(
                {"threads": threads["torch"], "threads_reason": threads["reason"]}
                if threads is not None
                else {}
            ),
        }
    )
    text = json.dumps(summary, indent=2, allow_nan=False)
    (out_dir / "summary.json").write_text(text + "\n", encoding="utf-8")
    write_html(
        out_dir / "report.html",
        summary,
        [p for p, _ in figures],
        {"database": store.path, "study id": study_id, **summary["notes"]},
    )
    return summary


def write_figures_2d(
    fig_dir: Path, store: RunStore, members: Sequence[dict[str, Any]]
) -> list[tuple[Path, str]]:
    """Scatter plots over training and critic contours, for 2-D data (seed 0 of each loss)."""
    first = {}
    for m in members:
        if m["status"] in SCORED:
            first.setdefault(m["loss"], m)
    arrays = {loss: store.samples(m["member_id"]) for loss, m in first.items()}
    arrays = {k: v for k, v in arrays.items() if any(n.startswith("generated@") for n in v)}
    if not arrays:
        return []
    reference = next(iter(arrays.values()))["reference"]
    scatter = {
        loss: {int(k.split("@")[1]): v for k, v in a.items() if k.startswith("generated@")}
        for loss, a in arrays.items()
    }
    out = [
        (
            plot_scatter_checkpoints(fig_dir / "scatter_checkpoints.png", reference, scatter),
            "Generated samples (seed 0 of each loss) over the real data at every checkpoint.",
        ),
        (
            plot_final_samples(
                fig_dir / "samples_final.png",
                reference,
                {loss: a.get("generated") for loss, a in arrays.items()},
            ),
            "Samples at the end of training, side by side (seed 0 of each loss).",
        ),
    ]
    critics = {
        loss: (a["critic"], a["critic_extent"], a.get("generated"))
        for loss, a in arrays.items()
        if a.get("critic") is not None
    }
    if critics:
        registry = {m["loss"]: m["registry_name"] for m in members}
        fields = {loss: _field_name(registry[loss]) for loss in critics}
        out.append(
            (
                plot_critic_contours(fig_dir / "critic_contours.png", reference, critics, fields),
                "The discriminator/critic (or the energy) at the end of training (seed 0), with "
                "real and generated samples: a GAN's generator is pushed to where the critic "
                "is high; an energy model's (and EBGAN's) samples settle where the energy is low.",
            )
        )
    return out


def _dataset_notes(config: dict) -> dict[str, str]:
    """Facts about the evaluation a reader needs (:meth:`Dataset.evaluation_notes`)."""
    notes: dict[str, str] = {}
    for _, dataset in _datasets(config):
        if dataset is not None:
            notes |= dataset.evaluation_notes()
    return notes


def _field_name(registry_name: str) -> str:
    """What the 2-D field of a loss's model is, for the contour panel's title."""
    spec = get_loss(registry_name)
    if spec.family == "energy":
        return "energy E(x)"
    if spec.training.get("discriminator") == "autoencoder":
        return "reconstruction energy D(x)"
    return "D / critic output"


def _image_figures(fig_dir: Path, data: dict[str, dict], config: dict) -> list[tuple[Path, str]]:
    """Sample grids for image datasets (each loss's pooled samples beside real images)."""
    out = []
    for _, dataset in _datasets(config):
        shape = getattr(dataset, "image_shape", None)
        if shape is None:
            continue
        refs = [d["reference"] for d in data.values() if d["reference"] is not None]
        if not refs:
            continue
        reference = refs[0]
        path = plot_sample_grids(
            fig_dir / "sample_grids.png",
            reference,
            {label: d["generated"] for label, d in data.items()},
            tuple(shape),
        )
        if path is not None:
            out.append(
                (
                    path,
                    "Generated images of each loss (pooled over its ok seeds) beside real ones.",
                )
            )
    return out
