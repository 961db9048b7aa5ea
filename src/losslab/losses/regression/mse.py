"""mse: mean squared error, the Gaussian negative log-likelihood (the conditional mean)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from losslab.losses.registry import (
    Card,
    LossSpec,
    Reference,
    register,
)
from losslab.losses.regression._common import (
    _ADAM,
    FAMILY,
    HASTIE_2009,
    _example,
    _residual,
)

if TYPE_CHECKING:
    from torch import Tensor


def mse(*, prediction: Tensor, targets: Tensor) -> Tensor:
    r"""Mean squared error.

    .. math::

        \ell = (y - \hat y)^2

    ``prediction``: ``[S, B, 1]``; ``targets``: ``[S, B]``; returns ``[S]``.
    """
    return _residual(prediction, targets).pow(2).mean(dim=1)


register(
    LossSpec(
        card=Card(
            name="mse",
            example=_example("mse"),
            family=FAMILY,
            formula=r"\ell(\hat y, y) = (y-\hat y)^2",
            derivation=(
                r"**Gaussian noise.** Model $y=f(x)+\varepsilon$ with "
                r"$\varepsilon\sim\mathcal N(0,\sigma^2)$, $\sigma$ fixed. The negative "
                r"log-likelihood of one point is $\frac{(y-f(x))^2}{2\sigma^2}+\frac12\log"
                r"(2\pi\sigma^2)$: up to scale and a constant, the squared residual.",
                r"**Optimum.** $\mathbb{E}[(Y-c)^2]=\mathrm{Var}(Y)+(\mathbb{E}Y-c)^2$ is "
                r"minimised at $c=\mathbb{E}[Y]$: the regression function is the conditional "
                r"mean $\mathbb{E}[y\mid x]$.",
                r"**Gradient.** $\partial\ell/\partial\hat y=-2r$: proportional to the "
                r"residual. A point 100 units off pulls 100 times harder than one 1 unit off.",
                r"**Outliers.** That linear influence gives the mean a breakdown point of 0: "
                r"a single gross error can move the fit arbitrarily far. Heavy-tailed noise "
                r"(Student-t with few degrees of freedom) makes the estimate noisy, and "
                r"asymmetric gross errors bias it.",
            ),
            optimum_or_divergence=(
                r"Minimised by the conditional mean $\hat y(x)=\mathbb{E}[y\mid x]$; the "
                r"maximum-likelihood estimate under homoscedastic Gaussian noise."
            ),
            used_by=(
                "Least squares (Legendre 1805, Gauss 1809) and linear regression",
                "Most neural regression baselines; DDPM's noise-prediction loss",
                "Value regression in reinforcement learning (DQN's TD error, before Huber)",
            ),
            why=(
                "The default when noise is roughly Gaussian and you want the conditional "
                "mean: smooth, convex, efficient, and the basis of most theory."
            ),
            pros=(
                "Efficient (minimum variance) under Gaussian noise.",
                "Smooth and convex in the prediction; the gradient vanishes at the optimum.",
                "Targets the mean, which is what squared-error metrics reward.",
            ),
            cons=(
                "Breakdown point 0: outliers and heavy tails dominate the fit.",
                "Scale-dependent: the loss and gradient grow with the target's units squared.",
                "Says nothing about uncertainty (fixed variance).",
            ),
            hyperparameters={},
            references=(
                Reference(
                    "Gauss, C. F.",
                    "Theoria motus corporum coelestium in sectionibus conicis solem ambientium",
                    1809,
                ),
                HASTIE_2009,
            ),
        ),
        terms={"loss": mse},
        optimizer=_ADAM,
        training={"outputs": 1},
    )
)
