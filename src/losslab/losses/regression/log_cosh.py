"""log-cosh: a smooth loss, quadratic near 0 and linear far out."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from losslab._lazy import F
from losslab.losses.registry import (
    Card,
    LossSpec,
    Reference,
    register,
)
from losslab.losses.regression._common import (
    _ADAM,
    FAMILY,
    _example,
    _residual,
)

if TYPE_CHECKING:
    from torch import Tensor


def log_cosh(*, prediction: Tensor, targets: Tensor) -> Tensor:
    r"""Log-cosh loss, computed stably.

    .. math::

        \ell = \log\cosh r = |r| + \operatorname{softplus}(-2|r|) - \log 2

    (a naive ``log(cosh(r))`` overflows in float32 for :math:`|r| > 89`).
    ``prediction``: ``[S, B, 1]``; ``targets``: ``[S, B]``; returns ``[S]``.
    """
    a = _residual(prediction, targets).abs()
    return (a + F.softplus(-2.0 * a) - math.log(2.0)).mean(dim=1)


register(
    LossSpec(
        card=Card(
            name="log-cosh",
            example=_example("log-cosh"),
            family=FAMILY,
            formula=(
                r"\ell(\hat y, y)=\log\cosh(y-\hat y)"
                r"=|r|+\operatorname{softplus}(-2|r|)-\log2"
            ),
            derivation=(
                r"**Shape.** $\log\cosh r=\tfrac12r^2-\tfrac1{12}r^4+\dots$ near 0 (like "
                r"MSE/2) and $|r|-\log2+O(e^{-2|r|})$ for large $|r|$ (like MAE): a smooth "
                r"Huber loss with $\delta\approx1$.",
                r"**Stable form.** $\cosh r=\tfrac12e^{|r|}(1+e^{-2|r|})$, so "
                r"$\log\cosh r=|r|+\log(1+e^{-2|r|})-\log2=|r|+\operatorname{softplus}(-2|r|)"
                r"-\log2$; finite for every $r$.",
                r"**Gradient.** $\partial\ell/\partial\hat y=-\tanh r$: linear near 0, "
                r"saturating at magnitude 1: bounded influence like Huber.",
                r"**Smoothness.** Second derivative $1-\tanh^2 r>0$ everywhere: twice "
                r"differentiable (Huber is not at $|r|=\delta$), which Newton-type and "
                r"second-order methods such as gradient boosting need.",
                r"**Likelihood.** It is the negative log-likelihood of the hyperbolic-secant "
                r"density $p(r)\propto1/\cosh r$ (tails like Laplace, centre like Gauss).",
            ),
            optimum_or_divergence=(
                r"Minimised by the M-estimate with $\psi(r)=\tanh r$: the mean for symmetric "
                r"noise, between mean and median otherwise; the maximum-likelihood estimate "
                r"under hyperbolic-secant noise."
            ),
            used_by=(
                "Gradient boosting with custom objectives (XGBoost/LightGBM users)",
                "Robust regression heads in deep nets, e.g. VAEs' reconstruction term "
                "(Chen et al. 2019)",
            ),
            why=(
                "A smooth, hyper-parameter-free Huber: quadratic centre, linear tails, "
                "twice differentiable. Useful where second derivatives are needed or delta "
                "is unknown and targets are standardised."
            ),
            pros=(
                "Robust to outliers: gradient bounded by 1.",
                "Twice differentiable everywhere; no knob.",
                "Close to MSE/2 for small residuals: efficient on clean data.",
            ),
            cons=(
                "The transition is fixed at |r| of about 1: only right for standardised targets.",
                "Less known; its optimum is a less familiar functional than mean or median.",
                "For large residuals the gradient saturates at 1, slowing early training "
                "if targets are large.",
            ),
            hyperparameters={},
            references=(
                Reference(
                    "Saleh, R. A., Saleh, A. K. Md. E.",
                    "Statistical Properties of the log-cosh Loss Function Used in Machine Learning",
                    2022,
                ),
                Reference(
                    "Chen, P., Chen, G., Zhang, S.",
                    "Log Hyperbolic Cosine Loss Improves Variational Auto-Encoder",
                    2019,
                ),
            ),
        ),
        terms={"loss": log_cosh},
        optimizer=_ADAM,
        training={"outputs": 1},
    )
)
