"""nonsaturating-bce: the -log D(G(z)) generator."""

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
from losslab.losses.adversarial.minimax_bce import minimax_bce_discriminator
from losslab.losses.registry import (
    Card,
    LossSpec,
    Reference,
    register,
)

if TYPE_CHECKING:
    from torch import Tensor

nonsaturating_bce_discriminator = minimax_bce_discriminator


def nonsaturating_bce_generator(*, fake_scores: Tensor) -> Tensor:
    r"""The non-saturating generator loss: fakes are scored as if labelled real, from logits.

    .. math::

        \mathcal{L}_G = -\frac{1}{B}\sum_b \log \sigma(\ell^{\text{fake}}_b)
                      = \frac{1}{B}\sum_b \operatorname{softplus}(-\ell^{\text{fake}}_b),
        \qquad \frac{\partial}{\partial \ell}\operatorname{softplus}(-\ell)
                      = -(1 - \sigma(\ell))

    The slope tends to :math:`-1` for rejected fakes (:math:`\ell \ll 0`).
    ``fake_scores``: logits ``[S, B]``; returns ``[S]``.
    """
    return _member_mean(F.softplus(-fake_scores))


register(
    LossSpec(
        card=Card(
            name="nonsaturating-bce",
            example=_example("nonsaturating-bce"),
            family=FAMILY,
            formula=(
                r"\begin{aligned}"
                + _BCE_DISCRIMINATOR_FORMULA
                + r"\\ \mathcal{L}_G &= -\mathbb{E}_{z\sim p_z}[\log D(G(z))]"
                r" = \mathbb{E}[\operatorname{softplus}(-\ell_{\text{fake}})],"
                r" \quad D = \sigma(\ell)\end{aligned}"
            ),
            derivation=(
                r"**Same discriminator.** $D$ minimises binary cross-entropy, "
                r"$\mathcal{L}_D=\mathbb{E}_{p_{\text{data}}}[\operatorname{softplus}(-\ell)]"
                r"+\mathbb{E}_{p_g}[\operatorname{softplus}(\ell)]$, with optimum "
                r"$D^*=p_{\text{data}}/(p_{\text{data}}+p_g)$ (see `minimax-bce`).",
                r"**Swap the generator's objective.** Goodfellow et al. (2014) note that "
                r"$\min_G\mathbb{E}[\log(1-D(G(z)))]$ saturates and propose "
                r"$\max_G\mathbb{E}[\log D(G(z))]$ instead: "
                r"$\mathcal{L}_G=-\mathbb{E}_z[\log\sigma(\ell_{\text{fake}})]"
                r"=\mathbb{E}_z[\operatorname{softplus}(-\ell_{\text{fake}})]$, i.e. $G$ trains "
                r"as if its samples were labelled real. Both objectives push $D(G(z))$ up and "
                r"share the fixed point $p_g=p_{\text{data}}$.",
                r"**Gradient.** $\frac{d}{d\ell}\operatorname{softplus}(-\ell)=-(1-\sigma(\ell))"
                r"\to-1$ as $\ell\to-\infty$: a rejected fake gets the full unit slope. At "
                r"$\ell=-10$ it is $0.99995$ against $4.5\times10^{-5}$ for the saturating loss, "
                r"a ratio of $e^{10}\approx2.2\times10^{4}$.",
                r"**What it minimises.** The game is no longer zero-sum. At $D^*$ the expected "
                r"generator gradient is the gradient of "
                r"$\mathrm{KL}(p_g\|p_{\text{data}})-2\,\mathrm{JSD}(p_{\text{data}}\|p_g)$ "
                r"(Arjovsky & Bottou 2017, Thm. 2.5). The reverse KL punishes fakes where there "
                r"is no data far more than missing modes: mode-seeking, hence mode dropping.",
                r"**In practice** the losses are computed from logits with softplus, so they stay "
                r"finite for any logit; StyleGAN adds the R1 penalty "
                r"$\frac{\gamma}{2}\mathbb{E}_{p_{\text{data}}}\|\nabla D(x)\|^2$ "
                r"(Mescheder et al. 2018) to the discriminator.",
            ),
            optimum_or_divergence=(
                r"Same optimal discriminator $D^*=p_{\text{data}}/(p_{\text{data}}+p_g)$ and fixed "
                r"point $p_g=p_{\text{data}}$ as the minimax game; at $D^*$ the generator follows "
                r"the gradient of $\mathrm{KL}(p_g\|p_{\text{data}})"
                r"-2\,\mathrm{JSD}(p_{\text{data}}\|p_g)$ (Arjovsky & Bottou 2017)."
            ),
            used_by=(
                "DCGAN (Radford et al. 2016)",
                "pix2pix (Isola et al. 2017), conditional image-to-image translation",
                "StyleGAN / StyleGAN2 (Karras et al. 2019, 2020): non-saturating logistic loss "
                "with the R1 penalty on real data",
                "The 'NS GAN' of Lucic et al. 2018, as good as newer losses given equal tuning",
            ),
            why=(
                "The 'vanilla GAN' loss as actually trained: the same discriminator and fixed "
                "point as the original game, but strong generator gradients early in training. "
                "With a gradient penalty on real data (R1) it trains state-of-the-art image models."
            ),
            pros=(
                "Strong generator gradient exactly when D rejects the fakes.",
                "Plain BCE discriminator; no hyper-parameters.",
                "With R1 and a good architecture it reaches the state of the art (StyleGAN).",
                "Large studies find it competitive with newer losses given equal tuning budgets "
                "(Lucic et al. 2018).",
            ),
            cons=(
                "Not zero-sum: no single divergence is minimised; the reverse-KL component "
                "favours mode-seeking and mode dropping.",
                "With a near-perfect discriminator the generator's updates become unstable "
                "(Arjovsky & Bottou 2017).",
                "The discriminator loss does not track sample quality, so loss curves are hard "
                "to read.",
            ),
            hyperparameters={},
            references=(
                GOODFELLOW_2014,
                ARJOVSKY_BOTTOU_2017,
                RADFORD_2016,
                Reference(
                    "Karras, T., Laine, S., Aila, T.",
                    "A Style-Based Generator Architecture for Generative Adversarial Networks",
                    2019,
                    "https://arxiv.org/abs/1812.04948",
                ),
                Reference(
                    "Mescheder, L., Geiger, A., Nowozin, S.",
                    "Which Training Methods for GANs do actually Converge?",
                    2018,
                    "https://arxiv.org/abs/1801.04406",
                ),
                LUCIC_2018,
            ),
        ),
        terms={
            "discriminator": nonsaturating_bce_discriminator,
            "generator": nonsaturating_bce_generator,
        },
        optimizer=_BCE_OPTIMIZER,
        training={"n_critic": 1},
    )
)
