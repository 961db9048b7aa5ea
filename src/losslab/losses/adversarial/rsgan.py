"""rsgan: the relativistic standard GAN (Jolicoeur-Martineau 2019), BCE form."""

from __future__ import annotations

from typing import TYPE_CHECKING

from losslab._lazy import F
from losslab.losses.adversarial._common import (
    _BCE_OPTIMIZER,
    FAMILY,
    GOODFELLOW_2014,
    _member_mean,
)
from losslab.losses.registry import Card, LossSpec, Reference, register

if TYPE_CHECKING:
    from torch import Tensor

JOLICOEUR_MARTINEAU_2019 = Reference(
    "Jolicoeur-Martineau, A.",
    "The relativistic discriminator: a key element missing from standard GAN",
    2019,
    "https://arxiv.org/abs/1807.00734",
)


def relativistic_example(name: str) -> str:
    """The card's runnable example: the generator term of a relativistic loss needs the real
    scores too."""
    return f"""import torch
from losslab.losses import get_loss

spec = get_loss("{name}")
knobs = spec.hyperparameters()  # no knobs: {{}}
real_scores = torch.randn(2, 64) + 1.0  # [members, batch] critic logits C(x), real data
fake_scores = torch.randn(2, 64) - 1.0  # ... and on generated samples
d_loss = spec.bind("discriminator", knobs)(real_scores=real_scores, fake_scores=fake_scores)
g_loss = spec.bind("generator", knobs)(real_scores=real_scores, fake_scores=fake_scores)
print(d_loss, g_loss)  # one value per member
"""


def _pairs(real_scores: Tensor, fake_scores: Tensor) -> None:
    if real_scores.shape != fake_scores.shape:
        raise ValueError(
            "a relativistic loss pairs real and fake samples: scores must share one shape "
            f"[S, B], got {tuple(real_scores.shape)} and {tuple(fake_scores.shape)}"
        )


def rsgan_discriminator(*, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    r"""RSGAN's discriminator loss: real samples should score higher than their paired fakes.

    .. math::

        \mathcal{L}_D = -\frac{1}{B}\sum_b \log\sigma(C(x_b) - C(\tilde x_b))
                      = \frac{1}{B}\sum_b \operatorname{softplus}(C(\tilde x_b) - C(x_b))

    ``real_scores``, ``fake_scores``: critic logits ``[S, B]``, sample ``b`` of each paired;
    returns ``[S]``.
    """
    _pairs(real_scores, fake_scores)
    return _member_mean(F.softplus(fake_scores - real_scores))


def rsgan_generator(*, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    r"""RSGAN's generator loss: the same with the roles swapped.

    .. math::

        \mathcal{L}_G = -\frac{1}{B}\sum_b \log\sigma(C(\tilde x_b) - C(x_b))
                      = \frac{1}{B}\sum_b \operatorname{softplus}(C(x_b) - C(\tilde x_b))

    ``real_scores`` are the critic's logits on a fresh real batch (the trainer supplies
    them); returns ``[S]``.
    """
    _pairs(real_scores, fake_scores)
    return _member_mean(F.softplus(real_scores - fake_scores))


register(
    LossSpec(
        card=Card(
            name="rsgan",
            example=relativistic_example("rsgan"),
            family=FAMILY,
            formula=(
                r"\begin{aligned}\mathcal{L}_D &= -\mathbb{E}_{(x,\tilde x)}"
                r"[\log\sigma(C(x)-C(\tilde x))]"
                r" = \mathbb{E}[\operatorname{softplus}(C(\tilde x)-C(x))]"
                r"\\ \mathcal{L}_G &= -\mathbb{E}_{(x,\tilde x)}[\log\sigma(C(\tilde x)-C(x))]"
                r" = \mathbb{E}[\operatorname{softplus}(C(x)-C(\tilde x))],"
                r" \quad x\sim p_{\text{data}},\ \tilde x\sim p_g\end{aligned}"
            ),
            derivation=(
                r"**The standard discriminator is absolute.** In the BCE GAN, "
                r"$D(x)=\sigma(C(x))$ is the probability that $x$ is real, judged alone; "
                r"the generator only raises $D$ on fakes and never lowers it on reals.",
                r"**A missing prior.** Jolicoeur-Martineau (2019) argues that since the "
                r"discriminator knows half of each minibatch is fake, as fakes become "
                r"realistic it should lower $D$ on real data; at the minimax game's ideal "
                r"end $D(x)=D(\tilde x)=\tfrac12$, whereas the non-saturating generator "
                r"drives $D(\tilde x)\to1$ without affecting $D(x)$.",
                r"**Make the discriminator relative.** Score a *pair* $(x,\tilde x)$: "
                r"$D(x,\tilde x)=\sigma(C(x)-C(\tilde x))$, the probability that the real "
                r"sample is more realistic than the fake one.",
                r"**Losses.** $D$ minimises $-\mathbb{E}\log\sigma(C(x)-C(\tilde x))$; $G$ "
                r"minimises the same with the roles swapped, $-\mathbb{E}\log\sigma(C(\tilde x)"
                r"-C(x))$, so the generator's gradient also pushes $C$ down on real data "
                r"(through the difference). From logits, "
                r"$-\log\sigma(a)=\operatorname{softplus}(-a)$.",
                r"**Pairing.** Sample $b$ of the real batch is paired with sample $b$ of the "
                r"fake batch; the generator step draws a fresh real batch for its pairs.",
            ),
            optimum_or_divergence=(
                r"The paper shows the relativistic discriminator's objective, at its optimum, "
                r"is a divergence between $p_{\text{data}}$ and $p_g$ (zero iff they are "
                r"equal); at the equilibrium $p_g=p_{\text{data}}$, $C(x)-C(\tilde x)$ has "
                r"zero mean and $D=\tfrac12$ on average."
            ),
            used_by=(
                "RSGAN (Jolicoeur-Martineau 2019): CIFAR-10, CAT at 64-256 px",
                "The relativistic average form is the better-known variant (ESRGAN uses it)",
            ),
            why=(
                "The smallest change to the BCE GAN that makes the generator also lower the "
                "discriminator's belief in real data, as the minimax game's equilibrium "
                "requires: in the paper it trains more stably than the standard GAN at the "
                "same cost."
            ),
            pros=(
                "Same cost as the BCE GAN and no knobs.",
                "More stable than the non-saturating GAN in the paper's unstable setups "
                "(other optimiser settings, n_D = 5).",
                "The generator's gradient involves real data too.",
            ),
            cons=(
                "Pairs one real with one fake sample: noisy, and its discriminator loss only "
                "sees differences.",
                "The generator step needs a real batch and an extra discriminator pass.",
                "Less studied than the average form (RaGAN), which the paper found better.",
            ),
            hyperparameters={},
            references=(JOLICOEUR_MARTINEAU_2019, GOODFELLOW_2014),
        ),
        terms={"discriminator": rsgan_discriminator, "generator": rsgan_generator},
        optimizer=_BCE_OPTIMIZER,
        training={"n_critic": 1},
    )
)
