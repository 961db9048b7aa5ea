"""gaussian-nll: learned (heteroscedastic) variance."""

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
from losslab.losses.regression._common import (
    _ADAM,
    FAMILY,
    LOG_2PI,
    _example,
    _residual,
)

if TYPE_CHECKING:
    from torch import Tensor


def gaussian_nll(*, prediction: Tensor, targets: Tensor, beta: Knob) -> Tensor:
    r"""Gaussian negative log-likelihood with a predicted mean and log-variance.

    .. math::

        \ell = \big[\operatorname{sg}(\sigma^2)\big]^{\beta}\Big(\tfrac12\log\sigma^2
               + \frac{(y-\mu)^2}{2\sigma^2}\Big) + \tfrac12\log 2\pi

    with ``prediction[..., 0]`` :math:`=\mu` and ``prediction[..., 1]``
    :math:`=\log\sigma^2`; :math:`\operatorname{sg}` stops the gradient. ``beta = 0``
    is the plain Gaussian NLL (Nix & Weigend 1994); ``beta > 0`` is beta-NLL (Seitzer
    et al. 2022), whose factor :math:`\operatorname{sg}(\sigma^{2\beta})/\sigma^2` is
    evaluated as one exponential, :math:`\exp(\operatorname{sg}(\beta s)-s)` with
    :math:`s=\log\sigma^2`, so it stays finite wherever the product is. ``prediction``:
    ``[S, B, 2]``; ``targets``: ``[S, B]``; ``beta``: a number or per-member ``[S]``; returns
    ``[S]``.
    """
    r = _residual(prediction, targets, width=2)
    log_var = prediction[..., 1]
    beta = broadcast_knob(beta, log_var)
    if not isinstance(beta, torch.Tensor) and beta == 0.0:
        nll = 0.5 * (log_var + r.pow(2) * torch.exp(-log_var))
    else:
        # sg(sigma^(2 beta)) * r^2 / sigma^2 is combined in log space, exp(sg(beta s) - s):
        # multiplying exp(-s) by exp(beta s) overflows in float32 once s < -88 although the
        # product is finite. Value and gradients are those of the product (the weight stays
        # detached); a per-member beta of 0 gives exp(-s) exactly, the plain NLL.
        weight_log = (beta * log_var).detach()
        nll = 0.5 * (torch.exp(weight_log) * log_var + r.pow(2) * torch.exp(weight_log - log_var))
    return (nll + 0.5 * LOG_2PI).mean(dim=1)


register(
    LossSpec(
        card=Card(
            name="gaussian-nll",
            example=_example("gaussian-nll", width=2),
            family=FAMILY,
            formula=(
                r"\ell(\mu,\sigma^2; y)=\tfrac12\log\sigma^2+\frac{(y-\mu)^2}{2\sigma^2}"
                r"+\tfrac12\log2\pi,\quad(\mu,\log\sigma^2)=f_\theta(x)"
            ),
            derivation=(
                r"**Heteroscedastic noise.** Let the network output a mean and a variance "
                r"per input: $y\mid x\sim\mathcal N(\mu(x),\sigma^2(x))$ (Nix & Weigend 1994).",
                r"**Likelihood.** The negative log-density is $\tfrac12\log(2\pi\sigma^2)+"
                r"\frac{(y-\mu)^2}{2\sigma^2}$. The second output is $s=\log\sigma^2$ so the "
                r"variance is positive with no constraint, and $r^2e^{-s}$ replaces a division.",
                r"**Optimum.** Minimising over $\sigma^2$ pointwise gives $\sigma^2=(y-\mu)^2$ "
                r"in expectation: $\mu(x)=\mathbb{E}[y\mid x]$ and $\sigma^2(x)="
                r"\mathrm{Var}[y\mid x]$. With $\sigma$ fixed it reduces to MSE.",
                r"**Gradients.** $\partial\ell/\partial\mu=-r/\sigma^2$ and "
                r"$\partial\ell/\partial s=\tfrac12(1-r^2/\sigma^2)$: each point's pull on "
                r"the mean is divided by its predicted variance (learned attenuation: noisy "
                r"regions count less).",
                r"**Known issue.** That same $1/\sigma^2$ lets the network explain a poorly "
                r"fitted region by a large variance, after which the mean there barely "
                r"learns; fits can end worse than MSE's (Seitzer et al. 2022). beta-NLL "
                r"multiplies the loss by $\operatorname{sg}(\sigma^{2\beta})$: $\beta=0.5$ is "
                r"their recommendation, $\beta=1$ gives the mean MSE's gradient. The knob "
                r"``beta`` (default 0, the plain NLL) selects it.",
            ),
            optimum_or_divergence=(
                r"Minimised by $\mu(x)=\mathbb{E}[y\mid x]$ and $\sigma^2(x)=\mathrm{Var}"
                r"[y\mid x]$: the expected loss is $\mathbb{E}_x\,\mathrm{KL}(p(y\mid x)\,\|\,"
                r"\mathcal N(\mu,\sigma^2))$ plus the entropy of $p(y\mid x)$ (exact KL when "
                r"the noise is Gaussian)."
            ),
            used_by=(
                "Mean-variance networks (Nix & Weigend 1994)",
                "Deep ensembles for predictive uncertainty (Lakshminarayanan et al. 2017)",
                "Aleatoric uncertainty in vision (Kendall & Gal 2017); torch.nn.GaussianNLLLoss",
            ),
            why=(
                "When the noise level varies with the input and you need calibrated "
                "uncertainty, not just a point prediction."
            ),
            pros=(
                "Predicts uncertainty: a variance per input, scored by NLL.",
                "Down-weights noisy regions automatically.",
                "Maximum likelihood: consistent for mean and variance under Gaussian noise.",
            ),
            cons=(
                "Mean fit can stall where the variance grows (Seitzer et al. 2022); use beta-NLL.",
                "Can diverge: a variance collapsing toward 0 on a fitted point sends "
                "the loss to minus infinity.",
                "Assumes Gaussian noise: outliers inflate the variance everywhere.",
            ),
            hyperparameters={
                "beta": Hyperparameter(
                    default=0.0,
                    low=0.0,
                    high=1.0,
                    search=Search.uniform(0, 1),
                    doc=(
                        "beta-NLL exponent: the loss is weighted by "
                        r"$\operatorname{sg}(\sigma^{2\beta})$. 0 is the plain Gaussian NLL, 0.5 "
                        "is Seitzer et al.'s recommendation, 1 gives the mean the MSE gradient. "
                        "Range [0, 1]. Searched uniform over [0, 1], the whole range Seitzer et "
                        "al. 2022 studied."
                    ),
                )
            },
            references=(
                Reference(
                    "Nix, D. A., Weigend, A. S.",
                    "Estimating the Mean and Variance of the Target Probability Distribution",
                    1994,
                ),
                Reference(
                    "Seitzer, M., Tavakoli, A., Antic, D., Martius, G.",
                    "On the Pitfalls of Heteroscedastic Uncertainty Estimation with "
                    "Probabilistic Neural Networks",
                    2022,
                    "https://arxiv.org/abs/2203.09168",
                ),
                Reference(
                    "Lakshminarayanan, B., Pritzel, A., Blundell, C.",
                    "Simple and Scalable Predictive Uncertainty Estimation using Deep Ensembles",
                    2017,
                    "https://arxiv.org/abs/1612.01474",
                ),
            ),
        ),
        terms={"loss": gaussian_nll},
        optimizer=_ADAM,
        training={"outputs": 2, "predicts_variance": True},
    )
)
