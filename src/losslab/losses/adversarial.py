r"""Adversarial (GAN) losses: one discriminator term and one generator term per loss.

Every term is a small pure function of the discriminator's (or critic's) outputs,
taken by keyword, and returns one value per ensemble member:

* ``real_scores``: ``[S, B]`` outputs on real samples,
* ``fake_scores``: ``[S, B]`` outputs on generated samples,
* ``fake_codes``: ``[S, B, c]`` the autoencoder discriminator's codes of the generated
  samples (EBGAN's generator term only),
* result: ``Tensor[S]``, the mean over the batch axis of each member (never over members).

For the BCE losses the scores are *logits* :math:`\ell` with :math:`D = \sigma(\ell)`;
they are turned into log-probabilities with ``softplus`` only, using

.. math::

    -\log \sigma(\ell) = \operatorname{softplus}(-\ell), \qquad
    -\log(1 - \sigma(\ell)) = \operatorname{softplus}(\ell),

so the losses stay finite for any logit (a naive ``log(sigmoid(l))`` is ``-inf``
once ``sigmoid`` rounds to 0 or 1).

A term accepts exactly the keyword arguments it uses, so a trainer can pass
``spec.hyperparameters()`` filtered by the term's signature. Weight clipping and
the gradient penalty are not loss terms: the trainer applies them, as declared in
each spec's ``training`` dict (see :mod:`losslab.losses.penalties`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from losslab.losses.registry import (
    Card,
    Hyperparameter,
    LossSpec,
    OptimizerDefaults,
    Reference,
    register,
)

FAMILY = "adversarial"


def _example(name: str) -> str:
    """The card's runnable example: both terms of the loss on made-up scores."""
    return f"""import torch
from losslab.losses import get_loss

spec = get_loss("{name}")
knobs = spec.hyperparameters()  # the paper's defaults; pass overrides as a dict
real_scores = torch.randn(2, 64) + 1.0  # [members, batch] discriminator outputs, real data
fake_scores = torch.randn(2, 64) - 1.0  # ... and on generated samples
d_loss = spec.bind("discriminator", knobs)(real_scores=real_scores, fake_scores=fake_scores)
g_loss = spec.bind("generator", knobs)(fake_scores=fake_scores)
print(d_loss, g_loss)  # one value per member
"""


def _member_mean(values: Tensor) -> Tensor:
    """Mean over every axis but the leading member axis: ``[S, B, ...] -> [S]``."""
    if values.dim() < 2:
        raise ValueError(
            f"scores must have a member and a batch axis [S, B], got shape {tuple(values.shape)}"
        )
    return values.flatten(1).mean(dim=1)


# ---------------------------------------------------------------------------
# References shared by several cards
# ---------------------------------------------------------------------------

GOODFELLOW_2014 = Reference(
    "Goodfellow, I., Pouget-Abadie, J., Mirza, M., Xu, B., Warde-Farley, D., Ozair, S., "
    "Courville, A., Bengio, Y.",
    "Generative Adversarial Nets",
    2014,
    "https://arxiv.org/abs/1406.2661",
)
RADFORD_2016 = Reference(
    "Radford, A., Metz, L., Chintala, S.",
    "Unsupervised Representation Learning with Deep Convolutional Generative Adversarial Networks",
    2016,
    "https://arxiv.org/abs/1511.06434",
)
ARJOVSKY_BOTTOU_2017 = Reference(
    "Arjovsky, M., Bottou, L.",
    "Towards Principled Methods for Training Generative Adversarial Networks",
    2017,
    "https://arxiv.org/abs/1701.04862",
)
ARJOVSKY_2017 = Reference(
    "Arjovsky, M., Chintala, S., Bottou, L.",
    "Wasserstein Generative Adversarial Networks",
    2017,
    "https://arxiv.org/abs/1701.07875",
)
GULRAJANI_2017 = Reference(
    "Gulrajani, I., Ahmed, F., Arjovsky, M., Dumoulin, V., Courville, A.",
    "Improved Training of Wasserstein GANs",
    2017,
    "https://arxiv.org/abs/1704.00028",
)
LUCIC_2018 = Reference(
    "Lucic, M., Kurach, K., Michalski, M., Gelly, S., Bousquet, O.",
    "Are GANs Created Equal? A Large-Scale Study",
    2018,
    "https://arxiv.org/abs/1711.10337",
)
MIYATO_2018 = Reference(
    "Miyato, T., Kataoka, T., Koyama, M., Yoshida, Y.",
    "Spectral Normalization for Generative Adversarial Networks",
    2018,
    "https://arxiv.org/abs/1802.05957",
)

_BCE_OPTIMIZER = OptimizerDefaults(
    name="adam",
    lr=2e-4,
    betas=(0.5, 0.999),
    source="Radford et al. 2016 (DCGAN): Adam, lr 0.0002, beta1 0.5. "
    "Goodfellow et al. 2014 trained with SGD + momentum.",
)

# One row of an ``aligned`` block: the BCE discriminator loss both BCE cards share.
_BCE_DISCRIMINATOR_FORMULA = (
    r"\mathcal{L}_D &= -\mathbb{E}_{x\sim p_{\text{data}}}[\log D(x)]"
    r" - \mathbb{E}_{z\sim p_z}[\log(1 - D(G(z)))]"
    r" = \mathbb{E}[\operatorname{softplus}(-\ell_{\text{real}})]"
    r" + \mathbb{E}[\operatorname{softplus}(\ell_{\text{fake}})]"
)


# ---------------------------------------------------------------------------
# minimax-bce: the original (saturating) GAN game
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# nonsaturating-bce: the -log D(G(z)) generator
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# wgan-clip: Wasserstein GAN with weight clipping
# ---------------------------------------------------------------------------


def wgan_clip_discriminator(*, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    r"""The Wasserstein critic loss (the negated Kantorovich-Rubinstein dual objective).

    .. math::

        \mathcal{L}_f = \frac{1}{B}\sum_b f(\tilde x_b) - \frac{1}{B}\sum_b f(x_b)

    ``real_scores`` :math:`f(x)`, ``fake_scores`` :math:`f(\tilde x)`: unbounded critic
    outputs ``[S, B]``; returns ``[S]``. The Lipschitz constraint is not part of this term.
    """
    return _member_mean(fake_scores) - _member_mean(real_scores)


def wgan_clip_generator(*, fake_scores: Tensor) -> Tensor:
    r"""The Wasserstein generator loss: raise the critic's score of the fakes.

    .. math::

        \mathcal{L}_G = -\frac{1}{B}\sum_b f(G(z_b))

    ``fake_scores``: critic outputs ``[S, B]``; returns ``[S]``.
    """
    return -_member_mean(fake_scores)


_WASSERSTEIN_GENERATOR_FORMULA = r"\mathcal{L}_G &= -\mathbb{E}_{z\sim p_z}[f(G(z))]"

register(
    LossSpec(
        card=Card(
            name="wgan-clip",
            example=_example("wgan-clip"),
            family=FAMILY,
            formula=(
                r"\begin{aligned}\mathcal{L}_f &= \mathbb{E}_{z\sim p_z}[f(G(z))]"
                r" - \mathbb{E}_{x\sim p_{\text{data}}}[f(x)],"
                r" \quad w \leftarrow \operatorname{clip}(w, -c, c)\ \text{after each critic step}"
                r"\\ " + _WASSERSTEIN_GENERATOR_FORMULA + r"\end{aligned}"
            ),
            derivation=(
                r"**Earth-Mover distance.** $W_1(p_{\text{data}},p_g)=\inf_{\gamma\in\Pi(p_{\text"
                r"{data}},p_g)}\mathbb{E}_{(x,y)\sim\gamma}\|x-y\|$ is the cheapest cost of moving "
                r"the mass of $p_g$ onto $p_{\text{data}}$. Unlike JSD it is continuous in the "
                r"generator's parameters: for two parallel lines $\theta$ apart, "
                r"$W_1=|\theta|$ while JSD jumps from $\log2$ to $0$.",
                r"**Kantorovich-Rubinstein duality.** $W_1(p_{\text{data}},p_g)=\sup_{\|f\|_L\le1}"
                r"\mathbb{E}_{p_{\text{data}}}[f(x)]-\mathbb{E}_{p_g}[f(x)]$, a supremum over "
                r"1-Lipschitz functions ($|f(x)-f(y)|\le\|x-y\|$).",
                r"**Critic.** Let a network $f$ (a *critic*: an unbounded score, no sigmoid) "
                r"maximise the dual objective, i.e. minimise "
                r"$\mathcal{L}_f=\mathbb{E}_{p_g}[f]-\mathbb{E}_{p_{\text{data}}}[f]$. If the "
                r"critics are $K$-Lipschitz, $-\mathcal{L}_f$ at the optimum is $K\cdot W_1$.",
                r"**Generator.** Under mild conditions "
                r"$\nabla_\theta W_1=-\mathbb{E}_z[\nabla_\theta f^*(G_\theta(z))]$ "
                r"(Arjovsky et al. 2017, Thm. 3), so $G$ minimises "
                r"$\mathcal{L}_G=-\mathbb{E}_z[f(G(z))]$. The critic should be near its optimum "
                r"first: $n_{\text{critic}}=5$ critic steps per generator step.",
                r"**Weight clipping.** To keep $f$ Lipschitz, clamp every critic weight to "
                r"$[-c,c]$ after each update. The weights then lie in a compact set, so $f$ is "
                r"$K$-Lipschitz for some $K$ that depends on $c$ and the architecture. The "
                r"authors call it 'a clearly terrible way to enforce a Lipschitz constraint'.",
                r"**Why it is crude.** Gulrajani et al. (2017) show that clipped critics "
                r"under-use their capacity (weights pile up at $\pm c$ and the critic learns "
                r"overly simple functions) and that gradients explode or vanish through depth "
                r"unless $c$ is tuned just right. Momentum optimisers (Adam) were unstable, hence "
                r"RMSProp.",
            ),
            optimum_or_divergence=(
                r"At the optimal clipped critic $-\mathcal{L}_f=K\cdot W_1(p_{\text{data}},p_g)$, "
                r"the Earth-Mover (Wasserstein-1) distance up to the unknown Lipschitz constant "
                r"$K$ set by $c$; the generator minimises that estimate, which is 0 iff "
                r"$p_g=p_{\text{data}}$."
            ),
            used_by=(
                "WGAN (Arjovsky et al. 2017): DCGAN and MLP generators on LSUN bedrooms",
                "The baseline WGAN-GP (Gulrajani et al. 2017) was designed to replace",
                "Large-scale loss comparisons ('WGAN' in Lucic et al. 2018)",
            ),
            why=(
                "The first loss whose critic value tracks sample quality and that gives the "
                "generator gradients even when real and generated distributions do not overlap. "
                "Learn the Wasserstein idea here and use it as a baseline; prefer wgan-gp to train."
            ),
            pros=(
                "A meaningful loss curve: the negated critic loss falls as samples improve.",
                "Useful generator gradients even for disjoint supports.",
                "Less mode collapse than JSD GANs in the paper's experiments; trains "
                "generators without batch normalisation.",
            ),
            cons=(
                "Weight clipping is a crude Lipschitz constraint: capacity under-use and "
                r"exploding or vanishing gradients depending on $c$.",
                r"Slow: $n_{\text{critic}}=5$ and a small learning rate.",
                "Needs RMSProp (momentum was unstable) and is sensitive to the clip value.",
                r"Estimates $W_1$ only up to an unknown scale $K$.",
            ),
            hyperparameters={
                "clip": Hyperparameter(
                    default=0.01,
                    low=0.0,
                    doc=(
                        r"Weight-clipping bound $c$: after every critic step the trainer clamps "
                        r"each critic weight to $[-c, c]$, which keeps the critic $K$-Lipschitz. "
                        "Too large: the critic takes long to reach its optimum; too small: "
                        "gradients vanish through deep critics. Paper value 0.01; must be >= 0."
                    ),
                )
            },
            references=(ARJOVSKY_2017, ARJOVSKY_BOTTOU_2017, GULRAJANI_2017),
        ),
        terms={"discriminator": wgan_clip_discriminator, "generator": wgan_clip_generator},
        optimizer=OptimizerDefaults(
            name="rmsprop",
            lr=5e-5,
            alpha=0.99,
            source="Arjovsky et al. 2017, Algorithm 1: RMSProp, lr 0.00005, c = 0.01, "
            "n_critic = 5; the smoothing constant is not given, 0.99 is torch's default.",
        ),
        training={"n_critic": 5, "weight_clip": "clip"},
    )
)


# ---------------------------------------------------------------------------
# wgan-gp: Wasserstein GAN with gradient penalty
# ---------------------------------------------------------------------------

wgan_gp_discriminator = wgan_clip_discriminator
wgan_gp_generator = wgan_clip_generator

register(
    LossSpec(
        card=Card(
            name="wgan-gp",
            example=_example("wgan-gp"),
            family=FAMILY,
            formula=(
                r"\begin{aligned}\mathcal{L}_f &= \mathbb{E}_{\tilde x\sim p_g}[f(\tilde x)]"
                r" - \mathbb{E}_{x\sim p_{\text{data}}}[f(x)]"
                r" + \lambda\,\mathbb{E}_{\hat x}\big[(\|\nabla_{\hat x} f(\hat x)\|_2 - 1)^2\big],"
                r" \quad \hat x = \epsilon x + (1-\epsilon)\tilde x,\ \epsilon\sim U[0,1]"
                r"\\ " + _WASSERSTEIN_GENERATOR_FORMULA + r"\end{aligned}"
            ),
            derivation=(
                r"**Same dual as WGAN.** $W_1(p_{\text{data}},p_g)=\sup_{\|f\|_L\le1}"
                r"\mathbb{E}_{p_{\text{data}}}[f]-\mathbb{E}_{p_g}[f]$ with the same critic and "
                r"generator terms as `wgan-clip`; only the way the Lipschitz constraint is "
                r"enforced changes.",
                r"**Gradient form of the constraint.** A differentiable $f$ is 1-Lipschitz iff "
                r"$\|\nabla f(x)\|_2\le1$ everywhere.",
                r"**The optimal critic has unit gradient norm** (Gulrajani et al. 2017, Prop. 1). "
                r"If $\pi$ is an optimal coupling of $p_{\text{data}}$ and $p_g$ and $f^*$ is "
                r"differentiable, then for $(x,y)\sim\pi$ and every point $x_t=tx+(1-t)y$ on the "
                r"segment between them, $\nabla f^*(x_t)$ points along the segment and "
                r"$\|\nabla f^*(x_t)\|_2=1$: $f^*$ rises at unit slope from fake to real.",
                r"**Soft constraint at interpolates.** Enforcing the norm everywhere is "
                r"intractable, so penalise its deviation from 1 at sampled points, "
                r"$\lambda\,\mathbb{E}_{\hat x}[(\|\nabla f(\hat x)\|_2-1)^2]$. The optimal "
                r"coupling is unknown, so sample uniformly on segments between a random real "
                r"and a random generated sample: $\hat x=\epsilon x+(1-\epsilon)\tilde x$, "
                r"$\epsilon\sim U[0,1]$.",
                r"**Two-sided.** The penalty also pushes norms below 1 up. Since the optimal "
                r"critic has unit norm there anyway this costs little, and the authors found it "
                r"converged slightly faster to better optima than the one-sided "
                r"$\max(0,\|\nabla f\|-1)^2$.",
                r"**Per sample.** The penalty is taken for each sample separately, so the critic "
                r"must not mix samples of a batch: no batch normalisation (layer normalisation or "
                r"none). $\lambda=10$ worked across the paper's architectures and data sets; "
                r"the generator term is unchanged.",
            ),
            optimum_or_divergence=(
                r"Estimates $W_1(p_{\text{data}},p_g)$ under a soft 1-Lipschitz constraint; at "
                r"the optimum the critic has unit gradient norm on the segments between coupled "
                r"real and generated points. $W_1=0$ iff $p_g=p_{\text{data}}$."
            ),
            used_by=(
                "WGAN-GP (Gulrajani et al. 2017): ResNets on CIFAR-10 and LSUN, a 101-layer "
                "ResNet, a character-level language model",
                r"Progressive GAN (Karras et al. 2018): WGAN-GP with $\lambda=10$ plus a small "
                "drift term",
                "StyleGAN on CelebA-HQ (Karras et al. 2019; its FFHQ models used "
                "non-saturating + R1)",
                "WaveGAN (Donahue et al. 2019): raw-audio synthesis",
            ),
            why=(
                "The Wasserstein loss with a Lipschitz constraint that works: stable training "
                "across architectures with almost no tuning, and a critic loss that tracks "
                "sample quality. A good default when a BCE GAN collapses or oscillates, and the "
                "loss the study group compared against BCE on 1-D data."
            ),
            pros=(
                "Stable across architectures (deep ResNets, MLPs, no batch norm) with the "
                "paper's defaults.",
                "The critic loss correlates with sample quality.",
                "None of clipping's capacity under-use or exploding/vanishing gradients.",
                "Works with Adam.",
            ),
            cons=(
                "Each critic step needs an extra forward pass and a double backward pass "
                "(create_graph=True): markedly slower than a plain critic step.",
                "The constraint holds only at sampled interpolates, and random real-fake pairs "
                "stand in for the optimal coupling: a heuristic.",
                "No batch normalisation in the critic.",
                r"$n_{\text{critic}}=5$: slower per generator step than BCE or hinge losses; "
                r"$\lambda$ depends on the data scale (the authors' 2-D toy script uses 0.1).",
            ),
            hyperparameters={
                "gp_weight": Hyperparameter(
                    default=10.0,
                    low=0.0,
                    doc=(
                        r"Gradient-penalty weight $\lambda$: the trainer adds "
                        r"$\lambda\cdot$`penalties.gradient_penalty` to the critic loss. "
                        "Paper value 10 for all experiments; the authors' 2-D toy script uses "
                        "0.1. 0 removes the constraint (the critic is then unbounded); "
                        "must be >= 0."
                    ),
                )
            },
            references=(GULRAJANI_2017, ARJOVSKY_2017),
        ),
        terms={"discriminator": wgan_gp_discriminator, "generator": wgan_gp_generator},
        optimizer=OptimizerDefaults(
            name="adam",
            lr=1e-4,
            betas=(0.5, 0.9),
            source="Gulrajani et al. 2017, the authors' gan_toy.py (Adam, lr 1e-4, beta1 0.5, "
            "beta2 0.9); Algorithm 1 in the paper lists lr 1e-4, beta1 = 0, beta2 = 0.9.",
        ),
        training={"n_critic": 5, "gradient_penalty": "gp_weight"},
    )
)


# ---------------------------------------------------------------------------
# lsgan: least-squares GAN
# ---------------------------------------------------------------------------


def lsgan_discriminator(*, real_scores: Tensor, fake_scores: Tensor, a: float, b: float) -> Tensor:
    r"""Least-squares discriminator loss: regress real scores to ``b`` and fake scores to ``a``.

    .. math::

        \mathcal{L}_D = \frac{1}{2B}\sum_b \big(D(x_b) - b\big)^2
                      + \frac{1}{2B}\sum_b \big(D(G(z_b)) - a\big)^2

    ``real_scores``, ``fake_scores``: raw (linear, no sigmoid) outputs ``[S, B]``;
    returns ``[S]``.
    """
    return 0.5 * _member_mean((real_scores - b) ** 2) + 0.5 * _member_mean((fake_scores - a) ** 2)


def lsgan_generator(*, fake_scores: Tensor, c: float) -> Tensor:
    r"""Least-squares generator loss: regress the fakes' scores to ``c``.

    .. math::

        \mathcal{L}_G = \frac{1}{2B}\sum_b \big(D(G(z_b)) - c\big)^2

    ``fake_scores``: raw outputs ``[S, B]``; returns ``[S]``.
    """
    return 0.5 * _member_mean((fake_scores - c) ** 2)


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
                    doc="Target score for generated samples in the discriminator loss. Any real "
                    "number, different from b; -1 for the Pearson chi^2 coding.",
                ),
                "b": Hyperparameter(
                    default=1.0,
                    doc="Target score for real samples in the discriminator loss. Any real "
                    "number, different from a; 1 in both standard codings.",
                ),
                "c": Hyperparameter(
                    default=1.0,
                    doc="Score the generator wants the discriminator to give its samples. Any "
                    "real number; 1 (= b, 'look real') in the 0-1 coding, 0 for the Pearson "
                    "chi^2 coding.",
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


# ---------------------------------------------------------------------------
# hinge: the margin loss of Geometric GAN / SN-GAN / SAGAN / BigGAN
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# ebgan: energy-based GAN, an autoencoder discriminator with a margin
# ---------------------------------------------------------------------------


def ebgan_discriminator(real_scores: Tensor, fake_scores: Tensor, margin: float) -> Tensor:
    r"""EBGAN's discriminator loss: low energy on real samples, at least ``margin`` on fakes.

    .. math::

        \mathcal{L}_D = \frac{1}{B}\sum_b D(x_b) + \frac{1}{B}\sum_b \big[m - D(G(z_b))\big]^+,
        \qquad [u]^+ = \max(0, u)

    ``real_scores``, ``fake_scores``: energies ``[S, B]``, the autoencoder's per-sample mean
    squared reconstruction errors :math:`D(x) = \frac1d\lVert\mathrm{Dec}(\mathrm{Enc}(x))
    - x\rVert_2^2 \ge 0`; ``margin``: :math:`m`. Returns ``[S]``. The hinge is taken per
    sample, as in the paper's per-pair loss :math:`f_D(x, z)`, not on the batch mean.
    """
    return _member_mean(real_scores) + _member_mean(torch.relu(margin - fake_scores))


def pulling_away_term(codes: Tensor) -> Tensor:
    r"""EBGAN's pulling-away term: the mean squared cosine between distinct codes of a batch.

    .. math::

        f_{\text{PT}}(S) = \frac{1}{N(N-1)} \sum_{i=1}^{N} \sum_{j \ne i}
            \left(\frac{S_i^\top S_j}{\lVert S_i\rVert\,\lVert S_j\rVert}\right)^2

    ``codes``: ``[S, N, c]``, the encoder's codes of one member's generated batch; returns
    ``[S]`` in :math:`[0, 1]`: 0 when the codes are mutually orthogonal, 1 when they are all
    parallel. The cosine ignores the codes' lengths, so the generator cannot lower the term
    by shrinking them; with :math:`c`-dimensional codes its minimum over :math:`N \ge c`
    codes is :math:`(N/c - 1)/(N - 1)` (a tight frame), and for :math:`c = 1` it is always 1.
    A zero code counts as orthogonal to every other (its direction is undefined).
    """
    if codes.dim() != 3 or codes.shape[1] < 2:
        raise ValueError(
            "codes must be [S, N, c] with at least two codes per member, got shape "
            f"{tuple(codes.shape)}"
        )
    n = codes.shape[1]
    unit = F.normalize(codes, dim=-1)  # divides by max(norm, 1e-12): finite for a zero code
    cosine_sq = torch.bmm(unit, unit.transpose(1, 2)).pow(2)
    off_diagonal = ~torch.eye(n, dtype=torch.bool, device=codes.device)
    return (cosine_sq * off_diagonal).sum(dim=(1, 2)) / (n * (n - 1))


def ebgan_generator(fake_scores: Tensor, fake_codes: Tensor, pt_weight: float) -> Tensor:
    r"""EBGAN's generator loss: make samples of low energy, with diverse codes (EBGAN-PT).

    .. math::

        \mathcal{L}_G = \frac{1}{B}\sum_b D(G(z_b))
            + \lambda_{\text{PT}}\, f_{\text{PT}}\big(\mathrm{Enc}(G(z_1)), \dots,
              \mathrm{Enc}(G(z_B))\big)

    ``fake_scores``: energies ``[S, B]`` of the generated batch; ``fake_codes``: their codes
    ``[S, B, c]``; ``pt_weight``: :math:`\lambda_{\text{PT}}` (0 gives plain EBGAN).
    Returns ``[S]``.
    """
    return _member_mean(fake_scores) + pt_weight * pulling_away_term(fake_codes)


ZHAO_2017 = Reference(
    "Zhao, J., Mathieu, M., LeCun, Y.",
    "Energy-based Generative Adversarial Network",
    2017,
    "https://arxiv.org/abs/1609.03126",
)

_EBGAN_EXAMPLE = """import torch
from losslab.losses import get_loss

spec = get_loss("ebgan")
knobs = spec.hyperparameters()  # margin, pt_weight, code_dim (the trainer reads code_dim)
real_energy = torch.rand(2, 64) * 0.2  # [members, batch] reconstruction errors of real data
fake_energy = torch.rand(2, 64) * 2.0  # ... and of generated samples
fake_codes = torch.randn(2, 64, knobs["code_dim"])  # the encoder's codes of the fakes
d_loss = spec.bind("discriminator", knobs)(real_scores=real_energy, fake_scores=fake_energy)
g_loss = spec.bind("generator", knobs)(fake_scores=fake_energy, fake_codes=fake_codes)
print(d_loss, g_loss)  # one value per member
"""

register(
    LossSpec(
        card=Card(
            name="ebgan",
            example=_EBGAN_EXAMPLE,
            family=FAMILY,
            formula=(
                r"\begin{aligned}\mathcal{L}_D &= \mathbb{E}_{x\sim p_{\text{data}}}[D(x)]"
                r" + \mathbb{E}_{z\sim p_z}\big[\max(0, m - D(G(z)))\big]"
                r"\\ \mathcal{L}_G &= \mathbb{E}_{z\sim p_z}[D(G(z))]"
                r" + \lambda_{\text{PT}}\, f_{\text{PT}}\big(\mathrm{Enc}(G(z))\big),"
                r" \quad D(x) = \tfrac{1}{d}\|\mathrm{Dec}(\mathrm{Enc}(x)) - x\|_2^2"
                r"\end{aligned}"
            ),
            derivation=(
                r"**Energy.** An energy function gives low values on the data manifold and "
                r"high values elsewhere (LeCun et al. 2006). EBGAN makes the discriminator an "
                r"energy: it is trained to give real samples low energy and generated ones "
                r"(the *contrastive samples*) high energy, while the generator learns to "
                r"produce samples of low energy. Any non-negative $D$ will do; EBGAN's is the "
                r"reconstruction error of an autoencoder, $D(x)=\tfrac{1}{d}"
                r"\|\mathrm{Dec}(\mathrm{Enc}(x))-x\|_2^2\ge0$.",
                r"**Which norm.** The paper writes $\|\mathrm{Dec}(\mathrm{Enc}(x))-x\|$; its "
                r"implementations, and losslab, use the mean squared error. The square is "
                r"smooth at 0, where the plain norm has a kink and a gradient of unit length "
                r"however small the error; the mean over the $d$ coordinates keeps the "
                r"energy, and with it the margin $m$, on the scale of one coordinate's "
                r"squared error whatever the dimension.",
                r"**Margin hinge.** $\mathcal{L}_D=\mathbb{E}[D(x)]+\mathbb{E}[[m-D(G(z))]^+]$ "
                r"pulls real energies down and pushes fake energies up, but only until they "
                r"reach $m$: a fake with $D(G(z))\ge m$ contributes neither loss nor gradient. "
                r"An energy has no ceiling, so without the margin the discriminator could "
                r"lower its loss without bound by inflating fake energies. The generator "
                r"minimises $\mathbb{E}[D(G(z))]$: it makes samples the autoencoder "
                r"reconstructs well.",
                r"**Optimal discriminator.** For fixed $G$, minimise pointwise "
                r"$p_{\text{data}}(x)D+p_g(x)[m-D]^+$ over $D\ge0$. On $[0,m]$ it is linear "
                r"with slope $p_{\text{data}}-p_g$, beyond $m$ it only grows, so "
                r"$D^*=m$ where $p_g>p_{\text{data}}$ and $D^*=0$ where $p_g<p_{\text{data}}$. "
                r"Then $\mathcal{L}_D(D^*)=m\int\min(p_{\text{data}},p_g)\,dx"
                r"=m\,(1-\mathrm{TV}(p_{\text{data}},p_g))$: the discriminator's best loss "
                r"measures the total variation, as for the `hinge` loss.",
                r"**Equilibrium** (Zhao et al. 2017, Theorems 1 and 2). $D$ minimises "
                r"$V=\mathcal{L}_D$ and $G$ minimises $U=\mathbb{E}[D(G(z))]$. At a Nash "
                r"equilibrium $p_g=p_{\text{data}}$ almost everywhere and $V=m$, and an "
                r"equilibrium exists in which $D^*$ is a constant $\gamma\in[0,m]$ almost "
                r"everywhere: at the end the energy is flat and no longer tells samples apart.",
                r"**Pulling-away term.** Against mode collapse, EBGAN-PT adds to the "
                r"generator's loss $\lambda_{\text{PT}}f_{\text{PT}}$ with, for the codes "
                r"$S_i=\mathrm{Enc}(G(z_i))$ of a batch of $N$, "
                r"$f_{\text{PT}}(S)=\frac{1}{N(N-1)}\sum_i\sum_{j\ne i}"
                r"\Big(\frac{S_i^\top S_j}{\|S_i\|\,\|S_j\|}\Big)^2$, the mean squared cosine "
                r"between distinct codes: 1 for a collapsed batch (parallel codes), 0 for "
                r"mutually orthogonal ones. Being scale-invariant it cannot be lowered by "
                r"shrinking the codes. In $c$ dimensions at most $c$ codes are orthogonal: the "
                r"minimum is $(N/c-1)/(N-1)\approx1/c$, and for $c=1$ the term is constant.",
            ),
            optimum_or_divergence=(
                r"For fixed $G$ the optimal energy is $D^*=m$ where $p_g>p_{\text{data}}$ and "
                r"0 where $p_g<p_{\text{data}}$, and the discriminator's loss is "
                r"$m\,(1-\mathrm{TV}(p_{\text{data}},p_g))$ (total variation). A Nash "
                r"equilibrium has $p_g=p_{\text{data}}$ almost everywhere, with a constant "
                r"energy $\gamma\in[0,m]$ (Zhao et al. 2017, Theorems 1 and 2)."
            ),
            used_by=(
                "EBGAN (Zhao et al. 2017): MNIST, LSUN bedrooms, CelebA and ImageNet at "
                "128 and 256 pixels from a single-scale generator",
                "BEGAN (Berthelot et al. 2017): an autoencoder discriminator whose energy is "
                "the reconstruction loss, balanced by an equilibrium term instead of a margin",
                "MAGAN (Wang et al. 2017): EBGAN with a margin adapted during training",
                "The study group's notes: an autoencoder discriminator trained with a margin hinge",
            ),
            why=(
                "The GAN whose discriminator is an autoencoder: its reconstruction error is an "
                "energy, low on the data, and a margin keeps fake energies from being pushed "
                "up without bound. It shows that a discriminator need not be a classifier, "
                "and its pulling-away term is a cheap guard against mode collapse."
            ),
            pros=(
                "The discriminator is an autoencoder: it can be pre-trained on real data "
                "alone, and each sample's energy comes from a whole reconstruction rather "
                "than one logit.",
                r"The margin bounds the fake term: fakes with energy $\ge m$ give no loss. "
                "The paper found EBGAN more stable than a BCE GAN across a large grid of "
                "architectures and hyper-parameters.",
                "The pulling-away term is a cheap, scale-invariant diversity penalty on "
                "the generated batch.",
            ),
            cons=(
                r"The margin $m$ lives on the scale of the energy and must be tuned per data "
                r"set: too small and fakes barely train $D$, too large and $D$ keeps pushing "
                "fake energies up instead of modelling the data.",
                "An autoencoder whose code is not a bottleneck can learn the identity, with "
                "zero energy everywhere; only the margin term pushes back.",
                r"Loss values are hard to read: at equilibrium the energy is flat at some "
                r"$\gamma\in[0,m]$.",
                "Three knobs (margin, PT weight, code size) on top of a plain GAN; with "
                "1-dimensional codes the pulling-away term is constant.",
            ),
            hyperparameters={
                "margin": Hyperparameter(
                    default=1.0,
                    low=0.0,
                    doc=(
                        r"Hinge margin $m$: a fake's energy enters the discriminator's loss "
                        r"only while it is below $m$. It is in the units of the energy, here "
                        "a per-coordinate mean squared reconstruction error: for data of "
                        r"scale about 1, $m=1$ asks $D$ to reconstruct fakes with an RMS "
                        "error of at least one data unit per coordinate. The paper tuned "
                        "its margins per data set for its image energies; they do not carry "
                        r"over. Must be $>0$ to train on fakes: energies are $\ge0$, so "
                        r"$m=0$ switches the fake term off."
                    ),
                ),
                "pt_weight": Hyperparameter(
                    default=0.1,
                    low=0.0,
                    doc=(
                        r"Weight $\lambda_{\text{PT}}$ of the pulling-away term in the "
                        "generator's loss: 0.1 in the paper's EBGAN-PT experiments, 0 gives "
                        "plain EBGAN. Must be >= 0."
                    ),
                ),
                "code_dim": Hyperparameter(
                    default=2,
                    low=1,
                    integer=True,
                    doc=(
                        r"Size $c$ of the autoencoder's code $\mathrm{Enc}(x)$; the trainer "
                        r"builds the encoder MLP $d\to$ hidden $\to c$ and the decoder back. "
                        r"A code at least as large as the data ($c\ge d$) lets the "
                        "autoencoder learn the identity, zero energy everywhere, and only "
                        r"the margin then pushes back: prefer $c<d$. 2 is the smallest code "
                        r"for which the pulling-away term is not constant (for $c=1$ every "
                        "pair of codes is parallel), so on 1-D data the code is "
                        "over-complete by design. An integer >= 1."
                    ),
                ),
            },
            references=(
                ZHAO_2017,
                Reference(
                    "LeCun, Y., Chopra, S., Hadsell, R., Ranzato, M., Huang, F. J.",
                    "A Tutorial on Energy-Based Learning",
                    2006,
                    "http://yann.lecun.com/exdb/publis/pdf/lecun-06.pdf",
                ),
                Reference(
                    "Berthelot, D., Schumm, T., Metz, L.",
                    "BEGAN: Boundary Equilibrium Generative Adversarial Networks",
                    2017,
                    "https://arxiv.org/abs/1703.10717",
                ),
                RADFORD_2016,
            ),
        ),
        terms={"discriminator": ebgan_discriminator, "generator": ebgan_generator},
        optimizer=OptimizerDefaults(
            name="adam",
            lr=1e-3,
            betas=(0.5, 0.999),
            source="Zhao et al. 2017 trained EBGAN with Adam: lr 0.001 from their MNIST grid "
            "search (learning rates 0.01, 0.001, 0.0001); beta1 0.5 as in DCGAN (Radford et al. "
            "2016), whose architectures their image models follow. Re-implementations such as "
            "PyTorch-GAN use DCGAN's lr 0.0002, beta1 0.5.",
        ),
        training={"n_critic": 1, "discriminator": "autoencoder", "hinge_margin": "margin"},
    )
)
