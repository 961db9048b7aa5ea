"""hinge: the margin loss of Geometric GAN / SN-GAN / SAGAN / BigGAN."""

from __future__ import annotations

from typing import TYPE_CHECKING

from losslab._lazy import torch
from losslab.losses.adversarial._common import (
    FAMILY,
    MIYATO_2018,
    _example,
    _member_mean,
)
from losslab.losses.adversarial.wgan_clip import wgan_clip_generator
from losslab.losses.registry import (
    Card,
    LossSpec,
    OptimizerDefaults,
    Reference,
    register,
)

if TYPE_CHECKING:
    from torch import Tensor


def hinge_discriminator(*, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    r"""Hinge (margin 1) discriminator loss: real labelled +1, fake labelled -1.

    .. math::

        \mathcal{L}_D = \frac{1}{B}\sum_b \max\big(0, 1 - D(x_b)\big)
                      + \frac{1}{B}\sum_b \max\big(0, 1 + D(G(z_b))\big)

    ``real_scores``, ``fake_scores``: raw outputs ``[S, B]``; returns ``[S]``.
    """
    return _member_mean(torch.relu(1.0 - real_scores)) + _member_mean(torch.relu(1.0 + fake_scores))


# The hinge GAN's generator is the Wasserstein one: raise the fakes' scores.
hinge_generator = wgan_clip_generator

register(
    LossSpec(
        card=Card(
            name="hinge",
            example=_example("hinge"),
            family=FAMILY,
            formula=(
                r"\begin{aligned}\mathcal{L}_D &= \mathbb{E}_{x\sim p_{\text{data}}}"
                r"[\max(0, 1 - D(x))] + \mathbb{E}_{z\sim p_z}[\max(0, 1 + D(G(z)))]"
                r"\\ \mathcal{L}_G &= -\mathbb{E}_{z\sim p_z}[D(G(z))]\end{aligned}"
            ),
            derivation=(
                r"**SVM view** (Lim & Ye 2017). Label real samples $y=+1$ and fakes $y=-1$, and "
                r"read $D(x)=\langle w,\phi(x)\rangle+\beta$ as a linear classifier on the "
                r"discriminator's features $\phi$. The soft-margin SVM minimises the hinge loss "
                r"$\max(0,1-yD(x))$ plus a norm penalty on $w$; with $y=\pm1$ the hinge part is "
                r"$\mathcal{L}_D$ (the norm control comes from e.g. spectral normalisation).",
                r"**The margin.** A real sample with $D(x)\ge1$ or a fake with $D(G(z))\le-1$ is "
                r"outside the margin: zero loss and zero gradient. $D$ stops pushing samples it "
                r"already separates well and spends its capacity on those near the boundary "
                r"(the SVM's support vectors).",
                r"**Generator.** Move fakes toward the real side, along the normal of the "
                r"separating hyperplane: $\mathcal{L}_G=-\mathbb{E}_z[D(G(z))]$, the same form as "
                r"the Wasserstein generator, with no margin and a constant slope.",
                r"**Total variation.** For fixed $G$, minimise pointwise "
                r"$p_{\text{data}}\max(0,1-D)+p_g\max(0,1+D)$: outside $[-1,1]$ it only grows, "
                r"inside it is linear in $D$, so $D^*=\operatorname{sign}(p_{\text{data}}-p_g)$ "
                r"and $\mathcal{L}_D(D^*)=2\int\min(p_{\text{data}},p_g)\,dx"
                r"=2-2\,\mathrm{TV}(p_{\text{data}},p_g)$ with "
                r"$\mathrm{TV}=\tfrac12\int|p_{\text{data}}-p_g|\,dx$. The hinge is the "
                r"classification surrogate that corresponds to the total-variation distance "
                r"(Nguyen, Wainwright & Jordan 2009).",
                r"**Reverse KL.** If $D$ were the logit of the Bayes-optimal logistic "
                r"discriminator, $D=\log(p_{\text{data}}/p_g)$, the generator loss would be "
                r"$-\mathbb{E}_{p_g}[D]=\mathbb{E}_{p_g}[\log(p_g/p_{\text{data}})]"
                r"=\mathrm{KL}(p_g\|p_{\text{data}})$, the mode-seeking reverse KL. The game is "
                r"not zero-sum; Lim & Ye show its equilibrium is $p_g=p_{\text{data}}$.",
            ),
            optimum_or_divergence=(
                r"For fixed $G$, $D^*=\operatorname{sign}(p_{\text{data}}-p_g)$ and the minimal "
                r"discriminator loss is $2-2\,\mathrm{TV}(p_{\text{data}},p_g)$ (total "
                r"variation); the equilibrium is $p_g=p_{\text{data}}$ (Lim & Ye 2017). Read with "
                r"a logistic-optimal logit, the generator loss $-\mathbb{E}_{p_g}[D]$ is the "
                r"reverse KL $\mathrm{KL}(p_g\|p_{\text{data}})$."
            ),
            used_by=(
                "Geometric GAN (Lim & Ye 2017)",
                "SN-GAN (Miyato et al. 2018): ResNets on CIFAR-10, STL-10 and ImageNet",
                "SAGAN (Zhang et al. 2019)",
                "BigGAN (Brock et al. 2019): class-conditional ImageNet",
                "MelGAN (Kumar et al. 2019): neural vocoder",
            ),
            why=(
                "The loss behind the strongest class-conditional image GANs (SN-GAN, SAGAN, "
                "BigGAN): a margin-based discriminator that ignores samples it already "
                "separates, paired with a Wasserstein-like generator. A strong default together "
                "with spectral normalisation."
            ),
            pros=(
                "The margin: well-separated samples give zero loss, so D does not over-fit "
                "confident samples.",
                "The generator gradient never saturates (slope -1 per fake score).",
                "No hyper-parameters and no penalty term: cheap.",
                "Among the best losses in the image experiments of SN-GAN, SAGAN and BigGAN.",
            ),
            cons=(
                "Relies on a norm control of D (spectral normalisation), like the SVM's norm "
                "penalty; the generator loss is linear and unbounded.",
                "Once D separates every sample beyond the margin, D itself gets no gradient.",
                "Not zero-sum: the generator's loss is not the quantity D estimates (TV), so "
                "loss curves are hard to read.",
                "Large-scale training still collapses eventually (Brock et al. 2019).",
            ),
            hyperparameters={},
            references=(
                Reference(
                    "Lim, J. H., Ye, J. C.",
                    "Geometric GAN",
                    2017,
                    "https://arxiv.org/abs/1705.02894",
                ),
                MIYATO_2018,
                Reference(
                    "Zhang, H., Goodfellow, I., Metaxas, D., Odena, A.",
                    "Self-Attention Generative Adversarial Networks",
                    2019,
                    "https://arxiv.org/abs/1805.08318",
                ),
                Reference(
                    "Brock, A., Donahue, J., Simonyan, K.",
                    "Large Scale GAN Training for High Fidelity Natural Image Synthesis",
                    2019,
                    "https://arxiv.org/abs/1809.11096",
                ),
                Reference(
                    "Nguyen, X., Wainwright, M. J., Jordan, M. I.",
                    "On surrogate loss functions and f-divergences",
                    2009,
                    "https://arxiv.org/abs/math/0510521",
                ),
            ),
        ),
        terms={"discriminator": hinge_discriminator, "generator": hinge_generator},
        optimizer=OptimizerDefaults(
            name="adam",
            lr=2e-4,
            betas=(0.0, 0.9),
            source="Miyato et al. 2018 (SN-GAN), ResNet setting with the hinge loss: Adam, "
            "lr 0.0002, beta1 0, beta2 0.9, n_dis 5.",
        ),
        training={"n_critic": 5},
    )
)
