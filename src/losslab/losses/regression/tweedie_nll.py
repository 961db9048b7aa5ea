"""tweedie-nll: the Tweedie deviance of a log-mean output, for zero-inflated non-negative
targets (compound Poisson-gamma, 1 < p < 2)."""

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
from losslab.losses.regression._common import _ADAM, FAMILY
from losslab.losses.regression._counts import COUNT_TRAINING, _count_example, _log_mean
from losslab.losses.regression.poisson_nll import MCCULLAGH_NELDER_1989

if TYPE_CHECKING:
    from torch import Tensor


def tweedie_nll(*, prediction: Tensor, targets: Tensor, power: Knob) -> Tensor:
    r"""Half the Tweedie deviance (the NLL up to a :math:`y`-only term) with a log-mean output.

    .. math::

        \ell = \frac{y^{2-p}}{(1-p)(2-p)} - \frac{y\,\mu^{1-p}}{1-p}
               + \frac{\mu^{2-p}}{2-p}, \qquad \mu = e^{\eta},\ 1<p<2

    with ``prediction[..., 0]`` :math:`=\eta`; :math:`\mu^{a}` is ``exp(a * eta)`` and
    :math:`y^{2-p}` is 0 at :math:`y=0`. Twice this is scikit-learn's
    ``mean_tweedie_deviance(y, mu, power=p)`` per sample; its gradient in :math:`\eta`
    is LightGBM's ``tweedie`` objective's. ``targets`` must be non-negative (the trainer
    refuses other data). ``prediction``: ``[S, B, 1]``; ``targets``: ``[S, B]``;
    ``power``: a number or per-member ``[S]``; returns ``[S]``.
    """
    eta = _log_mean(prediction, targets)
    p = broadcast_knob(power, eta)
    y = targets.to(eta.dtype)
    positive = y > 0
    y_term = torch.where(positive, torch.exp((2 - p) * torch.log(torch.where(positive, y, 1))), 0)
    loss = (
        y_term / ((1 - p) * (2 - p))
        - y * torch.exp((1 - p) * eta) / (1 - p)
        + torch.exp((2 - p) * eta) / (2 - p)
    )
    return loss.mean(dim=1)


register(
    LossSpec(
        card=Card(
            name="tweedie-nll",
            example=_count_example("tweedie-nll"),
            family=FAMILY,
            formula=r"\ell(\eta;y)=\frac{y^{2-p}}{(1-p)(2-p)}-\frac{y\,\mu^{1-p}}{1-p}"
            r"+\frac{\mu^{2-p}}{2-p},\quad\mu=e^{\eta},\ 1<p<2",
            derivation=(
                r"**Tweedie family.** Exponential-dispersion models with variance "
                r"$\mathrm{Var}[y]=\phi\mu^p$: $p=0$ Gaussian, $p=1$ Poisson, $p=2$ gamma. For "
                r"$1<p<2$ it is a compound Poisson-gamma: a Poisson number of gamma-sized "
                r"amounts, so $y$ has a point mass at 0 and a continuous positive part "
                r"(insurance claims, rainfall, sales).",
                r"**Log-likelihood.** In exponential-dispersion form, "
                r"$\log p(y)=\frac1\phi\big(y\frac{\mu^{1-p}}{1-p}-\frac{\mu^{2-p}}{2-p}\big)+"
                r"c(y,\phi)$. The series $c(y,\phi)$ does not involve $\mu$, so the NLL in "
                r"$\mu$ is $\frac1\phi\big(-\frac{y\mu^{1-p}}{1-p}+\frac{\mu^{2-p}}{2-p}\big)$ "
                r"+ const.",
                r"**Deviance.** Adding $\frac{y^{2-p}}{(1-p)(2-p)}$ makes it 0 at $\mu=y$: "
                r"$\ell=\frac12 d_p(y,\mu)$, half the unit deviance (scikit-learn's "
                r"``mean_tweedie_deviance`` is $d_p$). $\phi$ only scales the loss and is "
                r"dropped.",
                r"**Log link and gradient.** With $\mu=e^\eta$, $\partial\ell/\partial\eta="
                r"\mu^{2-p}-y\mu^{1-p}=\mu^{1-p}(\mu-y)$: the residual weighted by "
                r"$\mu^{1-p}$, between Poisson's weight 1 ($p\to1$) and gamma's $1/\mu$ "
                r"($p\to2$). This is LightGBM's ``tweedie`` objective.",
                r"**Limits.** $p\to1$ gives `poisson-nll` up to a constant; $p\to2$ the gamma "
                r"deviance $\log(\mu/y)+y/\mu-1$.",
            ),
            optimum_or_divergence=(
                r"Minimised by $\mu(x)=\mathbb{E}[y\mid x]$ for any $1<p<2$ (a Bregman "
                r"divergence, strictly consistent for the mean); $p$ only changes how errors at "
                r"different means are weighted. The maximum-likelihood estimate when $y$ is "
                r"Tweedie with power $p$."
            ),
            used_by=(
                "Insurance pure-premium models (claims with many zeros), GLMs (statsmodels, "
                "scikit-learn's TweedieRegressor)",
                "Gradient boosting for sales and demand forecasting (LightGBM/XGBoost "
                "'tweedie', e.g. the M5 competition)",
            ),
            why=(
                "For non-negative targets with many exact zeros and a skewed positive part, "
                "the Tweedie deviance weighs errors by the variance mu^p instead of a constant."
            ),
            pros=(
                "Handles exact zeros and a continuous positive part in one model.",
                "Positive mean by construction; consistent for the conditional mean.",
                "One knob spans Poisson-like to gamma-like variance.",
            ),
            cons=(
                "power must be chosen (or tuned); the dispersion is not estimated.",
                "Exponentials of the output can overflow early in training.",
                "Needs non-negative targets; the prediction is on the log scale.",
            ),
            hyperparameters={
                "power": Hyperparameter(
                    default=1.5,
                    low=1.001,
                    high=1.999,
                    search=Search.uniform(1.1, 1.9),
                    doc=(
                        r"Variance power $p$, $\mathrm{Var}[y]\propto\mu^p$: near 1 Poisson-like, "
                        "near 2 gamma-like. 1.5 is LightGBM's default "
                        "(tweedie_variance_power). Range [1.001, 1.999], inside the open "
                        "interval (1, 2). Searched uniform over [1.1, 1.9], LightGBM's "
                        "documented interval [1, 2) kept off its ends."
                    ),
                )
            },
            references=(
                Reference(
                    "Jørgensen, B.",
                    "Exponential Dispersion Models",
                    1987,
                ),
                Reference(
                    "Smyth, G. K., Jørgensen, B.",
                    "Fitting Tweedie's Compound Poisson Model to Insurance Claims Data: "
                    "Dispersion Modelling",
                    2002,
                ),
                MCCULLAGH_NELDER_1989,
            ),
        ),
        terms={"loss": tweedie_nll},
        optimizer=_ADAM,
        training=dict(COUNT_TRAINING),
    )
)
