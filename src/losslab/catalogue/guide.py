"""The guide page: from data characteristics to candidate losses, and the measured evidence.

:data:`GUIDE` maps a characteristic of the data to candidate losses. A candidate
is linked only if it is registered; losses of families still to come are named
as plain text with their family (a test fails once such a family arrives without
the name, so the guide follows the registry), so the page never links to a card that does
not exist. Below the table, every example study in ``examples/`` is shown with
its config and, if ``runs/<study>/summary.json`` exists, its ranking; otherwise
with the exact command that produces it.
"""

from __future__ import annotations

import html
import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from losslab.catalogue.markup import inline_html
from losslab.losses.registry import LossSpec


@dataclass(frozen=True)
class GuideRow:
    characteristic: str
    signs: str  # how to recognise it in the data
    candidates: tuple[tuple[str, str], ...]  # (registry name, family), best first
    why: str  # Markdown


ADV = "adversarial"
REG = "regression"
CLS = "classification"

GUIDE: tuple[GuideRow, ...] = (
    GuideRow(
        "1-D, unimodal",
        "One peak in the histogram, e.g. the study group's random 1-D numbers.",
        (
            ("nonsaturating-bce", ADV),
            ("wgan-gp", ADV),
            ("lsgan", ADV),
            ("hinge", ADV),
            ("minimax-bce", ADV),
            ("ddpm-eps", "diffusion"),
        ),
        "Every adversarial loss can fit one bump; what differs is stability and speed. "
        "`minimax-bce` is the cautionary case: its generator gradient $-\\sigma(\\ell)$ "
        "vanishes while the discriminator wins. The `seed-1d` study below measures them "
        "side by side.",
    ),
    GuideRow(
        "Multimodal; mode-collapse risk",
        "Several separated peaks or clusters; generated samples pile up in a few of them.",
        (
            ("wgan-gp", ADV),
            ("wgan-clip", ADV),
            ("contrastive-divergence", "energy"),
            ("ddpm-eps", "diffusion"),
        ),
        "JSD-based losses give no signal between disjoint supports and tend to drop modes; "
        "the Wasserstein critic still points toward uncovered mass. The hinge generator "
        "reads as the mode-seeking reverse KL. Likelihood-style training (energy, diffusion) "
        "covers modes by construction.",
    ),
    GuideRow(
        "Heavy tails",
        "Kurtosis well above 3; rare values many standard deviations from the centre.",
        (("huber", REG), ("mae", REG), ("log-cosh", REG), ("wgan-gp", ADV)),
        "For supervised targets, squared errors let a few extreme values dominate the fit "
        "(MSE's breakdown point is 0); Huber, MAE and log-cosh grow linearly in the tails. "
        "For generation, $W_1$ charges for mass by the distance it must travel, so missing "
        "tails cost the generator; JSD only sees overlap.",
    ),
    GuideRow(
        "Bounded or low-dimensional support",
        "Values confined to an interval, a manifold or a few discrete values.",
        (("wgan-gp", ADV), ("wgan-clip", ADV), ("ddpm-x0", "diffusion")),
        "When real and generated supports do not overlap, $\\mathrm{JSD}=\\log 2$ is "
        "constant and the BCE losses give no useful gradient (Arjovsky & Bottou 2017); $W_1$ "
        "stays continuous. Squash the generator's output into the interval if values outside "
        "it are impossible.",
    ),
    GuideRow(
        "Unstable adversarial training",
        "D's loss near 0, G's gradients vanishing, samples oscillating during training or "
        "results varying widely between seeds.",
        (("nonsaturating-bce", ADV), ("wgan-gp", ADV), ("hinge", ADV), ("lsgan", ADV)),
        "The non-saturating generator keeps slope $-1$ for rejected fakes; the WGAN-GP "
        "critic loss tracks sample quality; hinge and least squares do not saturate.",
    ),
    GuideRow(
        "Class imbalance",
        "Some labels much rarer than others; the metric is balanced accuracy or macro-F1.",
        (("class-weighted-ce", CLS), ("focal", CLS)),
        "Under imbalance the majority classes dominate the `softmax-ce` average. "
        "`class-weighted-ce` reweights by inverse class frequency so the objective matches "
        "balanced metrics; `focal` lets the rare hard examples drive training (but it "
        "up-weights mislabelled examples too).",
    ),
    GuideRow(
        "Label noise",
        "Labels known to be partly wrong; training accuracy far above validation accuracy.",
        (("label-smoothing-ce", CLS), ("mse-probabilities", CLS)),
        "Label smoothing caps the confidence the loss asks for, so a wrong label costs less; "
        "a bounded loss (MSE on probabilities, at most 2 per example) limits what a few "
        "mislabelled points can do, at the price of slower learning. Avoid `focal` here.",
    ),
    GuideRow(
        "Outliers in the targets",
        "A few residuals far larger than the rest.",
        (("huber", REG), ("mae", REG), ("log-cosh", REG), ("quantile", REG)),
        "MSE grows quadratically, so one outlier outweighs many inliers; Huber is quadratic "
        "near 0 and linear beyond $\\delta$; MAE estimates the median and has breakdown "
        "point 1/2.",
    ),
    GuideRow(
        "Heteroscedastic noise",
        "The spread of the target changes with the input.",
        (("gaussian-nll", REG), ("quantile", REG)),
        "Gaussian NLL learns a variance per input and weights noisy regions down; quantile "
        "(pinball) losses give prediction intervals without assuming a distribution.",
    ),
)


def loss_href(spec: LossSpec) -> str:
    """Where a loss's card lives in the generated site."""
    return f"{family_file(spec.family)}#{spec.name}"


def family_file(family: str) -> str:
    return "".join(c if c.isalnum() or c == "-" else "-" for c in family.lower()) + ".html"


def _candidates_html(row: GuideRow, registry: dict[str, LossSpec]) -> str:
    """Registered candidates as links; the others as plain text, marked 'to come'."""
    items = [
        f'<a href="{loss_href(registry[name])}"><code>{html.escape(name)}</code></a>'
        if name in registry
        else f'<span class="to-come"><code>{html.escape(name)}</code> '
        f"({html.escape(family)}, to come)</span>"
        for name, family in row.candidates
    ]
    return ", ".join(items) or "&mdash;"


def _rel(target: Path, out_dir: Path) -> str:
    return Path(os.path.relpath(target.resolve(), out_dir.resolve())).as_posix()


def _number(value: Any) -> str:
    return "&mdash;" if value is None else f"{value:.4g}"


def _ranking_html(summary: dict[str, Any], registry: dict[str, LossSpec]) -> str:
    names = {m.get("loss"): m.get("registry_name", m.get("loss")) for m in summary["members"]}
    by_metric: dict[str, list[dict[str, Any]]] = {}
    for entry in summary.get("ranking", []):
        by_metric.setdefault(entry["metric"], []).append(entry)
    parts = []
    for metric, entries in by_metric.items():
        rows = []
        for e in entries:
            spec = registry.get(names.get(e["loss"], e["loss"]))
            loss = html.escape(e["loss"])
            loss = f'<a href="{loss_href(spec)}">{loss}</a>' if spec else loss
            lo, hi = (e.get("ci95") or [None, None])[:2]
            rank = "&mdash;" if e.get("rank") is None else str(e["rank"])
            rows.append(
                f"<tr><td>{rank}</td><td>{loss}</td><td>{_number(e.get('mean'))}</td>"
                f"<td>[{_number(lo)}, {_number(hi)}]</td><td>{e.get('n', '')}</td></tr>"
            )
        parts.append(
            f"<h4>{html.escape(metric)}</h4><table><thead><tr><th>rank</th><th>loss</th>"
            f"<th>mean</th><th>95% CI</th><th>n</th></tr></thead><tbody>{''.join(rows)}"
            "</tbody></table>"
        )
    return "\n".join(parts)


def _study_html(config: Path, root: Path, out_dir: Path, registry: dict[str, LossSpec]) -> str:
    text = config.read_text(encoding="utf-8")
    study = tomllib.loads(text).get("study", {})
    name = str(study.get("name", config.stem))
    run_dir = root / "runs" / name
    command = f"losslab run examples/{config.name} --out runs/{name}"
    out = [
        f"<h3>{html.escape(name)}</h3>",
        f"<p>{html.escape(str(study.get('description', '')))} "
        f'(config: <a href="{_rel(config, out_dir)}"><code>examples/{html.escape(config.name)}'
        "</code></a>)</p>",
        f"<details><summary>The config</summary><pre><code>{html.escape(text)}</code></pre>"
        "</details>",
    ]
    summary_path = run_dir / "summary.json"
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        summary = None
    if summary is None:
        out.append(
            f"<p>Not measured yet in this checkout. Produce the results with "
            f"<code>{html.escape(command)}</code>, then rebuild these pages with "
            "<code>losslab docs</code>.</p>"
        )
        return "\n".join(out)
    report = run_dir / "report.html"
    link = f' Full report: <a href="{_rel(report, out_dir)}">report.html</a>.' * report.exists()
    out.append(
        f"<p>Measured results from <code>runs/{html.escape(name)}/summary.json</code>, "
        f"produced by <code>{html.escape(command)}</code>. Each metric is ranked best first; "
        f"mean and 95% confidence interval over seeds.{link}</p>"
    )
    out.append(_ranking_html(summary, registry))
    return "\n".join(out)


def guide_body(registry: dict[str, LossSpec], root: Path, out_dir: Path) -> str:
    """The guide page's body HTML; ``root`` holds ``examples/`` and ``runs/``."""
    rows = "".join(
        f"<tr><th>{html.escape(r.characteristic)}</th><td>{html.escape(r.signs)}</td>"
        f"<td>{_candidates_html(r, registry)}</td><td>{inline_html(r.why)}</td></tr>"
        for r in GUIDE
    )
    # the "to come" note only while some candidate's family has not arrived yet
    missing = any(name not in registry for r in GUIDE for name, _ in r.candidates)
    to_come = (
        " Names marked <em>to come</em> belong to loss families that are not in the "
        "catalogue yet." if missing else ""
    )
    configs = sorted((root / "examples").glob("*.toml"))
    studies = [_study_html(c, root, out_dir, registry) for c in configs] or [
        "<p>No example study configs found in <code>examples/</code>.</p>"
    ]
    return (
        "<h1>From data characteristics to candidate losses</h1>"
        "<p>Find the characteristic that describes your data, read why the candidates fit, "
        "then check the claim: run a study in which only the loss changes "
        "(<code>losslab run CONFIG</code>) and read the ranking. Candidates are listed "
        f"roughly best first.{to_come}</p>"
        '<table class="guide"><thead><tr><th>characteristic</th><th>how to recognise it</th>'
        f"<th>candidate losses</th><th>why</th></tr></thead><tbody>{rows}</tbody></table>"
        "<h2>Example studies and their measured results</h2>" + "\n".join(studies)
    )
