"""minimax-bce: the original (saturating) GAN game."""

from __future__ import annotations

from typing import TYPE_CHECKING

from losslab._lazy import F
from losslab.losses.adversarial._common import (
    _BCE_DISCRIMINATOR_FORMULA,
    _BCE_OPTIMIZER,
    ARJOVSKY_BOTTOU_2017,
    FAMILY,
    GOODFELLOW_2014,
    LUCIC_2018,
    RADFORD_2016,
    _example,
    _member_mean,
)
from losslab.losses.registry import (
    Card,
    LossSpec,
    register,
)

if TYPE_CHECKING:
    from torch import Tensor


def minimax_bce_discriminator(*, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    r"""Binary cross-entropy of the discriminator, real labelled 1 and fake 0, from logits.

    .. math::

        \mathcal{L}_D = \frac{1}{B}\sum_b \operatorname{softplus}(-\ell^{\text{real}}_b)
                      + \frac{1}{B}\sum_b \operatorname{softplus}(\ell^{\text{fake}}_b)
                      = -\log D(x) - \log(1 - D(G(z))) \text{ (batch means)}

    ``real_scores``, ``fake_scores``: logits ``[S, B]``; returns ``[S]``.
    """
    return _member_mean(F.softplus(-real_scores)) + _member_mean(F.softplus(fake_scores))


def minimax_bce_generator(*, fake_scores: Tensor) -> Tensor:
    r"""The saturating generator loss of the original minimax game, from logits.

    .. math::

        \mathcal{L}_G = \frac{1}{B}\sum_b \log\big(1 - \sigma(\ell^{\text{fake}}_b)\big)
                      = -\frac{1}{B}\sum_b \operatorname{softplus}(\ell^{\text{fake}}_b),
        \qquad \frac{\partial}{\partial \ell}\big(-\operatorname{softplus}(\ell)\big)
                      = -\sigma(\ell)

    The slope :math:`-\sigma(\ell) \to 0` when the discriminator rejects the fakes
    (:math:`\ell \ll 0`): the loss saturates. ``fake_scores``: logits ``[S, B]``; returns ``[S]``.
    """
    return -_member_mean(F.softplus(fake_scores))


register(
    LossSpec(
        card=Card(
            name="minimax-bce",
            example=_example("minimax-bce"),
            family=FAMILY,
            formula=(
                r"\begin{aligned}"
                + _BCE_DISCRIMINATOR_FORMULA
                + r"\\ \mathcal{L}_G &= \mathbb{E}_{z\sim p_z}[\log(1 - D(G(z)))]"
                r" = -\mathbb{E}[\operatorname{softplus}(\ell_{\text{fake}})],"
                r" \quad D = \sigma(\ell)\end{aligned}"
            ),
            derivation=(
                r"**The game.** $D(x)=\sigma(\ell(x))$ is the probability that $x$ is real. "
                r"Both players share the value function "
                r"$V(D,G)=\mathbb{E}_{x\sim p_{\text{data}}}[\log D(x)]"
                r"+\mathbb{E}_{z\sim p_z}[\log(1-D(G(z)))]$: $D$ maximises it, $G$ minimises it.",
                r"**Optimal discriminator.** For fixed $G$, "
                r"$V=\int p_{\text{data}}(x)\log D(x)+p_g(x)\log(1-D(x))\,dx$. Pointwise, "
                r"$y\mapsto a\log y+b\log(1-y)$ peaks at $y=a/(a+b)$, so "
                r"$D^*(x)=\frac{p_{\text{data}}(x)}{p_{\text{data}}(x)+p_g(x)}$.",
                r"**Substitute.** With $m=\tfrac12(p_{\text{data}}+p_g)$: "
                r"$V(D^*,G)=\mathbb{E}_{p_{\text{data}}}[\log\frac{p_{\text{data}}}{2m}]"
                r"+\mathbb{E}_{p_g}[\log\frac{p_g}{2m}]"
                r"=-\log 4+\mathrm{KL}(p_{\text{data}}\|m)+\mathrm{KL}(p_g\|m)"
                r"=2\,\mathrm{JSD}(p_{\text{data}}\|p_g)-\log 4$, "
                r"minimal ($-\log 4$) exactly when $p_g=p_{\text{data}}$.",
                r"**Logits.** The network outputs a logit $\ell$. Since "
                r"$-\log\sigma(\ell)=\operatorname{softplus}(-\ell)$ and "
                r"$-\log(1-\sigma(\ell))=\operatorname{softplus}(\ell)$, $D$'s loss $-V$ is binary "
                r"cross-entropy (label 1 real, 0 fake) computed stably from logits; a naive "
                r"$\log(1-\sigma(\ell))$ is $-\infty$ in float32 once $\ell\gtrsim17$.",
                r"**Saturation.** $G$ minimises $\mathbb{E}_z[\log(1-\sigma(\ell_{\text{fake}}))]"
                r"=-\mathbb{E}_z[\operatorname{softplus}(\ell_{\text{fake}})]$, whose derivative "
                r"with respect to the fake logit is $-\sigma(\ell_{\text{fake}})$. Early in "
                r"training $D$ rejects fakes confidently, $\ell_{\text{fake}}\ll0$, and "
                r"$\sigma(\ell)\approx e^{\ell}\to0$: the generator gets almost no gradient "
                r"exactly when it is worst (slope $4.5\times10^{-5}$ at $\ell=-10$).",
                r"**The fixes.** Maximising $\log D(G(z))$ instead (`nonsaturating-bce`) has "
                r"slope $-(1-\sigma(\ell))\to-1$ for rejected fakes. And when $p_{\text{data}}$ "
                r"and $p_g$ lie on disjoint low-dimensional manifolds, $\mathrm{JSD}=\log2$ is "
                r"constant, so no JSD-based loss gives a useful signal (Arjovsky & Bottou "
                r"2017): the motivation for the Wasserstein losses (`wgan-clip`, `wgan-gp`).",
            ),
            optimum_or_divergence=(
                r"Optimal discriminator $D^*=p_{\text{data}}/(p_{\text{data}}+p_g)$; at $D^*$ the "
                r"generator minimises $2\,\mathrm{JSD}(p_{\text{data}}\|p_g)-\log4$, whose minimum "
                r"is at $p_g=p_{\text{data}}$."
            ),
            used_by=(
                "Goodfellow et al. 2014 (original GAN): the game the theory is about; "
                "their experiments already trained G with the non-saturating variant",
                "Large-scale loss comparisons as the 'MM GAN' baseline (Lucic et al. 2018)",
                "Teaching: the cautionary case for vanishing generator gradients",
            ),
            why=(
                "The loss of the original GAN paper and the one its theory is about: the "
                "shortest path from 'a classifier that tells real from fake' to 'a generator "
                "that minimises the Jensen-Shannon divergence'. Use it to learn and as the "
                "cautionary baseline; train real models with nonsaturating-bce."
            ),
            pros=(
                "Exact theory: closed-form optimal discriminator and a known divergence (JSD).",
                "The discriminator is an ordinary BCE classifier; at the optimum D(x) is a "
                "calibrated probability that x is real.",
                "No hyper-parameters.",
            ),
            cons=(
                r"Generator gradient vanishes when D confidently rejects fakes (slope "
                r"$\sigma(\ell)\to0$), i.e. early in training.",
                r"JSD is constant ($\log 2$) for disjoint supports: no useful signal when real "
                r"and generated distributions do not overlap.",
                "Unstable and prone to mode collapse like every JSD GAN; rarely used to train "
                "real models.",
            ),
            hyperparameters={},
            references=(GOODFELLOW_2014, ARJOVSKY_BOTTOU_2017, RADFORD_2016, LUCIC_2018),
        ),
        terms={"discriminator": minimax_bce_discriminator, "generator": minimax_bce_generator},
        optimizer=_BCE_OPTIMIZER,
        training={"n_critic": 1},
    )
)
