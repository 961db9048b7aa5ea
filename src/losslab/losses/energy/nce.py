"""nce: noise-contrastive estimation of an energy, by logistic regression against noise."""

from __future__ import annotations

from typing import TYPE_CHECKING

from losslab._lazy import F, torch
from losslab.losses.energy._common import (
    FAMILY,
    GUTMANN_HYVARINEN_2010,
    GUTMANN_HYVARINEN_2012,
    evaluation_langevin_knobs,
)
from losslab.losses.knobs import Knob, broadcast_knob
from losslab.losses.registry import (
    Card,
    Hyperparameter,
    LossSpec,
    OptimizerDefaults,
    Reference,
    Search,
    register,
)

if TYPE_CHECKING:
    from torch import Tensor


def nce_loss(data_log_ratio: Tensor, noise_log_ratio: Tensor, noise_ratio: Knob) -> Tensor:
    r"""Noise-contrastive estimation (Gutmann & Hyvärinen 2010, 2012), per member.

    With :math:`G(u) = \log p_\theta(u) - \log q(u)` the model's log density ratio to the
    noise :math:`q`, :math:`\nu` noise samples per data sample and
    :math:`h(u) = \sigma\big(G(u) - \log\nu\big)`, the posterior probability that
    :math:`u` came from the data:

    .. math::

        \mathcal L_s = -\frac1B\sum_{b=1}^{B}\log h(x_b)
            \;-\; \nu\,\frac1{\nu B}\sum_{n=1}^{\nu B}\log\big(1 - h(y_n)\big)

    (the negative of their :math:`J_T`), a logistic regression of data :math:`x` against
    noise :math:`y`. ``data_log_ratio``: :math:`G(x)` ``[S, B]``; ``noise_log_ratio``:
    :math:`G(y)` ``[S, N]`` (:math:`N = \nu B` in training; any N is accepted);
    ``noise_ratio``: :math:`\nu`, a number or per-member ``[S]``; returns ``[S]``.
    """
    if data_log_ratio.dim() != 2 or noise_log_ratio.dim() != 2:
        raise ValueError(
            "expected log ratios of shape [S, B] and [S, N], got "
            f"{tuple(data_log_ratio.shape)} and {tuple(noise_log_ratio.shape)}"
        )
    if data_log_ratio.shape[0] != noise_log_ratio.shape[0]:
        raise ValueError(
            f"{data_log_ratio.shape[0]} members of data ratios, {noise_log_ratio.shape[0]} of "
            "noise ratios"
        )
    log_nu = torch.log(
        torch.as_tensor(
            broadcast_knob(noise_ratio, data_log_ratio),
            dtype=data_log_ratio.dtype,
            device=data_log_ratio.device,
        )
    )
    # -log h = softplus(-(G - log nu)); -log(1 - h) = softplus(G - log nu): stable for any G
    data_term = F.softplus(-(data_log_ratio - log_nu)).mean(dim=1)
    noise_term = F.softplus(noise_log_ratio - log_nu).mean(dim=1)
    return data_term + broadcast_knob(noise_ratio, data_term) * noise_term


_EXAMPLE = """import math
from losslab._lazy import torch
from losslab.losses import get_loss

spec = get_loss("nce")
knobs = spec.hyperparameters()  # noise_ratio, noise_scale and the evaluation sampler
nu = int(knobs["noise_ratio"])
x = torch.randn(2, 64, 2) + 3.0  # data [members, batch, dims]
mean, std = 3.0, 1.0 * knobs["noise_scale"]  # the noise: a Gaussian fitted to the data
y = mean + std * torch.randn(2, nu * 64, 2)  # noise samples


def log_q(u):  # the noise's log density
    return (-0.5 * ((u - mean) / std) ** 2 - math.log(std * math.sqrt(2 * math.pi))).sum(-1)


def log_p(u):  # a model: -E(u), here the data's own density (its normaliser included)
    return (-0.5 * (u - 3.0) ** 2 - math.log(math.sqrt(2 * math.pi))).sum(-1)


loss = spec.bind("contrast", knobs)(
    data_log_ratio=log_p(x) - log_q(x), noise_log_ratio=log_p(y) - log_q(y)
)
print(loss)  # one value per member: 2 log 2 = 1.386 when the model is the noise
"""

register(
    LossSpec(
        card=Card(
            name="nce",
            example=_EXAMPLE,
            family=FAMILY,
            formula=(
                r"\mathcal{L}=-\mathbb{E}_{x\sim p_{\text{data}}}\log h(x)"
                r"-\nu\,\mathbb{E}_{y\sim q}\log\big(1-h(y)\big),\quad "
                r"h(u)=\sigma\big(-E_\theta(u)-\log q(u)-\log\nu\big)"
            ),
            derivation=(
                r"**The problem.** A model $p_\theta(x)=e^{-E_\theta(x)}/Z(\theta)$ has an "
                r"intractable normaliser $Z(\theta)=\int e^{-E_\theta}$, so its likelihood "
                r"cannot be computed. Contrastive divergence estimates the gradient of "
                r"$\log Z$ with MCMC samples; noise-contrastive estimation avoids both.",
                r"**Treat the normaliser as a parameter.** Write $\log p_\theta(x)="
                r"-E_\theta(x)+c$ with $c$ a free parameter for $-\log Z$. Maximum likelihood "
                r"cannot fit $c$ (it would grow without bound); NCE can. Here $c$ is the "
                r"energy network's output bias, so no parameter is added.",
                r"**Classify data against noise.** Draw $\nu$ noise samples $y\sim q$ per data "
                r"sample $x$, with $q$ known and easy to sample. The posterior probability "
                r"that a point $u$ is data, if the data had density $p_\theta$, is "
                r"$h(u)=\frac{p_\theta(u)}{p_\theta(u)+\nu q(u)}=\sigma\big(G(u)-\log\nu\big)$, "
                r"$G=\log p_\theta-\log q$. Fit $\theta$ (and $c$) by the log-likelihood of this "
                r"logistic classifier: $J=\mathbb E_x\log h(x)+\nu\,\mathbb E_y\log(1-h(y))$ "
                r"(Gutmann & Hyvärinen 2012, eq. 8), the loss is $-J$.",
                r"**Consistency.** The Bayes-optimal classifier has "
                r"$h^*(u)=p_{\text{data}}(u)/(p_{\text{data}}(u)+\nu q(u))$, so $J$ is "
                r"maximised where $\log p_\theta=\log p_{\text{data}}$ wherever $q>0$: the "
                r"model recovers the data density *normalised*, $c$ included (Gutmann & "
                r"Hyvärinen 2012, Theorem 2). No sampling from the model is needed in training.",
                r"**Efficiency.** As $\nu\to\infty$ the estimator's variance approaches maximum "
                r"likelihood's (their Corollary 7); it is small when $q$ is close to the data, "
                r"because then the classification is hard and every sample is informative. "
                r"Here $q$ is a Gaussian with the data's mean and covariance (scaled by "
                r"`noise_scale`), fitted once per member from 2,000 of its data points.",
            ),
            optimum_or_divergence=(
                r"At the optimum $-E_\theta(x)=\log p_{\text{data}}(x)$ wherever $q>0$ (the "
                r"Gaussian noise is positive everywhere), with the normaliser learned: "
                r"$\int e^{-E_\theta}\approx1$. The population loss equals "
                r"$(1+\nu)\log(1+\nu)-\nu\log\nu$ minus a $\nu$-weighted Jensen–Shannon-type "
                r"divergence between the data and the mixture $\frac{1}{1+\nu}(p_\theta+\nu q)$"
                r"; it is $(1+\nu)\log(1+\nu)-\nu\log\nu$ ($2\log 2$ at $\nu=1$) when "
                r"$p_\theta=q$."
            ),
            used_by=(
                "Gutmann & Hyvärinen 2012: unnormalised models of natural image patches",
                "Mnih & Teh 2012, word2vec's negative sampling (Mikolov et al. 2013): "
                "language models without the softmax normaliser",
                "InfoNCE / contrastive representation learning (van den Oord et al. 2018) "
                "descends from it",
                "Gao et al. 2020 (flow contrastive estimation): NCE with a learned flow as "
                "noise for EBMs",
            ),
            why=(
                "Fit an energy-based model with no MCMC in training: a logistic regression "
                "of data against samples of a known noise density, which also learns the "
                "normaliser. The classic alternative to contrastive divergence."
            ),
            pros=(
                "No MCMC in training: one forward pass on data and one on noise per step.",
                "Learns a normalised density: the log-normaliser is a fitted parameter.",
                "Consistent for any noise that is positive wherever the data are.",
                "A stable, bounded-below objective (a logistic loss).",
            ),
            cons=(
                "Needs a noise density close to the data: with a poor noise the classifier "
                "wins easily and learning stalls (the curse of easy negatives, worse in high "
                "dimension).",
                "The noise must be sampled and evaluated exactly, which limits it to simple "
                "densities (here a Gaussian).",
                "Sampling the learned model still needs MCMC at evaluation.",
                r"Statistically less efficient than maximum likelihood at small $\nu$.",
            ),
            hyperparameters={
                "noise_ratio": Hyperparameter(
                    default=4,
                    low=1,
                    integer=True,
                    search=Search.among(1, 4, 16),
                    doc=(
                        r"Noise samples per data sample, $\nu$. Larger $\nu$ lowers the "
                        "estimator's variance toward maximum likelihood's (Gutmann & Hyvärinen "
                        "2012, Fig. 4: most of the gain by 10) at a proportional cost. Searched "
                        "among 1, 4 and 16."
                    ),
                ),
                "noise_scale": Hyperparameter(
                    default=1.0,
                    low=0.0,
                    search=Search.log_uniform(0.5, 2.0),
                    doc=(
                        "Scale of the noise Gaussian relative to the data's fitted covariance "
                        "(its standard deviations times this factor). 1 matches the data's "
                        "first two moments, the closest Gaussian; wider noise covers the tails "
                        "but makes classification easier. Searched log-uniform over [0.5, 2]."
                    ),
                ),
                **evaluation_langevin_knobs(0.01, "the learned energy"),
            },
            references=(
                GUTMANN_HYVARINEN_2010,
                GUTMANN_HYVARINEN_2012,
                Reference(
                    "Mnih, A., Teh, Y. W.",
                    "A fast and simple algorithm for training neural probabilistic language "
                    "models",
                    2012,
                    "https://arxiv.org/abs/1206.6426",
                ),
                Reference(
                    "Gao, R., Nijkamp, E., Kingma, D. P., Xu, Z., Dai, A. M., Wu, Y. N.",
                    "Flow Contrastive Estimation of Energy-Based Models",
                    2020,
                    "https://arxiv.org/abs/1912.00589",
                ),
            ),
        ),
        terms={"contrast": nce_loss},
        optimizer=OptimizerDefaults(
            name="adam",
            lr=1e-3,
            betas=(0.9, 0.999),
            source="Gutmann & Hyvärinen optimised with conjugate gradients on fixed samples; "
            "for a small MLP energy on minibatches we take Adam with torch's defaults, as "
            "the score-matching cards do.",
        ),
        training={"method": "nce"},
    )
)
