"""mae: mean absolute error, the Laplace negative log-likelihood (the conditional median)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from losslab.losses.registry import (
    Card,
    LossSpec,
    register,
)
from losslab.losses.regression._common import (
    _ADAM,
    FAMILY,
    HASTIE_2009,
    KOENKER_BASSETT_1978,
    _example,
    _residual,
)

if TYPE_CHECKING:
    from torch import Tensor


def mae(*, prediction: Tensor, targets: Tensor) -> Tensor:
    r"""Mean absolute error.

    .. math::

        \ell = |y - \hat y|

    ``prediction``: ``[S, B, 1]``; ``targets``: ``[S, B]``; returns ``[S]``.
    """
    return _residual(prediction, targets).abs().mean(dim=1)


register(
    LossSpec(
        card=Card(
            name="mae",
            example=_example("mae"),
            family=FAMILY,
            formula=r"\ell(\hat y, y) = |y-\hat y|",
            derivation=(
                r"**Laplace noise.** With $\varepsilon\sim\mathrm{Laplace}(0,b)$, "
                r"$p(\varepsilon)=\frac{1}{2b}e^{-|\varepsilon|/b}$, the negative "
                r"log-likelihood is $|y-f(x)|/b+\log 2b$: the absolute residual.",
                r"**Optimum.** $\frac{d}{dc}\mathbb{E}|Y-c|=P(Y<c)-P(Y>c)$, zero when "
                r"$F(c)=\tfrac12$: the minimiser is the conditional median.",
                r"**Gradient.** $\partial\ell/\partial\hat y=-\operatorname{sign}(r)$: every "
                r"point pulls with the same force whatever its residual, so an outlier has "
                r"the same influence as any other point (bounded influence, breakdown point "
                r"1/2 for the median).",
                r"**Non-smooth.** The gradient jumps at $r=0$ and does not shrink near the "
                r"optimum: plain SGD oscillates unless the step size decays; Adam's "
                r"normalised steps cope, but the final fit is noisier than with a smooth loss.",
            ),
            optimum_or_divergence=(
                r"Minimised by the conditional median $\hat y(x)=\mathrm{median}(y\mid x)$; "
                r"the maximum-likelihood estimate under Laplace noise."
            ),
            used_by=(
                "Least absolute deviations regression (Boscovich, Laplace; Koenker & Bassett "
                "1978 as the 0.5-quantile)",
                "L1 reconstruction losses in image-to-image models (pix2pix)",
                "Forecasting competitions scored by MAE",
            ),
            why=(
                "When the data have outliers or heavy tails, or the metric is MAE: the "
                "median ignores how far off the extreme points are."
            ),
            pros=(
                "Robust: bounded influence of each point, breakdown point 1/2.",
                "Targets the median, right for MAE metrics and skewed noise.",
                "Scale: the loss is in the target's units.",
            ),
            cons=(
                "Non-differentiable at 0; gradient magnitude does not shrink near the optimum.",
                "Less efficient than MSE under Gaussian noise (asymptotic efficiency 64%).",
                "Estimates the median, which differs from the mean for skewed noise.",
            ),
            hyperparameters={},
            references=(KOENKER_BASSETT_1978, HASTIE_2009),
        ),
        terms={"loss": mae},
        optimizer=_ADAM,
        training={"outputs": 1},
    )
)
