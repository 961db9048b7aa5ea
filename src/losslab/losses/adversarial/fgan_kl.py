"""fgan-kl: f-GAN minimising the forward KL divergence KL(data || model)."""

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


def fgan_kl_discriminator(*, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    r"""Minus the KL member of the f-GAN bound: :math:`g_f(v)=v`, :math:`f^*(t)=e^{t-1}`.

    .. math::

        \mathcal{L}_D = -\frac{1}{B}\sum_b V(x_b) + \frac{1}{B}\sum_b e^{V(\tilde x_b) - 1}

    ``[S, B]`` raw critic scores in, ``[S]`` out.
    """
    return _member_mean(-real_scores) + _member_mean(torch.exp(fake_scores - 1.0))


def fgan_kl_generator(*, fake_scores: Tensor) -> Tensor:
    r"""The f-GAN generator trick for KL: :math:`\mathcal{L}_G = -\frac{1}{B}\sum_b
    g_f(V(\tilde x_b)) = -\frac{1}{B}\sum_b V(\tilde x_b)`; returns ``[S]``."""
    return _member_mean(-fake_scores)


register(
    LossSpec(
        card=Card(
            name="fgan-kl",
            example=_example("fgan-kl"),
            family=FAMILY,
            formula=(
                r"\begin{aligned}\mathcal{L}_D &= -\mathbb{E}_{x\sim p_{\text{data}}}[V(x)]"
                r" + \mathbb{E}_{\tilde x\sim p_g}[e^{V(\tilde x)-1}]"
                r"\\ \mathcal{L}_G &= -\mathbb{E}_{\tilde x\sim p_g}[V(\tilde x)],"
                r" \quad f(u)=u\log u,\ g_f(v)=v,\ f^*(t)=e^{t-1}\end{aligned}"
            ),
            derivation=(
                *BOUND_STEPS,
                r"**KL.** $f(u)=u\log u$ gives $D_f=\mathrm{KL}(P\|Q)$; its conjugate is "
                r"$f^*(t)=e^{t-1}$ on all of $\mathbb{R}$, so $g_f(v)=v$. The optimal critic is "
                r"$T^*=f'(p/q)=1+\log\frac{p}{q}$, and at it $-\mathcal{L}_D=\mathrm{KL}(P\|Q)$.",
                JS_STEP,
            ),
            optimum_or_divergence=(
                r"At the optimal critic $V^*=1+\log(p_{\text{data}}/p_g)$, $-\mathcal{L}_D="
                r"\mathrm{KL}(p_{\text{data}}\|p_g)$: the forward (mass-covering) KL, zero "
                r"iff $p_g=p_{\text{data}}$."
            ),
            used_by=(
                "f-GAN (Nowozin et al. 2016): MNIST and LSUN, comparing divergences",
                "The theory behind the GAN losses in this catalogue: minimax BCE is the "
                "Jensen-Shannon member of the family",
            ),
            why=(
                "The f-GAN bound shows which divergence a GAN minimises follows from one "
                "choice, f; the forward KL is the mass-covering one maximum likelihood also "
                "minimises, so it is the member to try when a GAN drops modes."
            ),
            pros=(
                "Targets the mass-covering KL(data || model): missing modes are punished.",
                "Same cost as the BCE GAN; no knobs.",
                "Optimal critic in closed form, so the critic loss estimates the divergence.",
            ),
            cons=(
                r"$e^{V-1}$ on fakes overflows for large critic scores: training diverges "
                "easily without care.",
                "Like every f-divergence, uninformative when the supports are disjoint "
                "(Arjovsky et al. 2017).",
                "The generator trick does not follow the divergence's own gradient.",
            ),
            hyperparameters={},
            references=(NOWOZIN_2016, GOODFELLOW_2014),
        ),
        terms={"discriminator": fgan_kl_discriminator, "generator": fgan_kl_generator},
        optimizer=FGAN_OPTIMIZER,
        training={"n_critic": 1},
    )
)
