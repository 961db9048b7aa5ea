"""huber: quadratic for small residuals, linear beyond delta (a robust M-estimator)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from losslab.losses.knobs import Knob, broadcast_knob
from losslab.losses.registry import (
    Card,
    Hyperparameter,
    LossSpec,
    Reference,
    Search,
    register,
)
from losslab.losses.regression._common import (
    _ADAM,
    FAMILY,
    HUBER_1964,
    _example,
    _residual,
)

if TYPE_CHECKING:
    from torch import Tensor


def huber(*, prediction: Tensor, targets: Tensor, delta: Knob) -> Tensor:
    r"""Huber loss: quadratic for small residuals, linear beyond ``delta``.

    .. math::

        \ell = \begin{cases} \tfrac12 r^2 & |r|\le\delta \\
               \delta\,(|r|-\tfrac12\delta) & |r|>\delta \end{cases}

    ``prediction``: ``[S, B, 1]``; ``targets``: ``[S, B]``; ``delta``: a number or
    per-member ``[S]``; returns ``[S]``.
    """
    a = _residual(prediction, targets).abs()
    delta = broadcast_knob(delta, a)
    small = a.clamp(max=delta)
    # 0.5 * small^2 + delta * (a - small) equals both branches and has the right gradient.
    return (0.5 * small.pow(2) + delta * (a - small)).mean(dim=1)


register(
    LossSpec(
        card=Card(
            name="huber",
            example=_example("huber"),
            family=FAMILY,
            formula=(
                r"\ell(\hat y, y)=\begin{cases}\tfrac12 r^2 & |r|\le\delta\\"
                r"\delta\,(|r|-\tfrac12\delta) & |r|>\delta\end{cases},\quad r=y-\hat y"
            ),
            derivation=(
                r"**Contaminated normal.** Huber (1964) asks for the location estimator that "
                r"does best in the worst case over $(1-\epsilon)\mathcal N(0,1)+\epsilon H$, "
                r"a normal contaminated by an arbitrary distribution $H$.",
                r"**The answer.** The minimax M-estimator minimises $\sum\rho(r_i)$ with "
                r"$\rho$ quadratic for $|r|\le\delta$ and linear beyond, $\delta$ set by "
                r"$\epsilon$: the least favourable distribution is Gaussian in the centre "
                r"and Laplace in the tails.",
                r"**Continuity.** At $|r|=\delta$ both branches equal $\tfrac12\delta^2$ and "
                r"both slopes equal $\delta$: the loss is once continuously differentiable.",
                r"**Gradient.** $\partial\ell/\partial\hat y=-\operatorname{clip}(r,-\delta,"
                r"\delta)$: MSE's (halved) gradient for inliers, MAE's constant "
                r"magnitude, scaled by $\delta$, for outliers. Its magnitude is "
                r"$\min(|r|,\delta)$.",
                r"**Choosing delta.** $\delta$ is in the residual's units: $\delta=1.345\sigma$ "
                r"keeps 95% efficiency under Gaussian noise while capping each point's "
                r"influence. $\delta\to\infty$ gives MSE/2; $\delta\to0$ gives $\delta$ times "
                r"MAE. With $\delta=1$ it is Fast R-CNN's smooth-L1 loss.",
            ),
            optimum_or_divergence=(
                r"Minimised by the Huber M-estimate of location of $p(y\mid x)$: the mean for "
                r"symmetric noise, between the mean and the median otherwise; the minimax "
                r"estimator for an $\epsilon$-contaminated Gaussian."
            ),
            used_by=(
                "Robust regression (Huber 1964; scikit-learn's HuberRegressor)",
                "Box regression in Fast/Faster R-CNN (smooth L1, delta = 1)",
                "DQN's clipped TD error (Mnih et al. 2015)",
            ),
            why=(
                "Best of both: efficient like MSE for the bulk of the data, robust like MAE "
                "for outliers. The standard choice when a few gross errors contaminate "
                "otherwise Gaussian noise."
            ),
            pros=(
                "Bounded influence (at most delta per point) with a smooth optimum.",
                "Near-MSE efficiency on clean Gaussian data.",
                "Differentiable everywhere.",
            ),
            cons=(
                "delta is in the target's units: needs the noise scale, or standardised targets.",
                "Not twice differentiable at |r| = delta.",
                "For asymmetric contamination still biased (less than MSE).",
            ),
            hyperparameters={
                "delta": Hyperparameter(
                    default=1.0,
                    low=1e-6,
                    search=Search.log_uniform(0.1, 10),
                    doc=(
                        r"Threshold $\delta$ between the quadratic and the linear part, in the "
                        "target's units; must be > 0. 1.345 times the noise standard deviation "
                        "gives 95% Gaussian efficiency; 1.0 for standardised targets. Searched "
                        "log-uniform over [0.1, 10] in standardised units, a decade either side "
                        "of 1."
                    ),
                )
            },
            references=(
                HUBER_1964,
                Reference(
                    "Girshick, R.",
                    "Fast R-CNN",
                    2015,
                    "https://arxiv.org/abs/1504.08083",
                ),
            ),
        ),
        terms={"loss": huber},
        optimizer=_ADAM,
        training={"outputs": 1},
    )
)
