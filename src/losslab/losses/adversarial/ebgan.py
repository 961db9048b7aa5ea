"""ebgan: energy-based GAN, an autoencoder discriminator with a margin."""

from __future__ import annotations

from typing import TYPE_CHECKING

from losslab._lazy import F, torch
from losslab.losses.adversarial._common import (
    FAMILY,
    RADFORD_2016,
    _member_mean,
)
from losslab.losses.knobs import Knob, broadcast_knob
from losslab.losses.registry import (
    Card,
    Hyperparameter,
    LossSpec,
    OptimizerDefaults,
    Reference,
    Search,
    register,
)

if TYPE_CHECKING:
    from torch import Tensor


def ebgan_discriminator(real_scores: Tensor, fake_scores: Tensor, margin: Knob) -> Tensor:
    r"""EBGAN's discriminator loss: low energy on real samples, at least ``margin`` on fakes.

    .. math::

        \mathcal{L}_D = \frac{1}{B}\sum_b D(x_b) + \frac{1}{B}\sum_b \big[m - D(G(z_b))\big]^+,
        \qquad [u]^+ = \max(0, u)

    ``real_scores``, ``fake_scores``: energies ``[S, B]``, the autoencoder's per-sample mean
    squared reconstruction errors :math:`D(x) = \frac1d\lVert\mathrm{Dec}(\mathrm{Enc}(x))
    - x\rVert_2^2 \ge 0`; ``margin``: :math:`m`, a number or per-member ``[S]``. Returns
    ``[S]``. The hinge is taken per sample, as in the paper's per-pair loss
    :math:`f_D(x, z)`, not on the batch mean.
    """
    margin = broadcast_knob(margin, fake_scores)
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


def ebgan_generator(fake_scores: Tensor, fake_codes: Tensor, pt_weight: Knob) -> Tensor:
    r"""EBGAN's generator loss: make samples of low energy, with diverse codes (EBGAN-PT).

    .. math::

        \mathcal{L}_G = \frac{1}{B}\sum_b D(G(z_b))
            + \lambda_{\text{PT}}\, f_{\text{PT}}\big(\mathrm{Enc}(G(z_1)), \dots,
              \mathrm{Enc}(G(z_B))\big)

    ``fake_scores``: energies ``[S, B]`` of the generated batch; ``fake_codes``: their codes
    ``[S, B, c]``; ``pt_weight``: :math:`\lambda_{\text{PT}}` (0 gives plain EBGAN), a number
    or per-member ``[S]`` (it scales a per-member value, so it broadcasts as it is).
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
                    search=Search.log_uniform(0.1, 10),
                    doc=(
                        "Hinge margin $m$: a fake's energy enters the discriminator's loss only "
                        "while it is below $m$. It is in the units of the energy, here a "
                        "per-coordinate mean squared reconstruction error: for data of scale "
                        "about 1, $m=1$ asks $D$ to reconstruct fakes with an RMS error of at "
                        "least one data unit per coordinate. The paper tuned its margins per "
                        "data set for its image energies; they do not carry over. Must be $>0$ "
                        r"to train on fakes: energies are $\ge0$, so $m=0$ switches the fake term "
                        "off. Searched log-uniform over [0.1, 10], a decade either side of the "
                        "energy of a one-unit RMS error."
                    ),
                ),
                "pt_weight": Hyperparameter(
                    default=0.1,
                    low=0.0,
                    search=Search.log_uniform(0.01, 1),
                    doc=(
                        r"Weight $\lambda_{\text{PT}}$ of the pulling-away term in the "
                        "generator's loss: 0.1 in the paper's EBGAN-PT experiments, 0 gives "
                        "plain EBGAN. Must be >= 0. Searched log-uniform over [0.01, 1], a "
                        "decade either side of the paper's 0.1."
                    ),
                ),
                "code_dim": Hyperparameter(
                    default=2,
                    low=1,
                    integer=True,
                    doc=(
                        r"Size $c$ of the autoencoder's code $\mathrm{Enc}(x)$; the trainer "
                        r"builds the encoder MLP $d\to$ hidden $\to c$ and the decoder back. A "
                        r"code at least as large as the data ($c\ge d$) lets the autoencoder "
                        "learn the identity, zero energy everywhere, and only the margin then "
                        "pushes back: prefer $c<d$. 2 is the smallest code for which the "
                        "pulling-away term is not constant (for $c=1$ every pair of codes is "
                        "parallel), so on 1-D data the code is over-complete by design. An "
                        "integer >= 1. Not tuned: it changes the network."
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
