"""quantile (pinball): the loss whose minimiser is a quantile."""

from __future__ import annotations

from typing import TYPE_CHECKING

from losslab._lazy import torch
from losslab.losses.knobs import Knob, broadcast_knob
from losslab.losses.registry import (
    Card,
    Hyperparameter,
    LossSpec,
    Reference,
    register,
)
from losslab.losses.regression._common import (
    _ADAM,
    FAMILY,
    KOENKER_BASSETT_1978,
    _example,
    _residual,
)

if TYPE_CHECKING:
    from torch import Tensor


def quantile(*, prediction: Tensor, targets: Tensor, tau: Knob) -> Tensor:
    r"""Pinball (quantile) loss at level ``tau``.

    .. math::

        \rho_\tau(r) = \max(\tau r, (\tau-1) r), \qquad r = y - \hat y

    ``tau = 0.5`` is half the absolute error. ``prediction``: ``[S, B, 1]``;
    ``targets``: ``[S, B]``; ``tau``: a number or per-member ``[S]``; returns ``[S]``.
    """
    r = _residual(prediction, targets)
    tau = broadcast_knob(tau, r)
    return torch.maximum(tau * r, (tau - 1.0) * r).mean(dim=1)


register(
    LossSpec(
        card=Card(
            name="quantile",
            example=_example("quantile"),
            family=FAMILY,
            formula=(r"\rho_\tau(y-\hat y)=\max\big(\tau(y-\hat y),\ (\tau-1)(y-\hat y)\big)"),
            derivation=(
                r"**Asymmetric absolute error.** Under-predictions ($r>0$) cost $\tau r$, "
                r"over-predictions cost $(1-\tau)|r|$.",
                r"**Optimum.** $\frac{d}{dc}\mathbb{E}[\rho_\tau(Y-c)]=-\tau P(Y>c)+(1-\tau)"
                r"P(Y<c)=F(c)-\tau$, zero at $c=F^{-1}(\tau)$: the minimiser is the "
                r"conditional $\tau$-quantile (Koenker & Bassett 1978).",
                r"**Median.** $\tau=\tfrac12$ gives $\tfrac12|r|$: MAE/2, the median.",
                r"**Coverage.** At the optimum a fraction $\tau$ of targets lies at or below "
                r"the prediction: losslab reports this empirical coverage on the test split, "
                r"which should approach $\tau$. Two quantile models (e.g. 0.05 and 0.95) give "
                r"a distribution-free prediction interval.",
                r"**Gradient.** $-\tau$ or $1-\tau$: constant magnitude like MAE, so it is "
                r"robust to outliers and non-smooth at 0.",
            ),
            optimum_or_divergence=(
                r"Minimised by the conditional $\tau$-quantile $F^{-1}_{y\mid x}(\tau)$; "
                r"the maximum-likelihood estimate under an asymmetric Laplace noise model."
            ),
            used_by=(
                "Quantile regression (Koenker & Bassett 1978)",
                "Probabilistic forecasting: MQ-RNN (Wen et al. 2017), Temporal Fusion "
                "Transformer (Lim et al. 2021), LightGBM's quantile objective",
                "Distributional RL (QR-DQN, Dabney et al. 2018)",
            ),
            why=(
                "When you need a quantile rather than a mean: prediction intervals, "
                "asymmetric costs (stocking, capacity), or skewed and heteroscedastic noise "
                "without assuming a distribution."
            ),
            pros=(
                "Distribution-free: no noise model assumed.",
                "Robust to outliers (bounded gradient).",
                "Coverage is directly checkable on held-out data.",
            ),
            cons=(
                "One model per quantile; separately trained quantiles can cross.",
                "Non-smooth at 0, like MAE.",
                "Extreme quantiles (tau near 0 or 1) need much data.",
            ),
            hyperparameters={
                "tau": Hyperparameter(
                    default=0.5,
                    low=0.01,
                    high=0.99,
                    doc=(
                        r"Quantile level $\tau$: the fraction of targets the prediction should "
                        "lie at or above. 0.5 is the median (MAE/2). Range [0.01, 0.99]. Not "
                        "tuned: it defines what is estimated."
                    ),
                )
            },
            references=(
                KOENKER_BASSETT_1978,
                Reference(
                    "Wen, R., Torkkola, K., Narayanaswamy, B., Madeka, D.",
                    "A Multi-Horizon Quantile Recurrent Forecaster",
                    2017,
                    "https://arxiv.org/abs/1711.11053",
                ),
            ),
        ),
        terms={"loss": quantile},
        optimizer=_ADAM,
        training={"outputs": 1, "quantile": "tau"},
    )
)
