"""lsgan: least-squares GAN."""

from __future__ import annotations

from typing import TYPE_CHECKING

from losslab.losses.adversarial._common import (
    FAMILY,
    _example,
    _member_mean,
)
from losslab.losses.knobs import Knob, broadcast_knob
from losslab.losses.registry import (
    Card,
    Hyperparameter,
    LossSpec,
    OptimizerDefaults,
    Reference,
    register,
)

if TYPE_CHECKING:
    from torch import Tensor


def lsgan_discriminator(*, real_scores: Tensor, fake_scores: Tensor, a: Knob, b: Knob) -> Tensor:
    r"""Least-squares discriminator loss: regress real scores to ``b`` and fake scores to ``a``.

    .. math::

        \mathcal{L}_D = \frac{1}{2B}\sum_b \big(D(x_b) - b\big)^2
                      + \frac{1}{2B}\sum_b \big(D(G(z_b)) - a\big)^2

    ``real_scores``, ``fake_scores``: raw (linear, no sigmoid) outputs ``[S, B]``; ``a``,
    ``b``: numbers or per-member ``[S]``; returns ``[S]``.
    """
    a, b = broadcast_knob(a, fake_scores), broadcast_knob(b, real_scores)
    return 0.5 * _member_mean((real_scores - b) ** 2) + 0.5 * _member_mean((fake_scores - a) ** 2)


def lsgan_generator(*, fake_scores: Tensor, c: Knob) -> Tensor:
    r"""Least-squares generator loss: regress the fakes' scores to ``c``.

    .. math::

        \mathcal{L}_G = \frac{1}{2B}\sum_b \big(D(G(z_b)) - c\big)^2

    ``fake_scores``: raw outputs ``[S, B]``; ``c``: a number or per-member ``[S]``;
    returns ``[S]``.
    """
    return 0.5 * _member_mean((fake_scores - broadcast_knob(c, fake_scores)) ** 2)


register(
    LossSpec(
        card=Card(
            name="lsgan",
            example=_example("lsgan"),
            family=FAMILY,
            formula=(
                r"\begin{aligned}\mathcal{L}_D &= \tfrac12\mathbb{E}_{x\sim p_{\text{data}}}"
                r"[(D(x)-b)^2] + \tfrac12\mathbb{E}_{z\sim p_z}[(D(G(z))-a)^2]"
                r"\\ \mathcal{L}_G &= \tfrac12\mathbb{E}_{z\sim p_z}[(D(G(z))-c)^2]\end{aligned}"
            ),
            derivation=(
                r"**Motivation.** With a sigmoid cross-entropy discriminator, a fake on the "
                r"'real' side of the decision boundary but far from the data has almost no loss, "
                r"hence no gradient. A least-squares loss penalises the distance to the target "
                r"value itself and pulls such samples toward the boundary and the data. $D$ is "
                r"the raw (linear) output, no sigmoid.",
                r"**Targets.** $a$ is the label of fake samples, $b$ the label of real ones, and "
                r"$c$ the value $G$ wants $D$ to give its fakes.",
                r"**Optimal discriminator.** For fixed $G$, minimise pointwise "
                r"$\tfrac12p_{\text{data}}(D-b)^2+\tfrac12p_g(D-a)^2$: "
                r"$D^*(x)=\frac{b\,p_{\text{data}}(x)+a\,p_g(x)}{p_{\text{data}}(x)+p_g(x)}$.",
                r"**Substitute.** Adding $\tfrac12\mathbb{E}_{p_{\text{data}}}[(D(x)-c)^2]$ to "
                r"$\mathcal{L}_G$ does not change $G$'s optimum (it does not depend on $G$). "
                r"Then $2C(G)=\mathbb{E}_{p_{\text{data}}}[(D^*-c)^2]+\mathbb{E}_{p_g}[(D^*-c)^2]"
                r"=\int\frac{\big((b-c)(p_{\text{data}}+p_g)-(b-a)\,p_g\big)^2}"
                r"{p_{\text{data}}+p_g}\,dx$.",
                r"**Pearson $\chi^2$.** With $b-c=1$ and $b-a=2$ (e.g. $a=-1$, $b=1$, $c=0$): "
                r"$2C(G)=\int\frac{\big(2p_g-(p_{\text{data}}+p_g)\big)^2}{p_{\text{data}}+p_g}dx"
                r"=\chi^2_{\text{Pearson}}(p_{\text{data}}+p_g\,\|\,2p_g)$ (Mao et al.'s "
                r"notation), which is 0 iff $p_g=p_{\text{data}}$: minimising the generator's "
                r"objective minimises a Pearson $\chi^2$ divergence.",
                r"**0-1 coding.** The defaults here, as in the paper's experiments, are $a=0$, "
                r"$b=c=1$: $G$ wants its samples scored as real. Then "
                r"$2C(G)=\int\frac{p_g^2}{p_{\text{data}}+p_g}dx$: not a $\chi^2$ divergence, but "
                r"convex in $p_g$ and still minimised at $p_g=p_{\text{data}}$. The paper reports "
                r"similar results for both codings.",
            ),
            optimum_or_divergence=(
                r"$D^*=\frac{b\,p_{\text{data}}+a\,p_g}{p_{\text{data}}+p_g}$. With $b-c=1$ and "
                r"$b-a=2$ the generator minimises the Pearson $\chi^2$ divergence "
                r"$\chi^2_{\text{Pearson}}(p_{\text{data}}+p_g\|2p_g)"
                r"=\int\frac{(2p_g-p_{\text{data}}-p_g)^2}{p_{\text{data}}+p_g}dx$; with the "
                r"default 0-1 coding the criterion $\int p_g^2/(p_{\text{data}}+p_g)\,dx$ has "
                r"the same minimiser $p_g=p_{\text{data}}$."
            ),
            used_by=(
                "LSGAN (Mao et al. 2017): LSUN scenes and handwritten Chinese characters",
                "CycleGAN (Zhu et al. 2017): least-squares adversarial loss for stability",
                "pix2pixHD (Wang et al. 2018): high-resolution image synthesis",
                "HiFi-GAN (Kong et al. 2020): neural vocoder",
            ),
            why=(
                "A drop-in replacement for the BCE discriminator that keeps gradients for fakes "
                "far from the data even when they fool D. The usual choice in image-to-image "
                "translation and neural vocoders."
            ),
            pros=(
                "Does not saturate: the gradient grows with the distance to the target.",
                "Simple: one discriminator step per generator step, no penalty.",
                "Reported to train more stably and give better images than the BCE GAN "
                "(Mao et al. 2017).",
            ),
            cons=(
                r"The $\chi^2$ reading needs $b-c=1$, $b-a=2$; the popular 0-1 coding does not "
                "minimise a named divergence.",
                r"Real samples scored 'too real' ($D(x)>b$) are penalised too, which can waste "
                "the discriminator's effort.",
                "No Lipschitz control: large discriminator outputs give large gradients, and "
                "it can still collapse.",
                "Three targets to choose, and results depend on the scale of D's output.",
            ),
            hyperparameters={
                "a": Hyperparameter(
                    default=0.0,
                    doc=(
                        "Target score for generated samples in the discriminator loss. Any real "
                        "number, different from b; -1 for the Pearson chi^2 coding. Not tuned: "
                        "the targets are a coding, not a tuning knob."
                    ),
                ),
                "b": Hyperparameter(
                    default=1.0,
                    doc=(
                        "Target score for real samples in the discriminator loss. Any real "
                        "number, different from a; 1 in both standard codings. Not tuned: the "
                        "targets are a coding, not a tuning knob."
                    ),
                ),
                "c": Hyperparameter(
                    default=1.0,
                    doc=(
                        "Score the generator wants the discriminator to give its samples. Any "
                        "real number; 1 (= b, 'look real') in the 0-1 coding, 0 for the Pearson "
                        "chi^2 coding. Not tuned: the targets are a coding, not a tuning knob."
                    ),
                ),
            },
            references=(
                Reference(
                    "Mao, X., Li, Q., Xie, H., Lau, R. Y. K., Wang, Z., Smolley, S. P.",
                    "Least Squares Generative Adversarial Networks",
                    2017,
                    "https://arxiv.org/abs/1611.04076",
                ),
                Reference(
                    "Zhu, J.-Y., Park, T., Isola, P., Efros, A. A.",
                    "Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial "
                    "Networks",
                    2017,
                    "https://arxiv.org/abs/1703.10593",
                ),
            ),
        ),
        terms={"discriminator": lsgan_discriminator, "generator": lsgan_generator},
        optimizer=OptimizerDefaults(
            name="adam",
            lr=2e-4,
            betas=(0.5, 0.999),
            source="Adam with beta1 = 0.5 as in Mao et al. 2017, who build on DCGAN; "
            "lr 0.0002 is DCGAN's and CycleGAN's setting for the least-squares loss.",
        ),
        training={"n_critic": 1},
    )
)
