"""barron: the general and adaptive robust loss, one shape knob alpha (Barron 2019)."""

from __future__ import annotations

import math
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

if TYPE_CHECKING:
    from torch import Tensor

BARRON_2019 = Reference(
    "Barron, J. T.",
    "A General and Adaptive Robust Loss Function",
    2019,
    "https://arxiv.org/abs/1701.03077",
)


def barron_rho(x: Tensor, alpha: Knob, scale: Knob) -> Tensor:
    r"""Barron's :math:`\rho(x,\alpha,c)` elementwise, with its limits taken exactly.

    .. math::

        \rho = \frac{|\alpha-2|}{\alpha}\Big(\big(\tfrac{(x/c)^2}{|\alpha-2|}+1\big)^{\alpha/2}
               -1\Big), \quad
        \rho_{2} = \tfrac12(x/c)^2,\ \rho_{0} = \log\big(\tfrac12(x/c)^2+1\big),\
        \rho_{-\infty} = 1-e^{-\frac12(x/c)^2}

    The general case is evaluated as ``b / a * expm1(a / 2 * log1p(z / b))`` (no
    cancellation near the limits); ``alpha`` in :math:`\{0, 2, -\infty\}` takes the
    closed form, with the general branch fed a harmless ``alpha`` there so no NaN reaches
    the gradient. ``alpha``, ``scale``: numbers or per-member ``[S]``.
    """
    z = (x / broadcast_knob(scale, x)).pow(2)
    a = torch.as_tensor(broadcast_knob(alpha, x), dtype=x.dtype, device=x.device)
    at_two, at_zero, at_minus_inf = a == 2, a == 0, torch.isneginf(a)
    safe = torch.where(at_two | at_zero | at_minus_inf, torch.ones_like(a), a)
    b = (safe - 2).abs()
    general = b / safe * torch.expm1(safe / 2 * torch.log1p(z / b))
    out = torch.where(at_minus_inf, -torch.expm1(-0.5 * z), general)
    out = torch.where(at_zero, torch.log1p(0.5 * z), out)
    return torch.where(at_two, 0.5 * z, out)


def barron(*, prediction: Tensor, targets: Tensor, alpha: Knob, scale: Knob) -> Tensor:
    r"""Barron's general robust loss :math:`\rho(r, \alpha, c)` of the residual :math:`r=y-\hat y`.

    .. math::

        \ell = \frac{|\alpha-2|}{\alpha}\Big(\big(\tfrac{(r/c)^2}{|\alpha-2|}+1\big)^{\alpha/2}
               -1\Big)

    ``alpha = 2``: :math:`\frac12(r/c)^2`; ``alpha = 0``: :math:`\log(\frac12(r/c)^2+1)`;
    ``alpha = -inf``: :math:`1-e^{-\frac12(r/c)^2}` (all exact, :func:`barron_rho`).
    ``prediction``: ``[S, B, 1]``; ``targets``: ``[S, B]``; ``alpha``, ``scale``: numbers or
    per-member ``[S]``; returns ``[S]``.
    """
    return barron_rho(_residual(prediction, targets), alpha, scale).mean(dim=1)


register(
    LossSpec(
        card=Card(
            name="barron",
            example=_example("barron"),
            family=FAMILY,
            formula=r"\rho(r,\alpha,c)=\frac{|\alpha-2|}{\alpha}\left(\left(\frac{(r/c)^2}"
            r"{|\alpha-2|}+1\right)^{\alpha/2}-1\right),\quad r=y-\hat y",
            derivation=(
                r"**One family for many robust losses.** Barron (2019) writes a single "
                r"$\rho(x,\alpha,c)$ whose shape parameter $\alpha$ moves through the classic "
                r"M-estimators: $\alpha=2$ L2, $\alpha=1$ Charbonnier / pseudo-Huber "
                r"$\sqrt{(x/c)^2+1}-1$, $\alpha=0$ Cauchy / Lorentzian, $\alpha=-2$ "
                r"Geman-McClure $2(x/c)^2/((x/c)^2+4)$, $\alpha\to-\infty$ Welsch / Leclerc.",
                r"**Limits.** At $\alpha=2$ and $\alpha=0$ the formula is $0\cdot\infty$ or "
                r"$0/0$; its limits are $\frac12(x/c)^2$ and $\log(\frac12(x/c)^2+1)$, and "
                r"$\alpha\to-\infty$ gives $1-e^{-\frac12(x/c)^2}$. losslab evaluates those "
                r"three closed forms exactly and the general case as "
                r"$\frac b\alpha\operatorname{expm1}(\frac\alpha2\operatorname{log1p}(z/b))$, "
                r"$b=|\alpha-2|$, $z=(x/c)^2$, which stays accurate near the limits.",
                r"**Gradient.** $\partial\rho/\partial x=\frac{x}{c^2}\big(\frac{(x/c)^2}"
                r"{|\alpha-2|}+1\big)^{\alpha/2-1}$: near 0 every member behaves like "
                r"$\frac12(x/c)^2$ (slope $x/c^2$); for large $|x|$ the slope grows like "
                r"$|x|^{\alpha-1}$: constant for $\alpha=1$, redescending to 0 for $\alpha<1$, "
                r"so gross outliers stop pulling.",
                r"**Scale.** $c$ sets the width of the quadratic bowl, in the residual's units: "
                r"residuals well below $c$ are treated as inliers whatever $\alpha$.",
                r"**Learned alpha not included.** Barron also makes $\alpha$ a trained "
                r"parameter through the NLL of a normalised distribution $\propto e^{-\rho}$, "
                r"whose partition function $Z(\alpha)$ is tabulated by numerical integration. "
                r"losslab's knobs are not trained parameters, so here $\alpha$ is a fixed knob "
                r"(tune it); the adaptive variant is not included.",
            ),
            optimum_or_divergence=(
                r"An M-estimator: minimised by the $\rho$-location of $p(y\mid x)$, the mean "
                r"at $\alpha=2$ and a robust location otherwise (the centre of symmetric noise). "
                r"For $\alpha<1$ the loss is non-convex (redescending): the fit can have several "
                r"local minima, and depends on the start."
            ),
            used_by=(
                "Unsupervised depth and optical-flow estimation, VAE reconstruction losses "
                "(Barron 2019)",
                "Robust registration and bundle adjustment (Charbonnier, Cauchy, Geman-McClure "
                "kernels are its special cases)",
            ),
            why=(
                "When the data have outliers or heavy tails of unknown severity, one knob alpha "
                "chooses how hard they are down-weighted, from L2 to fully redescending."
            ),
            pros=(
                "One family covers L2, pseudo-Huber, Cauchy, Geman-McClure, Welsch.",
                "Smooth everywhere; bounded influence for alpha <= 1, bounded loss for alpha < 0.",
                "A tuned alpha adapts robustness to the data.",
            ),
            cons=(
                "Non-convex for alpha < 1: local minima, sensitivity to initialisation.",
                "Two knobs (alpha and c), c in the target's units.",
                "Barron's learned-alpha variant is not included here.",
            ),
            hyperparameters={
                "alpha": Hyperparameter(
                    default=1.0,
                    low=-math.inf,  # any real shape; -inf is the Welsch/Leclerc limit
                    search=Search.uniform(-2, 2),
                    doc=(
                        r"Shape $\alpha$: 2 L2, 1 pseudo-Huber (the default: Barron's adaptive "
                        "alpha starts there), 0 Cauchy, -2 Geman-McClure; -inf (Welsch) is the "
                        "open end of the range, evaluated exactly if given. Range (-inf, inf). "
                        "Searched uniform over [-2, 2]: from Geman-McClure to L2, the named "
                        "special cases of Barron (2019)."
                    ),
                ),
                "scale": Hyperparameter(
                    default=1.0,
                    low=1e-6,
                    search=Search.log_uniform(0.1, 10),
                    doc=(
                        r"Scale $c$ of the quadratic bowl, in the target's units; must be > 0. 1 "
                        "for standardised targets. Searched log-uniform over [0.1, 10] in "
                        "standardised units, a decade either side of 1 (as huber's delta)."
                    ),
                ),
            },
            references=(
                BARRON_2019,
                Reference(
                    "Black, M. J., Rangarajan, A.",
                    "On the Unification of Line Processes, Outlier Rejection, and Robust "
                    "Statistics with Applications in Early Vision",
                    1996,
                ),
            ),
        ),
        terms={"loss": barron},
        optimizer=_ADAM,
        training={"outputs": 1},
    )
)
