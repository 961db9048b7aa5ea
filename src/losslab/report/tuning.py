r"""Tuning curves: the best score one can expect after k tuning trials, with confidence bands.

A tuned study gives every loss the same number :math:`n` of tuning trials (random search
over its knobs and learning rate). Each trial has one score :math:`v` (a metric's mean over
the trial's seeds; NaN when the trial diverged). Comparing losses by their single best
trial rewards luck; comparing them at paper defaults rewards the paper. The tuning curve
answers the fair question — *how good is this loss after k trials?* — for every
:math:`k = 1..n` (Dodge et al. 2019, "Show Your Work: Improved Reporting of Experimental
Results", EMNLP; Lourie et al. 2024, "Show Your Work with Confidence: Confidence Bands for
Tuning Curves", NAACL, and their ``opda`` package).

Two curves are reported per loss:

* the **expected best of k** (:func:`expected_best`): the mean, over all :math:`\binom nk`
  ways to draw k of the n observed trials *without replacement*, of the best of the k. It
  is a U-statistic, so it is **unbiased** for the expected best of k fresh trials for every
  :math:`k \le n` (Dodge et al.'s with-replacement form is biased towards the observed
  maximum);
* the **median tuning curve** with a **simultaneous** confidence band (Lourie et al.): the
  median of the best of k, :math:`F^{-1}(0.5^{1/k})` when maximising (the best of k i.i.d.
  trials has CDF :math:`F^k`), :math:`F^{-1}(1 - 0.5^{1/k})` when minimising (CDF
  :math:`1 - (1 - F)^k`), read off the empirical CDF. Its band comes from a simultaneous
  band for the CDF :math:`F` itself (opda's Learned-Miller–DeStefano equal-tailed band,
  exact coverage for a continuous :math:`F`): whenever the CDF band covers :math:`F`, the
  curves read off its two edges cover the true median curve *at every k at once*, so the
  band's coverage over the whole curve is at least ``confidence``. The quantile function
  falls as the CDF rises, so the **upper** CDF band gives the **lower** curve and the lower
  CDF band the upper one, when maximising and when minimising alike: ``low <= median <=
  high`` numerically in both directions.

Every number leaves this module JSON-safe: non-finite values become ``None``. The figures
(matplotlib, Agg) take the ``tuning`` section of ``summary.json`` as plain data.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from opda.nonparametric import EmpiricalDistribution  # noqa: E402

from losslab.report.figures import DPI  # noqa: E402
from losslab.report.stats import direction, finite_or_none, metric_ci95  # noqa: E402

CONFIDENCE = 0.8
"""Default confidence of the simultaneous band around the median tuning curve."""
BAND_METHOD = "ld_equal_tailed"
"""opda's CDF band: Learned-Miller–DeStefano, equal-tailed beta intervals, made simultaneous."""


# -- estimators ------------------------------------------------------------------------


def _worst_first(values: Sequence[float], minimize: bool) -> list[float]:
    """The values sorted from worst to best, NaN (diverged) first as the worst of all."""
    x = [math.nan if v is None else float(v) for v in values]
    nans = [v for v in x if math.isnan(v)]
    finite = sorted((v for v in x if not math.isnan(v)), reverse=minimize)
    return nans + finite


def expected_best(values: Sequence[float], k: int, minimize: bool) -> float:
    r"""Expected best of ``k`` trials drawn without replacement from the ``n`` observed ones.

    With the values sorted from worst to best, :math:`v_{(1)}, \dots, v_{(n)}`, the best of
    a random k-subset is :math:`v_{(i)}` exactly when the subset holds trial :math:`i` and
    :math:`k-1` of the :math:`i-1` worse ones, so

    .. math::

        \hat E_k = \sum_{i=k}^{n} v_{(i)} \binom{i-1}{k-1} \Big/ \binom{n}{k},

    the U-statistic of Dodge et al. (2019) in the unbiased form of Lourie et al. (2024) —
    unbiased for every :math:`k \le n`. The weights are ratios of exact integers
    (:func:`math.comb`), each correctly rounded, and the sum is :func:`math.fsum`, so the
    result stays exact to rounding for n in the hundreds.

    A NaN or ``None`` (diverged) trial counts as worse than every value. If some k-subset
    consists of NaN trials only (``k`` <= the number of NaNs), its best is NaN and so is the
    expectation.
    ``k`` must be in ``1..n``.
    """
    v = _worst_first(values, minimize)
    n = len(v)
    if not 1 <= k <= n:
        raise ValueError(f"k must be in 1..{n} (the number of trials), not {k}")
    total = math.comb(n, k)
    # only i >= k carries weight; skipping the rest keeps an ignored +-inf from making NaN
    return math.fsum(v[i - 1] * (math.comb(i - 1, k - 1) / total) for i in range(k, n + 1))


@functools.cache
def _rank_bands(n: int, confidence: float) -> tuple[EmpiricalDistribution, EmpiricalDistribution]:
    """opda's simultaneous CDF band for n trials, built once on the ranks ``1..n``.

    The band's weights depend only on ``(n, confidence)`` and the generator that simulates
    its critical value (a fresh ``default_rng(0)``: deterministic). Quantiles commute with
    increasing maps, so the band's curves for any sample are the rank curves mapped through
    the sorted sample (:func:`_band_curve`); this spares a 100 000-draw simulation per loss.
    """
    ranks = np.arange(1.0, n + 1.0)
    lower, _, upper = EmpiricalDistribution.confidence_bands(
        ranks,
        confidence,
        a=0.0,
        b=n + 1.0,
        generator=np.random.default_rng(0),
        method=BAND_METHOD,
        n_jobs=1,
    )
    return lower, upper


def _band_curve(
    band: EmpiricalDistribution, extended: np.ndarray, ks: np.ndarray, minimize: bool
) -> np.ndarray:
    """A rank band's median tuning curve, mapped to values: rank r -> ``extended[r]``."""
    ranks = band.quantile_tuning_curve(ks, q=0.5, minimize=minimize)
    return extended[np.rint(ranks).astype(int)]


def tuning_curve(
    values: Sequence[float],
    minimize: bool,
    confidence: float = CONFIDENCE,
    bounds: tuple[float, float] = (-math.inf, math.inf),
) -> list[dict[str, Any]]:
    r"""The tuning curve of one loss: ``[{"k", "expected_best", "median", "low", "high"}]``.

    One entry per :math:`k = 1..n` for the ``n`` trial scores ``values``:

    * ``expected_best`` — :func:`expected_best` (unbiased for :math:`k \le n`; Dodge et al.
      2019, Lourie et al. 2024);
    * ``median`` — the median tuning curve, the median of the best of k under the empirical
      CDF :math:`\hat F`: :math:`\hat F^{-1}(0.5^{1/k})` when maximising,
      :math:`\hat F^{-1}(1 - 0.5^{1/k})` when minimising (opda's
      ``quantile_tuning_curve(k, q=0.5)``, quantile :math:`\inf\{y : p \le \hat F(y)\}`);
    * ``low``, ``high`` — the ``confidence`` band of the median curve (Lourie et al. 2024),
      read off opda's ``confidence_bands(..., method="ld_equal_tailed")`` CDF band: ``low``
      from its upper edge, ``high`` from its lower edge, so ``low <= median <= high`` in
      both directions. The band is **simultaneous over k**: with probability at least
      ``confidence`` it covers the true median curve at every k at once (exact for the
      CDF when the score is continuous; ties, e.g. several diverged trials, make it
      approximate).

    ``bounds = (a, b)`` is the metric's natural support (``(0, inf)`` for a distance,
    ``(0, 8)`` for modes captured of 8, ``(0, 1)`` for a fraction); the band reaches
    ``a`` or ``b`` where the data cannot bound it. For the median curve and its band a
    **diverged (NaN) trial is replaced by the worst value of the support** — ``b`` when
    minimising, ``a`` when maximising — while ``expected_best`` keeps NaN as "worse than
    everything" and is undefined (``None``) whenever k diverged trials could be drawn.
    Non-finite results (NaN, or a band edge at an infinite bound) are ``None``.
    The band's critical value is simulated by opda with ``numpy.random.default_rng(0)``,
    so the curves are deterministic.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), not {confidence}")
    a, b = float(bounds[0]), float(bounds[1])
    if not a < b:
        raise ValueError(f"bounds must be (low, high) with low < high, not {bounds}")
    raw = np.asarray([math.nan if v is None else float(v) for v in values], dtype=np.float64)
    outside = raw[~np.isnan(raw) & ((raw < a) | (raw > b))]
    if outside.size:
        raise ValueError(f"trial value {outside[0]:g} lies outside the bounds {bounds}")
    n = raw.size
    if n == 0:
        return []
    ys = np.where(np.isnan(raw), b if minimize else a, raw)
    ks = np.arange(1, n + 1)
    median = EmpiricalDistribution(ys, a=a, b=b).quantile_tuning_curve(ks, q=0.5, minimize=minimize)
    lower_cdf, upper_cdf = _rank_bands(n, float(confidence))
    extended = np.concatenate([[a], np.sort(ys), [b]])
    low = _band_curve(upper_cdf, extended, ks, minimize)
    high = _band_curve(lower_cdf, extended, ks, minimize)
    return [
        {
            "k": int(k),
            "expected_best": finite_or_none(expected_best(raw, int(k), minimize)),
            "median": finite_or_none(median[i]),
            "low": finite_or_none(low[i]),
            "high": finite_or_none(high[i]),
        }
        for i, k in enumerate(ks)
    ]


# -- figures ---------------------------------------------------------------------------


def _save(fig, path: Path, layout: bool = True) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if layout:
        fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def _no_data(ax, text: str = "no data") -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="gray")


def _better(minimize: bool) -> str:
    return "lower is better" if minimize else "higher is better"


def _colors(labels: Sequence[str]) -> dict[str, str]:
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    return {label: cycle[i % len(cycle)] for i, label in enumerate(labels)}


def _column(curve: Sequence[Mapping[str, Any]], key: str) -> np.ndarray:
    return np.array(
        [math.nan if c.get(key) is None else float(c[key]) for c in curve], dtype=np.float64
    )


def plot_tuning_curves(
    tuning: Mapping[str, Mapping[str, Any]],
    metric: str,
    minimize: bool,
    path: Path,
    confidence: float = CONFIDENCE,
) -> Path:
    """Every loss's tuning curve on one plot: x = trials k, y = ``metric``.

    Per loss (one colour each): the median tuning curve (solid) with its simultaneous
    ``confidence`` band (shaded) and the expected best of k (dashed). ``tuning`` is
    ``summary.json``'s ``tuning`` section (``{loss: {"curve": [{"k", "expected_best",
    "median", "low", "high"}], ...}}``). A band edge that is ``None`` (it reached an
    infinite bound of the metric's support) is drawn to the plot's edge; a loss with no
    finite median or expected best (every trial diverged) is listed in the legend as such.
    """
    fig, ax = plt.subplots(figsize=(10, 4.5))
    colors = _colors(list(tuning))
    finite: list[np.ndarray] = []
    curves: list[np.ndarray] = []
    bands: list[tuple[np.ndarray, np.ndarray, np.ndarray, str]] = []
    kmax = 1
    for loss, entry in tuning.items():
        curve = entry.get("curve") or []
        color = colors[loss]
        k = _column(curve, "k")
        med, best = _column(curve, "median"), _column(curve, "expected_best")
        low, high = _column(curve, "low"), _column(curve, "high")
        kmax = max(kmax, len(curve))
        if not np.any(np.isfinite(np.concatenate([med, best]))):  # every trial diverged
            ax.plot([], [], color=color, label=f"{loss} (no finite trial)")
            continue
        ax.plot(k, med, color=color, lw=1.8, marker="o", ms=3, label=f"{loss}: median")
        ax.plot(k, best, color=color, lw=1.4, ls="--", label=f"{loss}: expected best")
        finite.extend([med, best, low, high])
        curves.extend([med, best])
        bands.append((k, low, high, color))
    if not bands:
        _no_data(ax)
    else:
        values = np.concatenate(finite)
        values = values[np.isfinite(values)]
        lo, hi = float(values.min()), float(values.max())
        pad = 0.05 * (hi - lo) if hi > lo else max(abs(hi), 1.0) * 0.05
        bottom, top = lo - pad, hi + pad
        core = np.concatenate(curves)
        core = core[np.isfinite(core)]
        # curves that span decades (an untuned critic can sit 100x off): a log axis, the
        # bands cut at its bottom
        if core.size and core.min() > 0 and core.max() / core.min() > 30:
            ax.set_yscale("log")
            bottom, top = float(core.min()) / 1.5, hi * 1.3
        for k, low, high, color in bands:
            ax.fill_between(
                k,
                np.where(np.isfinite(low), np.maximum(low, bottom), bottom),
                np.where(np.isfinite(high), high, top),
                color=color,
                alpha=0.18,
                lw=0,
            )
        ax.set_ylim(bottom, top)
        ax.legend(
            fontsize=8, title=f"shaded: {confidence:.0%} band of the median", title_fontsize=8,
            loc="upper left", bbox_to_anchor=(1.01, 1.0),
        )
    ax.set_xlim(0.7, kmax + 0.3)
    ax.set_xticks(
        range(1, kmax + 1) if kmax <= 20 else np.unique(np.linspace(1, kmax, 11).astype(int))
    )
    ax.set_xlabel("tuning trials k")
    ax.set_ylabel(f"best {metric} after k trials")
    ax.set_title(
        f"Tuning curves: {metric} ({_better(minimize)}); median with simultaneous "
        f"{confidence:.0%} band, dashed: expected best",
        fontsize=10,
    )
    ax.grid(alpha=0.3)
    return _save(fig, path)


def _is_best(trial: Mapping[str, Any], best_params: Mapping[str, Any] | None) -> bool:
    return bool(best_params) and dict(trial.get("params") or {}) == dict(best_params)


def _best_index(trials: Sequence[Mapping[str, Any]], entry: Mapping[str, Any], minimize: bool):
    """The selected trial: the one whose params are ``best_params``, else the best value."""
    for i, t in enumerate(trials):
        if _is_best(t, entry.get("best_params")):
            return i
    scored = [(float(t["value"]), i) for i, t in enumerate(trials) if t.get("value") is not None]
    if not scored:
        return None
    return (min if minimize else max)(scored)[1]


def _knob_x(spec: Mapping[str, Any], values: Sequence[Any]) -> tuple[np.ndarray, list[Any]]:
    """x positions for one knob: the number itself, or the index among ``choices``."""
    if "choices" in spec:
        choices = list(spec["choices"])
        for v in values:
            if v is not None and v not in choices:
                choices.append(v)
        x = [math.nan if v is None else float(choices.index(v)) for v in values]
        return np.asarray(x, dtype=np.float64), choices
    x = [math.nan if v is None or isinstance(v, str) else float(v) for v in values]
    return np.asarray(x, dtype=np.float64), []


def _sensitivity_panel(ax, entry, knob, spec, color, minimize) -> None:
    trials = list(entry.get("trials") or [])
    x, choices = _knob_x(spec, [(t.get("params") or {}).get(knob) for t in trials])
    if choices:
        x = x + np.random.default_rng(0).uniform(-0.12, 0.12, size=x.size)  # jitter only
    y = np.array(
        [math.nan if t.get("value") is None else float(t["value"]) for t in trials],
        dtype=np.float64,
    )
    log = bool(spec.get("log")) and not choices
    if log:
        x = np.where(x > 0, x, math.nan)
    has_x = np.isfinite(x)
    ok, diverged = has_x & np.isfinite(y), has_x & ~np.isfinite(y)
    ax.scatter(x[ok], y[ok], s=20, color=color, alpha=0.75, zorder=2)
    best = _best_index(trials, entry, minimize)
    for i, style in (
        (0, dict(marker="s", s=70, facecolors="none", edgecolors="black")),
        (best, dict(marker="*", s=160, color="gold", edgecolors="black")),
    ):
        if i is not None and i < len(trials) and ok[i]:
            ax.scatter([x[i]], [y[i]], zorder=3, lw=1.0, **style)
    if np.any(diverged):  # at the worst edge of the panel: top when lower is better
        if np.any(ok):  # headroom, so the edge row stands clear of the finite trials
            bottom, top = ax.get_ylim()
            room = 0.15 * (top - bottom)
            ax.set_ylim((bottom, top + room) if minimize else (bottom - room, top))
        edge = 0.96 if minimize else 0.04
        ax.scatter(
            x[diverged],
            np.full(int(diverged.sum()), edge),
            marker="x",
            color="firebrick",
            s=40,
            transform=ax.get_xaxis_transform(),
            clip_on=False,
            zorder=3,
        )
    if not np.any(ok):
        ax.set_yticks([])
        ax.text(
            0.5,
            0.5,
            "no finite trial",
            ha="center",
            va="center",
            transform=ax.transAxes,
            color="gray",
            fontsize=8,
        )
    if log:
        ax.set_xscale("log")
    if choices:
        ax.set_xticks(range(len(choices)), [str(c) for c in choices])
        ax.set_xlim(-0.5, len(choices) - 0.5)
    elif "low" in spec and "high" in spec and spec["low"] is not None and spec["high"] is not None:
        lo, hi = float(spec["low"]), float(spec["high"])
        span = np.concatenate([[lo, hi], x[has_x]])
        if log:
            ax.set_xlim(span.min() / 1.3, span.max() * 1.3)
        else:
            pad = 0.05 * (span.max() - span.min() or 1.0)
            ax.set_xlim(span.min() - pad, span.max() + pad)
    ax.set_xlabel(knob + (" (log)" if log else ""))
    ax.grid(alpha=0.3)


def plot_sensitivity(tuning: Mapping[str, Mapping[str, Any]], metric: str, path: Path) -> Path:
    """Sensitivity of each loss to each searched knob: trial ``metric`` against the knob.

    One row per loss, one panel per knob of its ``space`` (log x-axis where the space says
    ``"log": true``; a knob with ``choices`` is drawn as points over its choices). Marked:
    the paper-default trial (trial 0, open square) and the selected trial (the one whose
    params are ``best_params``, star). A diverged trial (value ``None``) is an ``x`` at the
    panel's worst edge (top when lower is better). Direction from :func:`stats.direction`.
    """
    minimize = direction(metric) == "min"
    losses = list(tuning)
    ncols = max([len(tuning[loss].get("space") or {}) for loss in losses] + [1])
    nrows = max(len(losses), 1)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(3.6 * ncols + 0.6, 2.9 * nrows + 0.9), squeeze=False
    )
    colors = _colors(losses)
    for row, loss in zip(axes, losses, strict=False):
        entry = tuning[loss]
        space = dict(entry.get("space") or {})
        for col, ax in enumerate(row):
            if col >= len(space):
                ax.set_visible(bool(col == 0 and not space))
                if col == 0 and not space:
                    _no_data(ax)
                    ax.set_title(f"{loss}: no searched knob", fontsize=9)
                continue
            knob = list(space)[col]
            _sensitivity_panel(ax, entry, knob, space[knob], colors[loss], minimize)
            ax.set_title(f"{loss}: {knob}", fontsize=9)
            if col == 0:
                ax.set_ylabel(metric)
    if not losses:
        _no_data(axes[0, 0])
    handles = [
        Line2D([], [], ls="", marker="o", color="gray", label="trial"),
        Line2D([], [], ls="", marker="s", mfc="none", mec="black", label="paper default (trial 0)"),
        Line2D(
            [], [], ls="", marker="*", ms=11, color="gold", mec="black", label="selected (best)"
        ),
        Line2D(
            [],
            [],
            ls="",
            marker="x",
            color="firebrick",
            label="diverged (no value), drawn at the worst edge",
        ),
    ]
    fig.legend(handles=handles, loc="lower center", ncol=4, fontsize=8, frameon=False)
    fig.suptitle(f"Sensitivity: trial {metric} ({_better(minimize)}) against each searched knob")
    fig.tight_layout(rect=(0, 0.05, 1, 1))  # room for the legend below
    return _save(fig, path, layout=False)


STAGE_MARKERS = {"default": "o", "tuned": "^"}


def plot_quality_vs_cost(rows: Sequence[Mapping[str, Any]], metric: str, path: Path) -> Path:
    """Quality against compute for the final members: ``metric`` against network passes.

    ``rows`` = ``[{"loss", "stage", "value", "passes", "seconds"}]``, one per final member
    (``value`` ``None`` for a diverged member, which is left out). Per (loss, stage): the
    mean passes (x, log scale) and the mean value with its 95% CI over seeds, inside the
    metric's range (:func:`stats.metric_ci95`); one colour per loss, a circle at paper
    defaults and a triangle after tuning.
    """
    minimize = direction(metric) == "min"
    groups: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for r in rows:
        passes, value = r.get("passes"), r.get("value")
        key = (str(r["loss"]), str(r.get("stage", "default")))
        groups.setdefault(key, [])
        if value is None or passes is None or not float(passes) > 0:
            continue
        if math.isfinite(float(value)):
            groups[key].append((float(passes), float(value)))
    colors = _colors(list(dict.fromkeys(loss for loss, _ in groups)))
    fig, ax = plt.subplots(figsize=(10, 4.5))
    drawn = False
    means = []
    for (loss, stage), points in groups.items():
        if not points:
            continue
        passes = np.array([p for p, _ in points])
        mean, lo, hi = metric_ci95([v for _, v in points], metric)
        means.append(mean)
        yerr = None if math.isnan(lo) else [[mean - lo], [hi - mean]]
        ax.errorbar(
            float(passes.mean()),
            mean,
            yerr=yerr,
            fmt=STAGE_MARKERS.get(stage, "s"),
            color=colors[loss],
            ms=8,
            capsize=4,
            label=f"{loss} ({stage}, {len(points)} seeds)",
        )
        drawn = True
    if drawn:
        ax.set_xscale("log")
        means = [m for m in means if math.isfinite(m)]
        if means and min(means) > 0 and max(means) / min(means) > 30:  # spanning decades
            ax.set_yscale("log")
        ax.legend(fontsize=8, title="circle: default, triangle: tuned", title_fontsize=8,
                  loc="upper left", bbox_to_anchor=(1.01, 1.0))
    else:
        _no_data(ax)
    ax.set_xlabel("network passes (forward + backward), log scale")
    ax.set_ylabel(f"{metric} ({_better(minimize)})")
    ax.set_title(f"Quality against cost: final {metric}, mean and 95% CI over seeds", fontsize=10)
    ax.grid(alpha=0.3, which="both")
    return _save(fig, path)


# -- verdict ---------------------------------------------------------------------------


def _fmt_p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.2g}"


def _names(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _group(v: Mapping[str, Any]) -> list[str]:
    """The best loss first, then those it could not be separated from."""
    best = v.get("best")
    return [best] + [t for t in (v.get("tied") or []) if t != best]


def _clause(v: Mapping[str, Any], metric: str | None, previous: Mapping[str, Any] | None) -> str:
    best, p = v.get("best"), v.get("p")
    on = f" on {metric}" if metric else ""
    if best is None:
        return f"no loss has a result{on}"
    group = _group(v)
    if len(group) > 1:
        still = previous is not None and len(_group(previous)) > 1
        same = still and set(_group(previous)) == set(group)
        test = f" ({_fmt_p(p)})" if p is not None else " (no paired test was possible)"
        verb = "are still not separable" if same else "are not separable"
        return f"{_names(group)} {verb}{on}{test}"
    p_text = f" ({_fmt_p(p)})" if p is not None else ""
    if previous is None or previous.get("best") is None:
        return f"{best} is best{on}{p_text}"
    if len(_group(previous)) > 1:
        return f"{best} is best{p_text}" + (
            "" if best in _group(previous) else ", ahead of all of them"
        )
    if previous["best"] == best:
        return f"{best} is still best{p_text}"
    return f"{best} is best instead{p_text}"


def verdict_sentence(
    default: Mapping[str, Any], tuned: Mapping[str, Any], metric: str, k: int
) -> str:
    """One sentence naming the verdict at paper defaults and after ``k`` trials per loss.

    ``default`` and ``tuned`` are ``{"best": str | None, "tied": [str], "p": float | None}``:
    the best loss, the losses it could not be separated from, and the Holm-adjusted paired
    p-value of its closest rival. E.g. "At paper defaults wgan-gp is best on w1 (p = 0.003);
    after 8 trials per loss, wgan-gp and nonsaturating-bce are not separable (p = 0.21)."
    """
    trials = "trial" if k == 1 else "trials"
    first = _clause(default, metric, None)
    second = _clause(tuned, None, default)
    return f"At paper defaults {first}; after {k} {trials} per loss, {second}."
