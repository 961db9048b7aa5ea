"""cauchy: the Cauchy (Lorentzian) loss, a redescending M-estimator with scale c."""

from __future__ import annotations

from typing import TYPE_CHECKING

from losslab._lazy import torch
from losslab.losses.knobs import Knob, broadcast_knob
from losslab.losses.registry import (
    Card,
    Hyperparameter,
    LossSpec,
    Reference,
    Search,
    register,
)
from losslab.losses.regression._common import _ADAM, FAMILY, _example, _residual
from losslab.losses.regression.barron import BARRON_2019

if TYPE_CHECKING:
    from torch import Tensor


def cauchy(*, prediction: Tensor, targets: Tensor, scale: Knob) -> Tensor:
    r"""Cauchy loss: the negative log-likelihood of Cauchy noise, scaled to :math:`\frac12r^2`
    near 0.

    .. math::

        \ell = \frac{c^2}{2}\log\Big(1 + \frac{r^2}{c^2}\Big), \qquad r = y-\hat y

    (SciPy's ``least_squares(loss="cauchy", f_scale=c)`` cost per residual).
    ``prediction``: ``[S, B, 1]``; ``targets``: ``[S, B]``; ``scale``: a number or
    per-member ``[S]``; returns ``[S]``.
    """
    r = _residual(prediction, targets)
    c = broadcast_knob(scale, r)
    return (0.5 * c**2 * torch.log1p((r / c).pow(2))).mean(dim=1)


register(
    LossSpec(
        card=Card(
            name="cauchy",
            example=_example("cauchy"),
            family=FAMILY,
            formula=r"\ell(\hat y,y)=\frac{c^2}{2}\log\Big(1+\frac{(y-\hat y)^2}{c^2}\Big)",
            derivation=(
                r"**Cauchy noise.** Let $y=\hat y+\varepsilon$ with $\varepsilon$ Cauchy of "
                r"scale $c$: $p(\varepsilon)=\frac{1}{\pi c(1+\varepsilon^2/c^2)}$, tails so "
                r"heavy that the noise has no mean or variance.",
                r"**Likelihood.** $-\log p=\log(\pi c)+\log(1+r^2/c^2)$. Dropping the constant "
                r"and multiplying by $c^2/2$ (so that $\ell\approx\frac12r^2$ for $|r|\ll c$, "
                r"like MSE/2 and huber) gives the loss.",
                r"**Influence.** $\psi(r)=\partial\ell/\partial r=\frac{r}{1+r^2/c^2}$: linear "
                r"near 0, largest at $|r|=c$ (value $c/2$), then *redescending* like $c^2/r$: "
                r"a gross outlier exerts almost no pull, unlike huber's constant $\delta$.",
                r"**In Barron's family.** $\ell=\frac{c^2}{2}\,\rho_{\alpha=0}(r, c/\sqrt2)$: the "
                r"Cauchy / Lorentzian is the $\alpha=0$ member of `barron` (Barron 2019).",
            ),
            optimum_or_divergence=(
                r"The maximum-likelihood location under Cauchy noise, the centre of symmetric "
                r"noise. Non-convex for $|r|>c$: several local minima are possible when "
                r"outliers cluster."
            ),
            used_by=(
                "Robust non-linear least squares (SciPy least_squares loss='cauchy', Ceres "
                "CauchyLoss)",
                "Outlier rejection in optical flow and registration (Black & Anandan 1996)",
            ),
            why=(
                "When a sizeable share of targets are gross errors, the Cauchy loss lets them "
                "pull almost nothing while fitting the inliers like least squares."
            ),
            pros=(
                "Redescending influence: strong outlier rejection.",
                "Smooth; quadratic near 0, so efficient on the inliers.",
                "One knob, the inlier scale c.",
            ),
            cons=(
                "Non-convex: local minima; a poor start can lock onto the outliers.",
                "c is in the target's units and must be chosen.",
                "Estimates a location, not the mean, under asymmetric noise.",
            ),
            hyperparameters={
                "scale": Hyperparameter(
                    default=1.0,
                    low=1e-6,
                    search=Search.log_uniform(0.1, 10),
                    doc=(
                        r"Scale $c$ of the inliers, in the target's units; must be > 0. "
                        "SciPy's f_scale default is 1, for standardised targets. Searched "
                        "log-uniform over [0.1, 10] in standardised units, a decade either "
                        "side of 1 (as huber's delta)."
                    ),
                )
            },
            references=(
                Reference(
                    "Black, M. J., Anandan, P.",
                    "The Robust Estimation of Multiple Motions: Parametric and "
                    "Piecewise-Smooth Flow Fields",
                    1996,
                ),
                Reference(
                    "Holland, P. W., Welsch, R. E.",
                    "Robust Regression Using Iteratively Reweighted Least-Squares",
                    1977,
                ),
                BARRON_2019,
            ),
        ),
        terms={"loss": cauchy},
        optimizer=_ADAM,
        training={"outputs": 1},
    )
)
