"""fgan-pearson: f-GAN minimising the Pearson chi-squared divergence."""

from __future__ import annotations

from typing import TYPE_CHECKING

from losslab.losses.adversarial._common import FAMILY, _example, _member_mean
from losslab.losses.adversarial._fgan import (
    BOUND_STEPS,
    FGAN_OPTIMIZER,
    JS_STEP,
    NOWOZIN_2016,
)
from losslab.losses.registry import Card, LossSpec, Reference, register

if TYPE_CHECKING:
    from torch import Tensor


def fgan_pearson_discriminator(*, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    r"""Minus the Pearson :math:`\chi^2` member of the f-GAN bound: :math:`g_f(v)=v`,
    :math:`f^*(t)=t^2/4+t`.

    .. math::

        \mathcal{L}_D = -\frac{1}{B}\sum_b V(x_b)
                        + \frac{1}{B}\sum_b \Big(\frac{V(\tilde x_b)^2}{4} + V(\tilde x_b)\Big)

    ``[S, B]`` raw critic scores in, ``[S]`` out.
    """
    return _member_mean(-real_scores) + _member_mean(0.25 * fake_scores**2 + fake_scores)


def fgan_pearson_generator(*, fake_scores: Tensor) -> Tensor:
    r"""The f-GAN generator trick: :math:`\mathcal{L}_G=-\frac{1}{B}\sum_b V(\tilde x_b)`;
    returns ``[S]``."""
    return _member_mean(-fake_scores)


register(
    LossSpec(
        card=Card(
            name="fgan-pearson",
            example=_example("fgan-pearson"),
            family=FAMILY,
            formula=(
                r"\begin{aligned}\mathcal{L}_D &= -\mathbb{E}_{x\sim p_{\text{data}}}[V(x)]"
                r" + \mathbb{E}_{\tilde x\sim p_g}\big[\tfrac14 V(\tilde x)^2 + V(\tilde x)\big]"
                r"\\ \mathcal{L}_G &= -\mathbb{E}_{\tilde x\sim p_g}[V(\tilde x)],"
                r" \quad f(u)=(u-1)^2,\ g_f(v)=v,\ f^*(t)=\tfrac14t^2+t\end{aligned}"
            ),
            derivation=(
                *BOUND_STEPS,
                r"**Pearson $\chi^2$.** $f(u)=(u-1)^2$ gives $D_f=\int\frac{(p-q)^2}{q}="
                r"\chi^2(P\|Q)$; $f^*(t)=\frac{t^2}{4}+t$ on all of $\mathbb{R}$, so "
                r"$g_f(v)=v$. The optimal critic is $T^*=2(\frac{p}{q}-1)$, and at it "
                r"$-\mathcal{L}_D=\chi^2(P\|Q)$.",
                r"**Relation to LSGAN.** Mao et al. (2017) show the least-squares GAN with "
                r"targets $b-c=1$, $b-a=2$ minimises a Pearson $\chi^2$ as well (of "
                r"$p_{\text{data}}+p_g$ against $2p_g$); see `lsgan`.",
                JS_STEP,
            ),
            optimum_or_divergence=(
                r"At the optimal critic $V^*=2(p_{\text{data}}/p_g-1)$, $-\mathcal{L}_D="
                r"\chi^2(p_{\text{data}}\|p_g)=\int(p_{\text{data}}-p_g)^2/p_g$, zero iff "
                r"$p_g=p_{\text{data}}$."
            ),
            used_by=(
                "f-GAN (Nowozin et al. 2016): MNIST and LSUN, comparing divergences",
                "LSGAN (Mao et al. 2017) minimises a Pearson chi-squared divergence with a "
                "least-squares critic",
            ),
            why=(
                "A quadratic, overflow-free member of the family: the critic's conjugate is "
                "a parabola, so its loss is as well behaved as a least-squares loss; it "
                "makes LSGAN's divergence explicit."
            ),
            pros=(
                "No exponentials: no overflow.",
                "Same cost as the BCE GAN; no knobs.",
                "Closed-form optimal critic.",
            ),
            cons=(
                r"$\chi^2$ weighs regions where $p_g$ is small heavily (division by $p_g$): "
                "high variance where the model puts little mass.",
                "Uninformative for disjoint supports, like every f-divergence.",
                "The generator trick does not follow the divergence's own gradient.",
            ),
            hyperparameters={},
            references=(
                NOWOZIN_2016,
                Reference(
                    "Mao, X., Li, Q., Xie, H., Lau, R. Y. K., Wang, Z., Smolley, S. P.",
                    "Least Squares Generative Adversarial Networks",
                    2017,
                    "https://arxiv.org/abs/1611.04076",
                ),
            ),
        ),
        terms={
            "discriminator": fgan_pearson_discriminator,
            "generator": fgan_pearson_generator,
        },
        optimizer=FGAN_OPTIMIZER,
        training={"n_critic": 1},
    )
)
