"""ragan: the relativistic average GAN (Jolicoeur-Martineau 2019), BCE form."""

from __future__ import annotations

from typing import TYPE_CHECKING

from losslab._lazy import F
from losslab.losses.adversarial._common import (
    _BCE_OPTIMIZER,
    FAMILY,
    GOODFELLOW_2014,
    _member_mean,
)
from losslab.losses.adversarial.rsgan import JOLICOEUR_MARTINEAU_2019, relativistic_example
from losslab.losses.registry import Card, LossSpec, Reference, register

if TYPE_CHECKING:
    from torch import Tensor


def _relative(real_scores: Tensor, fake_scores: Tensor) -> tuple[Tensor, Tensor]:
    """``C(x) - mean C(fake)`` and ``C(fake) - mean C(x)``, each member's own batch means."""
    if real_scores.dim() != 2 or fake_scores.dim() != 2:
        raise ValueError(
            f"scores must be [S, B], got {tuple(real_scores.shape)} and "
            f"{tuple(fake_scores.shape)}"
        )
    real_rel = real_scores - fake_scores.mean(dim=1, keepdim=True)
    fake_rel = fake_scores - real_scores.mean(dim=1, keepdim=True)
    return real_rel, fake_rel


def ragan_discriminator(*, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    r"""RaGAN's discriminator loss: reals above the average fake, fakes below the average real.

    .. math::

        \mathcal{L}_D = \frac{1}{B}\sum_b \operatorname{softplus}\big(-(C(x_b)
                        - \overline{C(\tilde x)})\big)
                      + \frac{1}{B}\sum_b \operatorname{softplus}\big(C(\tilde x_b)
                        - \overline{C(x)}\big)

    with :math:`\overline{C(\cdot)}` the member's batch mean; ``[S, B]`` logits in,
    ``[S]`` out.
    """
    real_rel, fake_rel = _relative(real_scores, fake_scores)
    return _member_mean(F.softplus(-real_rel)) + _member_mean(F.softplus(fake_rel))


def ragan_generator(*, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    r"""RaGAN's generator loss: the discriminator's with the labels swapped.

    .. math::

        \mathcal{L}_G = \frac{1}{B}\sum_b \operatorname{softplus}\big(-(C(\tilde x_b)
                        - \overline{C(x)})\big)
                      + \frac{1}{B}\sum_b \operatorname{softplus}\big(C(x_b)
                        - \overline{C(\tilde x)}\big)

    ``real_scores`` are the critic's logits on a fresh real batch (the trainer supplies
    them); returns ``[S]``.
    """
    real_rel, fake_rel = _relative(real_scores, fake_scores)
    return _member_mean(F.softplus(-fake_rel)) + _member_mean(F.softplus(real_rel))


register(
    LossSpec(
        card=Card(
            name="ragan",
            example=relativistic_example("ragan"),
            family=FAMILY,
            formula=(
                r"\begin{aligned}\mathcal{L}_D &= -\mathbb{E}_{x}"
                r"[\log\sigma(C(x)-\mathbb{E}_{\tilde x}C(\tilde x))]"
                r" - \mathbb{E}_{\tilde x}[\log(1-\sigma(C(\tilde x)-\mathbb{E}_{x}C(x)))]"
                r"\\ \mathcal{L}_G &= -\mathbb{E}_{\tilde x}"
                r"[\log\sigma(C(\tilde x)-\mathbb{E}_{x}C(x))]"
                r" - \mathbb{E}_{x}[\log(1-\sigma(C(x)-\mathbb{E}_{\tilde x}C(\tilde x)))]"
                r"\end{aligned}"
            ),
            derivation=(
                r"**Relativistic, but against the average.** RSGAN (see `rsgan`) compares "
                r"each real sample with one fake; comparing it with the *average* fake "
                r"gives a less noisy estimate and a discriminator that still scores single "
                r"samples: $\bar D(x)=\sigma(C(x)-\mathbb{E}_{\tilde x}C(\tilde x))$ for real "
                r"data, $\bar D(\tilde x)=\sigma(C(\tilde x)-\mathbb{E}_xC(x))$ for fakes.",
                r"**Discriminator.** Binary cross-entropy on these relative probabilities: "
                r"$\mathcal{L}_D=-\mathbb{E}_x\log\bar D(x)-\mathbb{E}_{\tilde x}"
                r"\log(1-\bar D(\tilde x))$.",
                r"**Generator: swap the labels.** Unlike the standard GAN, the generator's "
                r"loss has a term on real data, "
                r"$\mathcal{L}_G=-\mathbb{E}_{\tilde x}\log\bar D(\tilde x)-\mathbb{E}_x"
                r"\log(1-\bar D(x))$: it also pushes real data to look *less* real than "
                r"the average fake, which the paper argues is the missing prior "
                r"(half of each batch is fake).",
                r"**From logits.** With $-\log\sigma(a)=\operatorname{softplus}(-a)$ and "
                r"$-\log(1-\sigma(a))=\operatorname{softplus}(a)$ every term stays finite; "
                r"the expectations over the other side are the member's batch means.",
            ),
            optimum_or_divergence=(
                r"The paper shows the discriminator's objective at its optimum is a "
                r"divergence between $p_{\text{data}}$ and $p_g$ (zero iff equal); at the "
                r"equilibrium $p_g=p_{\text{data}}$ the relative logits have zero mean."
            ),
            used_by=(
                "RaGAN (Jolicoeur-Martineau 2019): CIFAR-10 and CAT at up to 256x256 px, "
                "where the standard GAN failed",
                "ESRGAN (Wang et al. 2018): super-resolution with a relativistic average "
                "discriminator",
                "StudioGAN and other GAN libraries ship it beside the standard losses",
            ),
            why=(
                "The relativistic idea in the form that worked best in the paper: a "
                "discriminator that judges reals against the average fake (and vice versa) "
                "and a generator that also pulls real data's realism down, at the cost of "
                "the BCE GAN."
            ),
            pros=(
                "No knobs, BCE cost plus one discriminator pass on real data per generator "
                "step.",
                "In the paper, better FID than the standard GAN, more stable across setups, "
                "and trains at 256x256 where the standard GAN did not.",
                "Lower-variance than the paired RSGAN.",
            ),
            cons=(
                "The batch means couple the samples of a batch (not the members): the loss "
                "depends on the batch size.",
                "The generator step needs a real batch.",
                "Like every BCE-type loss, no guarantee against mode dropping.",
            ),
            hyperparameters={},
            references=(
                JOLICOEUR_MARTINEAU_2019,
                Reference(
                    "Wang, X., Yu, K., Wu, S., Gu, J., Liu, Y., Dong, C., Qiao, Y., "
                    "Loy, C. C.",
                    "ESRGAN: Enhanced Super-Resolution Generative Adversarial Networks",
                    2018,
                    "https://arxiv.org/abs/1809.00219",
                ),
                GOODFELLOW_2014,
            ),
        ),
        terms={"discriminator": ragan_discriminator, "generator": ragan_generator},
        optimizer=_BCE_OPTIMIZER,
        training={"n_critic": 1},
    )
)
