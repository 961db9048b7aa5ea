"""fgan-reverse-kl: f-GAN minimising the reverse KL divergence KL(model || data)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from losslab._lazy import torch
from losslab.losses.adversarial._common import FAMILY, GOODFELLOW_2014, _example, _member_mean
from losslab.losses.adversarial._fgan import (
    BOUND_STEPS,
    FGAN_OPTIMIZER,
    JS_STEP,
    NOWOZIN_2016,
)
from losslab.losses.registry import Card, LossSpec, register

if TYPE_CHECKING:
    from torch import Tensor


def fgan_reverse_kl_discriminator(*, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    r"""Minus the reverse-KL member of the f-GAN bound: :math:`g_f(v)=-e^{-v}`,
    :math:`f^*(t)=-1-\log(-t)`, so :math:`f^*(g_f(v)) = v - 1`.

    .. math::

        \mathcal{L}_D = \frac{1}{B}\sum_b e^{-V(x_b)} + \frac{1}{B}\sum_b (V(\tilde x_b) - 1)

    ``[S, B]`` raw critic scores in, ``[S]`` out.
    """
    return _member_mean(torch.exp(-real_scores)) + _member_mean(fake_scores - 1.0)


def fgan_reverse_kl_generator(*, fake_scores: Tensor) -> Tensor:
    r"""The f-GAN generator trick: :math:`\mathcal{L}_G=-\frac{1}{B}\sum_b g_f(V(\tilde x_b))
    = \frac{1}{B}\sum_b e^{-V(\tilde x_b)}`; returns ``[S]``."""
    return _member_mean(torch.exp(-fake_scores))


register(
    LossSpec(
        card=Card(
            name="fgan-reverse-kl",
            example=_example("fgan-reverse-kl"),
            family=FAMILY,
            formula=(
                r"\begin{aligned}\mathcal{L}_D &= \mathbb{E}_{x\sim p_{\text{data}}}"
                r"[e^{-V(x)}] + \mathbb{E}_{\tilde x\sim p_g}[V(\tilde x) - 1]"
                r"\\ \mathcal{L}_G &= \mathbb{E}_{\tilde x\sim p_g}[e^{-V(\tilde x)}],"
                r" \quad f(u)=-\log u,\ g_f(v)=-e^{-v},\ f^*(t)=-1-\log(-t)\end{aligned}"
            ),
            derivation=(
                *BOUND_STEPS,
                r"**Reverse KL.** $f(u)=-\log u$ gives $D_f=\int q\log\frac{q}{p}="
                r"\mathrm{KL}(Q\|P)$. Its conjugate $f^*(t)=-1-\log(-t)$ lives on $t<0$, hence "
                r"$g_f(v)=-e^{-v}$ and $f^*(g_f(v))=v-1$. The optimal critic is "
                r"$T^*=f'(p/q)=-q/p$, i.e. $V^*=\log\frac{p}{q}$, and at it "
                r"$-\mathcal{L}_D=\mathrm{KL}(Q\|P)$.",
                JS_STEP,
            ),
            optimum_or_divergence=(
                r"At the optimal critic $V^*=\log(p_{\text{data}}/p_g)$, $-\mathcal{L}_D="
                r"\mathrm{KL}(p_g\|p_{\text{data}})$: the reverse (mode-seeking) KL, zero iff "
                r"$p_g=p_{\text{data}}$."
            ),
            used_by=(
                "f-GAN (Nowozin et al. 2016): MNIST and LSUN, comparing divergences",
                "The reverse KL is also what the non-saturating GAN's generator partly "
                "follows (Arjovsky & Bottou 2017)",
            ),
            why=(
                "The mode-seeking divergence made explicit: it punishes samples where there "
                "is no data and tolerates missing modes, the opposite trade-off to fgan-kl; "
                "the pair shows on one data set what the choice of divergence does."
            ),
            pros=(
                "Targets KL(model || data): sharp samples, few off-data points.",
                "Same cost as the BCE GAN; no knobs.",
                "Closed-form optimal critic.",
            ),
            cons=(
                "Mode-seeking: dropping modes costs little.",
                r"$e^{-V}$ on real data overflows for very negative critic scores.",
                "Uninformative for disjoint supports, like every f-divergence.",
            ),
            hyperparameters={},
            references=(NOWOZIN_2016, GOODFELLOW_2014),
        ),
        terms={
            "discriminator": fgan_reverse_kl_discriminator,
            "generator": fgan_reverse_kl_generator,
        },
        optimizer=FGAN_OPTIMIZER,
        training={"n_critic": 1},
    )
)
