"""wgan-clip: Wasserstein GAN with weight clipping."""

from __future__ import annotations

from typing import TYPE_CHECKING

from losslab.losses.adversarial._common import (
    _WASSERSTEIN_GENERATOR_FORMULA,
    ARJOVSKY_2017,
    ARJOVSKY_BOTTOU_2017,
    FAMILY,
    GULRAJANI_2017,
    _example,
    _member_mean,
)
from losslab.losses.registry import (
    Card,
    Hyperparameter,
    LossSpec,
    OptimizerDefaults,
    Search,
    register,
)

if TYPE_CHECKING:
    from torch import Tensor


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
                    search=Search.log_uniform(0.001, 0.1),
                    doc=(
                        "Weight-clipping bound $c$: after every critic step the trainer clamps "
                        "each critic weight to $[-c, c]$, which keeps the critic $K$-Lipschitz. "
                        "Too large: the critic takes long to reach its optimum; too small: "
                        "gradients vanish through deep critics. Paper value 0.01; must be >= 0. "
                        "Searched log-uniform over [0.001, 0.1], a decade either side of the "
                        "paper's 0.01."
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
