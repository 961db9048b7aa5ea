r"""Profile the user's data: the facts the candidate rules read.

Every field and how it is computed:

* ``n``, ``dim``, per-column ``mean``, ``std``, ``min``, ``max`` (the scale);
* per-column ``skewness`` and ``excess_kurtosis``: :func:`scipy.stats.skew` and
  :func:`scipy.stats.kurtosis` (Fisher, so a Gaussian has 0; biased moment estimators);
* ``modes``: the number of components of a Gaussian mixture
  (:class:`sklearn.mixture.GaussianMixture`) chosen by the **Bayesian information
  criterion** over :math:`K = 1..K_{max}` on the standardised columns (full
  covariances up to :data:`FULL_COVARIANCE_MAX_DIM` columns, diagonal above; at most
  :data:`GMM_ROWS` rows, drawn with the seed). The mixture's centres and component
  spreads are kept for the mode metrics of the generative race; ``modes_caveat`` says
  when the count is not a count of modes (:func:`modes_caveat`: at the search cap, high
  dimension, overlapping components), and the mode metrics are then not meaningful;
* ``discrete`` columns: at most :data:`DISCRETE_MAX_VALUES` distinct values;
  ``bounded`` columns: at least :data:`BOUNDARY_MASS` of the rows sit exactly
  at the column's minimum or maximum (clipping, censoring, a floor at 0);
* ``outlier_fraction``: rows with a robust z-score :math:`|0.6745\,(v - \mathrm{med})
  / \mathrm{MAD}| > 3.5` (Iglewicz & Hoaglin 1993) -- on the features for every task
  (``feature_outlier_fraction``), and for regression on the residuals of a linear
  least-squares fit of the target (``outlier_fraction``);
* classification: ``class_counts``, ``imbalance_ratio`` (largest / smallest class) and
  ``overlap``: the 5-fold cross-validated error of a 5-nearest-neighbour classifier on
  the standardised features (a Bayes-error proxy: high where classes overlap);
* regression: residual ``skewness``/``excess kurtosis`` and a **Breusch-Pagan** test of
  heteroscedasticity in Koenker's studentised form: :math:`LM = nR^2` of the squared
  residuals regressed on the features and their squares, :math:`p = P(\chi^2_{2d} > LM)`.

Sizes. The scale (mean, std, min, max) and the ``bounded`` masses are exact, on every
row (one vectorised pass each). Every other step runs on a stated number of rows, drawn
without replacement with the seed when the data has more, and ``sample_sizes`` records
how many each step used: moments, feature outliers and the regression residuals on at
most :data:`PROFILE_ROWS`; the mixture on :data:`GMM_ROWS`; the 5-NN overlap on at most
:data:`KNN_ROWS` (stratified: every class keeps its share, and at least
:data:`KNN_MIN_PER_CLASS` rows where it has them); ``discrete`` counts distinct values
on at most :data:`PROFILE_ROWS` rows and confirms a column found discrete there on every
row (exact). A 3.5M-row x 7 file profiles in seconds (``benchmarks/profile_scale.py``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from losslab.data.files import Table

GMM_MAX_COMPONENTS = 10
GMM_ROWS = 2000
PROFILE_ROWS = 500_000  # moments, outliers, regression residuals, distinct values
KNN_ROWS = 20_000  # the 5-fold 5-NN overlap estimate (superlinear in rows)
KNN_MIN_PER_CLASS = 10
FULL_COVARIANCE_MAX_DIM = 10
MODE_CERTAINTY = 0.9
"""Below this mean largest responsibility the mixture's components overlap (see
:func:`modes_caveat`): its count is then not a count of modes."""
DISCRETE_MAX_VALUES = 20
BOUNDARY_MASS = 0.05
ROBUST_Z = 3.5

# thresholds the candidate rules use (documented there)
IMBALANCE_RATIO = 3.0
OVERLAP_ERROR = 0.10
SEPARATED_ERROR = 0.05
OUTLIER_FRACTION = 0.01
HEAVY_TAIL_KURTOSIS = 1.0
SKEWED = 1.0
HETEROSCEDASTIC_P = 0.01
COUNT_MIN_VALUES = 3  # a 0/1 target is a classification problem, not a count


@dataclass
class Profile:
    task: str
    source: str
    n: int
    dim: int
    columns: list[str]
    mean: list[float]
    std: list[float]
    min: list[float]
    max: list[float]
    skewness: list[float]
    excess_kurtosis: list[float]
    modes: int
    modes_method: str
    modes_bic: dict[int, float]
    discrete: list[str]
    bounded: list[str]
    feature_outlier_fraction: float
    # supervised
    target: str | None = None
    classes: list[str] = field(default_factory=list)
    class_counts: list[int] = field(default_factory=list)
    imbalance_ratio: float | None = None
    overlap: float | None = None
    outlier_fraction: float | None = None
    residual_skewness: float | None = None
    residual_excess_kurtosis: float | None = None
    heteroscedasticity_p: float | None = None
    # count targets: every target a non-negative integer, with >= COUNT_MIN_VALUES values
    count_target: bool | None = None
    target_dispersion: float | None = None  # variance / mean of the target (1 for Poisson)
    # the mixture, in standardised units of the whole data (for the mode metrics)
    mode_centers: list[list[float]] = field(default_factory=list, repr=False)
    mode_spreads: list[float] = field(default_factory=list, repr=False)
    # rows each step used (the data has ``n``; see the module docstring)
    sample_sizes: dict[str, int] = field(default_factory=dict)
    # why ``modes`` is not a count of modes (:func:`modes_caveat`); "" where it is one
    modes_caveat: str = ""

    # -- facts the rules read ------------------------------------------------
    @property
    def multimodal(self) -> bool:
        return self.modes >= 2

    @property
    def imbalanced(self) -> bool:
        return self.imbalance_ratio is not None and self.imbalance_ratio >= IMBALANCE_RATIO

    @property
    def overlapping(self) -> bool:
        return self.overlap is not None and self.overlap >= OVERLAP_ERROR

    @property
    def separated(self) -> bool:
        return self.overlap is not None and self.overlap < SEPARATED_ERROR

    @property
    def has_outliers(self) -> bool:
        return self.outlier_fraction is not None and self.outlier_fraction >= OUTLIER_FRACTION

    @property
    def heavy_tailed(self) -> bool:
        k = self.residual_excess_kurtosis
        return k is not None and k > HEAVY_TAIL_KURTOSIS

    @property
    def skewed_residuals(self) -> bool:
        s = self.residual_skewness
        return s is not None and abs(s) > SKEWED

    @property
    def counts(self) -> bool:
        return bool(self.count_target)

    @property
    def heteroscedastic(self) -> bool:
        p = self.heteroscedasticity_p
        return p is not None and p < HETEROSCEDASTIC_P

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["modes_bic"] = {str(k): v for k, v in self.modes_bic.items()}
        out["flags"] = self.flags()
        return out

    def flags(self) -> list[str]:
        names = (
            "multimodal",
            "imbalanced",
            "overlapping",
            "separated",
            "has_outliers",
            "heavy_tailed",
            "skewed_residuals",
            "heteroscedastic",
            "counts",
        )
        return [f for f in names if getattr(self, f)]

    def lines(self) -> list[str]:
        """The profile as text for the terminal."""
        out = [f"data: {self.source}: {self.n} rows x {self.dim} columns ({self.task})"]
        width = max(len(c) for c in self.columns[:12])
        out.append(
            f"  {'column':<{width}}  {'mean':>9} {'std':>9} {'min':>9} {'max':>9} "
            f"{'skew':>7} {'ex.kurt':>7}"
        )
        for i, c in enumerate(self.columns[:12]):
            out.append(
                f"  {c:<{width}}  {self.mean[i]:>9.3g} {self.std[i]:>9.3g} "
                f"{self.min[i]:>9.3g} {self.max[i]:>9.3g} {self.skewness[i]:>7.2f} "
                f"{self.excess_kurtosis[i]:>7.2f}"
            )
        if self.dim > 12:
            out.append(f"  ... {self.dim - 12} more columns (all in profile.json)")
        out.append(f"  modes: {self.modes} ({self.modes_method})")
        if self.modes_caveat:
            out.append(f"    not a count of modes: {self.modes_caveat}")
        if self.discrete:
            out.append(
                f"  discrete columns: {', '.join(self.discrete[:8])}"
                + (" ..." if len(self.discrete) > 8 else "")
            )
        if self.bounded:
            out.append(
                f"  bounded columns (>= {BOUNDARY_MASS:.0%} of rows at the min or max): "
                f"{', '.join(self.bounded[:8])}" + (" ..." if len(self.bounded) > 8 else "")
            )
        out.append(
            f"  rows with a feature outlier (robust |z| > {ROBUST_Z}): "
            f"{self.feature_outlier_fraction:.1%}"
        )
        if self.task == "classify":
            counts = ", ".join(
                f"{c}: {k}" for c, k in zip(self.classes, self.class_counts, strict=True)
            )
            out.append(
                f"  classes ({len(self.classes)}): {counts}; largest/smallest = "
                f"{self.imbalance_ratio:.2f}"
            )
            rows = self.sample_sizes.get("overlap", self.n)
            on = "" if rows >= self.n else f", on {rows} of the rows"
            out.append(f"  class overlap (5-NN cross-validated error{on}): {self.overlap:.1%}")
        if self.task == "regress":
            out.append(
                f"  target {self.target!r}: linear-fit residuals with robust |z| > "
                f"{ROBUST_Z}: {self.outlier_fraction:.1%}; residual skew "
                f"{self.residual_skewness:.2f}, excess kurtosis "
                f"{self.residual_excess_kurtosis:.2f}"
            )
            out.append(
                f"  heteroscedasticity (Breusch-Pagan, Koenker): p = "
                f"{_p(self.heteroscedasticity_p)}"
            )
            if self.count_target:
                out.append(
                    "  target: non-negative integers (counts); variance / mean = "
                    f"{self.target_dispersion:.2f} (1 for Poisson, > 1 over-dispersed)"
                )
        if self.flags():
            out.append(f"  characteristics: {', '.join(self.flags())}")
        return out


def _p(p: float | None) -> str:
    if p is None:
        return "-"
    return f"{p:.3f}" if p >= 0.001 else f"{p:.1e}"


def robust_z(values: np.ndarray) -> np.ndarray:
    r"""Modified z-scores :math:`0.6745\,(v - \mathrm{median}) / \mathrm{MAD}` per column
    (Iglewicz & Hoaglin 1993); 0 for a column whose MAD is 0."""
    v = np.asarray(values, dtype=np.float64)
    med = np.median(v, axis=0)
    mad = np.median(np.abs(v - med), axis=0)
    safe = np.where(mad > 0, mad, 1.0)
    return np.where(mad > 0, 0.6745 * (v - med) / safe, 0.0)


def standardise(x: np.ndarray) -> np.ndarray:
    std = x.std(axis=0)
    return (x - x.mean(axis=0)) / np.where(std > 0, std, 1.0)


def estimate_modes(
    x: np.ndarray, seed: int = 0
) -> tuple[int, str, dict[int, float], np.ndarray, np.ndarray, str]:
    """Number of modes by BIC over Gaussian mixtures on the standardised ``x``.

    Returns ``(K, method, {k: BIC}, centres [K, d], spreads [K], caveat)`` with centres in
    the standardised units of ``x``, each component's spread the root mean of its
    covariance's diagonal, and ``caveat`` (see :func:`modes_caveat`) empty where the
    count can be read as a number of modes.
    """
    from sklearn.mixture import GaussianMixture

    z = standardise(x)
    rng = np.random.default_rng(seed)
    if len(z) > GMM_ROWS:
        z = z[rng.choice(len(z), GMM_ROWS, replace=False)]
    cov = "full" if z.shape[1] <= FULL_COVARIANCE_MAX_DIM else "diag"
    k_max = max(1, min(GMM_MAX_COMPONENTS, len(z) // 5))
    bics: dict[int, float] = {}
    fits = {}
    for k in range(1, k_max + 1):
        gmm = GaussianMixture(
            k, covariance_type=cov, n_init=2, random_state=seed, reg_covar=1e-6, max_iter=200
        )
        gmm.fit(z)
        bics[k] = float(gmm.bic(z))
        fits[k] = gmm
    best = min(bics, key=lambda k: (bics[k], k))
    gmm = fits[best]
    diag = gmm.covariances_ if cov == "diag" else np.diagonal(gmm.covariances_, axis1=1, axis2=2)
    spreads = np.sqrt(np.mean(diag, axis=1))
    method = (
        f"Gaussian mixture chosen by BIC over K = 1..{k_max}, {cov} covariances, "
        f"on {len(z)} standardised rows"
    )
    certainty = float(gmm.predict_proba(z).max(axis=1).mean())
    caveat = modes_caveat(best, k_max, z.shape[1], certainty)
    return best, method, bics, gmm.means_, spreads, caveat


def modes_caveat(k: int, k_max: int, dim: int, certainty: float) -> str:
    """Why a BIC mode count ``k`` is not a count of modes, or ``""`` where it can be read
    as one. Three rules, each a sign that the mixture tiles the data rather than finds
    its modes:

    * **at the cap**: ``k == k_max >= 2`` -- the BIC wanted at least as many components
      as were searched (curved or high-dimensional data need many Gaussians);
    * **high dimension**: more than :data:`FULL_COVARIANCE_MAX_DIM` columns (diagonal
      covariances: correlated columns look like extra components);
    * **overlapping components**: ``K >= 2`` and the mean over rows of the largest
      posterior responsibility (how surely each row belongs to one component) below
      :data:`MODE_CERTAINTY` -- neighbouring Gaussians sharing one curved mass.
    """
    why = []
    if k >= 2 and k == k_max:
        why.append(f"the BIC chose the largest K searched ({k_max}), so {k} is a cap")
    if dim > FULL_COVARIANCE_MAX_DIM and k >= 2:
        why.append(f"{dim} columns with diagonal covariances")
    if k >= 2 and certainty < MODE_CERTAINTY:
        why.append(
            f"the components overlap (mean assignment certainty {certainty:.2f} < "
            f"{MODE_CERTAINTY})"
        )
    if not why:
        return ""
    return "; ".join(why) + ": a poor fit for separate modes (curved or high-dimensional data)"


def breusch_pagan(features: np.ndarray, residuals: np.ndarray) -> float:
    r"""Koenker's studentised Breusch-Pagan test with squared terms (White's test without
    cross products): p-value of :math:`nR^2` of the squared residuals regressed on the
    standardised features and their squares, :math:`\chi^2` with ``2d`` degrees of freedom
    (the squares catch a variance growing with :math:`|x|`, which a linear term misses)."""
    n, d = features.shape
    e2 = residuals**2
    z = standardise(features)
    design = np.column_stack([np.ones(n), z, z**2])
    coef, *_ = np.linalg.lstsq(design, e2, rcond=None)
    fitted = design @ coef
    total = np.sum((e2 - e2.mean()) ** 2)
    r2 = 0.0 if total == 0 else 1.0 - np.sum((e2 - fitted) ** 2) / total
    return float(stats.chi2.sf(n * r2, 2 * d))


def linear_residuals(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    design = np.column_stack([np.ones(len(x)), standardise(x)])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    return y - design @ coef


def subsample(n: int, size: int, seed: int) -> np.ndarray | None:
    """Sorted row indices of a seeded draw of ``size`` of ``n`` rows without replacement;
    None (use every row) when ``n <= size``."""
    if n <= size:
        return None
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False))


def stratified_subsample(y: np.ndarray, size: int, seed: int) -> np.ndarray | None:
    """Row indices keeping each class's share of ``size`` (at least
    :data:`KNN_MIN_PER_CLASS` rows of a class that has them); None if ``len(y) <= size``."""
    if len(y) <= size:
        return None
    rng = np.random.default_rng(seed)
    picks = []
    for c in np.unique(y):
        rows = np.flatnonzero(y == c)
        take = min(len(rows), max(KNN_MIN_PER_CLASS, round(size * len(rows) / len(y))))
        picks.append(rng.choice(rows, take, replace=False))
    return np.sort(np.concatenate(picks))


def _rows(a: np.ndarray, idx: np.ndarray | None) -> np.ndarray:
    return a if idx is None else a[idx]


def knn_error(x: np.ndarray, y: np.ndarray, seed: int = 0) -> float:
    """5-fold cross-validated error of a 5-nearest-neighbour classifier (standardised x)."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.neighbors import KNeighborsClassifier

    folds = int(min(5, np.bincount(y).min()))
    if folds < 2:
        return math.nan
    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    pred = cross_val_predict(KNeighborsClassifier(5), standardise(x), y, cv=cv)
    return float(np.mean(pred != y))


def profile(table: Table, task: str, seed: int = 0) -> Profile:
    """Every fact of the module docstring, computed on ``table``."""
    x = table.x
    some = subsample(len(x), PROFILE_ROWS, seed)
    xs = _rows(x, some)
    sizes = {"scale": len(x), "bounded": len(x), "moments": len(xs), "outliers": len(xs)}
    with np.errstate(all="ignore"):
        skew = stats.skew(xs, axis=0)
        kurt = stats.kurtosis(xs, axis=0)
    modes, method, bics, centers, spreads, caveat = estimate_modes(x, seed)
    sizes["modes"] = min(len(x), GMM_ROWS)
    discrete = [
        c
        for c, col, part in zip(table.columns, x.T, xs.T, strict=True)
        if _discrete(col, part, whole=some is None)
    ]
    sizes["discrete"] = len(xs)
    bounded = [
        c
        for c, col in zip(table.columns, x.T, strict=True)
        if c not in discrete
        and max(np.mean(col == col.min()), np.mean(col == col.max())) >= BOUNDARY_MASS
    ]
    feature_outliers = float(np.mean((np.abs(robust_z(xs)) > ROBUST_Z).any(axis=1)))
    prof = Profile(
        task=task,
        source=table.source,
        n=table.n,
        dim=table.dim,
        columns=list(table.columns),
        mean=x.mean(0).tolist(),
        std=x.std(0).tolist(),
        min=x.min(0).tolist(),
        max=x.max(0).tolist(),
        skewness=_finite(skew),
        excess_kurtosis=_finite(kurt),
        modes=modes,
        modes_method=method,
        modes_bic=bics,
        discrete=discrete,
        bounded=bounded,
        feature_outlier_fraction=feature_outliers,
        target=table.target,
        mode_centers=np.asarray(centers).tolist(),
        mode_spreads=np.asarray(spreads).tolist(),
        sample_sizes=sizes,
        modes_caveat=caveat,
    )
    if task == "classify":
        counts = np.bincount(table.y, minlength=len(table.classes))
        prof.classes = list(table.classes)
        prof.class_counts = counts.tolist()
        prof.imbalance_ratio = float(counts.max() / counts.min())
        few = stratified_subsample(table.y, KNN_ROWS, seed)
        prof.overlap = knn_error(_rows(x, few), _rows(table.y, few), seed)
        sizes["overlap"] = len(x) if few is None else len(few)
    elif task == "regress":
        xr, yr = xs, _rows(table.y, some)
        res = linear_residuals(xr, yr)
        prof.outlier_fraction = float(np.mean(np.abs(robust_z(res[:, None])[:, 0]) > ROBUST_Z))
        prof.residual_skewness = float(stats.skew(res))
        prof.residual_excess_kurtosis = float(stats.kurtosis(res))
        prof.heteroscedasticity_p = breusch_pagan(xr, res)
        sizes["residuals"] = len(xr)
        y = np.asarray(table.y, dtype=np.float64)
        prof.count_target = bool(
            np.all(y >= 0) and np.all(y == np.round(y)) and len(np.unique(y)) >= COUNT_MIN_VALUES
        )
        if prof.count_target and y.mean() > 0:
            prof.target_dispersion = float(y.var() / y.mean())
    return prof


def _discrete(column: np.ndarray, part: np.ndarray, whole: bool) -> bool:
    """At most :data:`DISCRETE_MAX_VALUES` distinct values: counted on ``part`` (a
    subsample: more there means more in the column), confirmed on the whole column."""
    values = np.unique(part)
    if len(values) > DISCRETE_MAX_VALUES:
        return False
    return whole or bool(np.isin(column, values).all())


def _finite(values: np.ndarray) -> list[float]:
    return [float(v) if np.isfinite(v) else 0.0 for v in np.atleast_1d(values)]
