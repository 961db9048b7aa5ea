"""``report.html`` of a recommendation: one self-contained page styled like the study
report (its CSS, tables and per-metric ranking sections with the paired tests).

Every string from the user or the data goes through :func:`html.escape`.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from losslab.report.html import CSS, html_table, loss_link, ranking_section

if TYPE_CHECKING:
    from losslab.study.recommendation import RecommendResult


def _cell(x: Any) -> str:
    if x is None or x is pd.NA or (isinstance(x, float) and x != x):
        return '<td class="num">—</td>'
    if isinstance(x, float):
        return f'<td class="num">{x:.4g}</td>'
    return f"<td>{escape(str(x))}</td>"


def _table_section(res: RecommendResult) -> str:
    df = res.table
    head = list(df.columns)
    rows = []
    for rec in df.to_dict(orient="records"):
        cells = []
        for col in head:
            if col == "loss":
                cells.append(f"<td>{loss_link(rec['loss'], rec['loss'])}</td>")
            else:
                cells.append(_cell(rec[col]))
        rows.append(cells)
    return html_table(head, rows, cls="ranking")


def _profile_section(res: RecommendResult) -> str:
    p = res.profile
    rows = [
        [
            escape(c),
            *(_cell(v[i]) for v in (p.mean, p.std, p.min, p.max, p.skewness, p.excess_kurtosis)),
        ]
        for i, c in enumerate(p.columns)
    ]
    table = html_table(["column", "mean", "std", "min", "max", "skewness", "excess kurtosis"], rows)
    facts = [
        f"{p.n} rows x {p.dim} columns",
        f"modes: {p.modes} ({escape(p.modes_method)})"
        + (f"; <strong>not a count of modes</strong>: {escape(p.modes_caveat)}"
           if p.modes_caveat else ""),
        f"rows with a feature outlier (robust |z| &gt; 3.5): {p.feature_outlier_fraction:.1%}",
    ]
    if p.discrete:
        facts.append("discrete columns: " + escape(", ".join(p.discrete)))
    if p.bounded:
        facts.append("bounded columns: " + escape(", ".join(p.bounded)))
    if p.task == "classify":
        facts.append(
            "class counts: "
            + escape(", ".join(f"{c}: {k}" for c, k in zip(p.classes, p.class_counts, strict=True)))
            + f" (largest/smallest {p.imbalance_ratio:.2f})"
        )
        facts.append(f"class overlap (5-NN cross-validated error): {p.overlap:.1%}")
    if p.task == "regress":
        facts.append(
            f"linear-fit residuals: {p.outlier_fraction:.1%} outliers (robust |z| "
            f"&gt; 3.5), skewness {p.residual_skewness:.2f}, excess kurtosis "
            f"{p.residual_excess_kurtosis:.2f}"
        )
        facts.append(f"Breusch-Pagan (Koenker) heteroscedasticity p = {p.heteroscedasticity_p:.3g}")
    facts.append("characteristics: " + escape(", ".join(p.flags()) or "none"))
    return "<h2>Profile</h2>\n<ul>" + "".join(f"<li>{f}</li>" for f in facts) + "</ul>\n" + table


def _race_section(res: RecommendResult) -> str:
    rows = [
        [
            _cell(r.index),
            _cell(r.steps),
            _cell(r.seeds),
            escape(", ".join(r.candidates)),
            escape(r.split),
            escape(", ".join(r.kept) if not r.final else "—"),
            _cell(round(r.seconds, 2)),
        ]
        for r in res.race.rounds
    ]
    header = ["round", "steps", "seeds", "candidates", "scored on", "kept", "seconds"]
    table = html_table(header, rows)
    notes = "".join(f'<p class="note">{escape(n)}</p>' for n in res.race.notes)
    rules = "".join(f"<li>{escape(r)}</li>" for r in res.plan.rules)
    return (
        "<h2>Candidates and race</h2>\n"
        f"<p>Rules applied (see <code>losslab.study.candidates</code>):</p><ul>{rules}</ul>"
        "<p>Successive halving: every candidate trains briefly on 2 seeds; the better half by "
        "the score on validation rows trains again for longer; the finalists train on at "
        "least 3 seeds and are scored on test rows no earlier decision has seen. Members with "
        "the same seed share data, initial weights and noise, so the comparison is paired. "
        + (
            "Supervised members stop early: their own loss on the validation rows is measured "
            "every steps/20 steps, a member stops after 5 measurements without a new low, "
            "and the checkpoint at its lowest validation loss is the one scored. "
            if res.task != "generate" else ""
        )
        + "A recommendation needs a final round of at least "
        f"{res.race.min_final_steps} steps and a race that ends within 120% of its "
        "budget; it also needs the best finalist to beat every baseline.</p>"
        + table
        + notes
        + f'<p class="note">{res.seconds:.1f} s of a {res.budget:g} s budget.</p>'
    )


def write_figures(folder: Path, res: RecommendResult) -> list[tuple[str, str]]:
    """The figures of a recommendation in ``folder``, as ``(file name, caption)``:

    * generative: each finalist's samples (seed 0) over the held-out test rows they were
      scored against (``samples_final.png``; 2-D scatter, 1-D histograms; the first two
      columns of wider data), in the standardised units the race trains in;
    * regression: each finalist's test predictions against the true targets (seed 0,
      ``predicted_vs_true.png``);
    * supervised: each finalist's own loss on the validation rows over training, mean and
      band over the final seeds (``validation_curves.png``): where it turns up, the network
      overfits, and early stopping scored the checkpoint at its lowest point.
    """
    from losslab.report import figures as fig
    from losslab.report.figures2d import plot_final_samples

    race = res.race
    out: list[tuple[str, str]] = []
    folder.mkdir(parents=True, exist_ok=True)
    if race.samples and race.reference is not None:
        ref = np.asarray(race.reference, dtype=np.float64)
        gen = {k: np.asarray(v, dtype=np.float64) for k, v in race.samples.items()}
        path = folder / "samples_final.png"
        if ref.ndim == 1 or ref.shape[1] == 1:
            fig.plot_histograms(path, {k: (ref, v) for k, v in gen.items()})
        else:
            plot_final_samples(path, ref[:, :2], {k: v[:, :2] for k, v in gen.items()})
        out.append((path.name, "Each finalist's generated samples (red, seed 0) over the "
                    "held-out test rows (grey), standardised units" +
                    ("; the first two columns" if ref.ndim == 2 and ref.shape[1] > 2 else "")))
    if race.predictions:
        path = folder / "predicted_vs_true.png"
        _plot_predicted_vs_true(path, race.predictions)
        out.append((path.name, "Each finalist's predictions (seed 0) against the true targets "
                    "of the test rows; on the diagonal a prediction is exact"))
    curves = {k: v for k, v in race.curves.items() if v[1]}
    if curves:
        panels = [
            (loss, "own loss on validation rows",
             [(loss, (np.asarray(steps), np.asarray(vals)))], False)
            for loss, (steps, vals) in curves.items()
        ]
        path = folder / "validation_curves.png"
        fig.plot_panels(path, "Finalists: validation loss over training", panels)
        out.append((path.name, "Each finalist's own loss on the validation rows over the "
                    "final round (mean over seeds, shaded ±1 std); the scored checkpoint is "
                    "each member's lowest point (early stopping)"))
    return out


def _plot_predicted_vs_true(path: Path, predictions: dict[str, tuple[Any, Any]]) -> Path:
    """One panel per finalist: test target (x) against prediction (y), one shared range
    and the diagonal ``y = x``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pairs = {k: (np.asarray(t, float), np.asarray(p, float)) for k, (t, p) in predictions.items()}
    values = np.concatenate([np.concatenate(v) for v in pairs.values()])
    values = values[np.isfinite(values)]
    lo, hi = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
    pad = 0.05 * (hi - lo or 1.0)
    n = len(pairs)
    fig, axes = plt.subplots(1, n, figsize=(3.4 * n, 3.4), squeeze=False, sharex=True,
                             sharey=True)
    for ax, (loss, (t, p)) in zip(axes.flat, pairs.items(), strict=True):
        ax.scatter(t, p, s=6, alpha=0.6, linewidths=0)
        ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="0.4", lw=1, ls="--")
        ax.set_xlim(lo - pad, hi + pad)
        ax.set_ylim(lo - pad, hi + pad)
        ax.set_title(loss, fontsize=10)
        ax.set_xlabel("true target")
    axes[0, 0].set_ylabel("prediction")
    fig.suptitle("Predicted vs true on the test rows (seed 0)", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _figures_section(figures: list[tuple[str, str]]) -> str:
    if not figures:
        return ""
    items = "".join(
        f'<figure><img src="figures/{escape(name)}" alt="{escape(caption)}" '
        f'style="max-width:100%"><figcaption>{escape(caption)}</figcaption></figure>'
        for name, caption in figures
    )
    return f"<h2>Figures</h2>{items}"


def render(res: RecommendResult, figures: list[tuple[str, str]] | None = None) -> str:
    name = escape(res.profile.source)
    reasons = "".join(f"<li>{escape(r)}</li>" for r in res.reasons)
    body = [
        f"<h1>losslab recommend: {name}</h1>",
        f'<p class="verdict">{escape(res.recommendation)}</p>',
        f"<h2>Why</h2><ul>{reasons}</ul>",
        f"<h2>Ranked table</h2><p>Score: <strong>{escape(res.metric)}</strong> — "
        f"{escape(res.plan.metric_reason)}. Finalists: mean and 95% CI over seeds on the test "
        "rows; candidates dropped earlier: their last round, on validation rows (shorter "
        "training, not comparable with the finalists' numbers); baselines (stage "
        "<em>baseline</em>): simple models fitted on each final seed's training rows and "
        "scored on the same test rows; a finalist must beat every one to be recommended "
        "(column <code>beats_baselines</code>).</p>",
        _table_section(res),
        _figures_section(figures or []),
        ranking_section(res.ranking),
        _profile_section(res),
        _race_section(res),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>losslab recommend: {name}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def write_report(path: Path, res: RecommendResult) -> Path:
    """``report.html`` at ``path``, its figures in ``figures/`` beside it."""
    path = Path(path)
    figures = write_figures(path.parent / "figures", res)
    path.write_text(render(res, figures), encoding="utf-8")
    return path
