"""dragan: the non-saturating BCE loss with DRAGAN's gradient penalty around the real data."""

from __future__ import annotations

from losslab.losses.adversarial._common import (
    _BCE_DISCRIMINATOR_FORMULA,
    _BCE_OPTIMIZER,
    FAMILY,
    GOODFELLOW_2014,
    GULRAJANI_2017,
    _example,
)
from losslab.losses.adversarial.minimax_bce import minimax_bce_discriminator
from losslab.losses.adversarial.nonsaturating_bce import nonsaturating_bce_generator
from losslab.losses.registry import (
    Card,
    Hyperparameter,
    LossSpec,
    Reference,
    Search,
    register,
)

# The BCE terms; the DRAGAN penalty is added by the trainer
# (losses.penalties.dragan_penalty, weighted by dragan_weight, noise scale c).
dragan_discriminator = minimax_bce_discriminator
dragan_generator = nonsaturating_bce_generator

KODALI_2017 = Reference(
    "Kodali, N., Abernethy, J., Hays, J., Kira, Z.",
    "On Convergence and Stability of GANs",
    2017,
    "https://arxiv.org/abs/1705.07215",
)

register(
    LossSpec(
        card=Card(
            name="dragan",
            example=_example("dragan"),
            family=FAMILY,
            formula=(
                r"\begin{aligned}"
                + _BCE_DISCRIMINATOR_FORMULA
                + r" + \lambda\,\mathbb{E}_{x,\hat x}\big[(\|\nabla_{\hat x}\ell(\hat x)\|_2"
                r" - 1)^2\big],\quad \hat x = x + \epsilon\, c\, \sigma_x\, u"
                r"\\ \mathcal{L}_G &= \mathbb{E}_{z\sim p_z}"
                r"[\operatorname{softplus}(-\ell(G(z)))],"
                r" \quad u\sim U[0,1)^d,\ \epsilon\sim U[0,1)\end{aligned}"
            ),
            derivation=(
                r"**Start from the BCE game.** $D=\sigma(\ell)$ minimises binary cross-entropy; "
                r"$G$ minimises the non-saturating $\mathbb{E}_z[\operatorname{softplus}"
                r"(-\ell(G(z)))]$ (see `nonsaturating-bce`).",
                r"**GAN training as regret minimisation.** Kodali et al. (2017) view "
                r"alternating updates as no-regret play of a convex-concave game. In function "
                r"space the game is convex-concave and the players' averages converge; in "
                r"parameter space it is not, and training can reach *local* equilibria.",
                r"**Bad local equilibria have sharp discriminators.** At the mode-collapsed "
                r"equilibria the authors observe, the discriminator's gradient norm around the "
                r"real data is large: $D$ changes abruptly near real points.",
                r"**Penalise sharp gradients near the data.** Add "
                r"$\lambda\,\mathbb{E}[(\|\nabla\ell(\hat x)\|-1)^2]$ at points $\hat x$ "
                r"perturbed *around real samples*, not on real-fake segments as WGAN-GP does. "
                r"The authors' code perturbs $x$ by "
                r"$0.5\cdot\operatorname{std}(x)\cdot U[0,1)$ noise and takes a uniform point "
                r"on the segment to it: $\hat x=x+\epsilon\,c\,\sigma_x u$ with $c=0.5$; the "
                r"paper writes $\delta\sim\mathcal N(0,cI)$.",
                r"**Defaults.** $\lambda=10$ as in the paper and $c=0.5$ as in the authors' "
                r"code; the generator term is the non-saturating one.",
            ),
            optimum_or_divergence=(
                r"Same fixed point as the BCE game, $p_g=p_{\text{data}}$ with "
                r"$D^*=p_{\text{data}}/(p_{\text{data}}+p_g)$ away from the data; the penalty "
                r"biases the discriminator towards unit slope in a neighbourhood of the real "
                r"data, which the authors argue removes mode-collapsed local equilibria."
            ),
            used_by=(
                "DRAGAN (Kodali et al. 2017): DCGAN architectures on CIFAR-10, CelebA, toy "
                "mixtures, including architectures where the vanilla GAN fails",
                "Jin et al. 2017, anime character generation (MakeGirlsMoe): DRAGAN's penalty "
                "for stable training",
                "StudioGAN and compare_gan ship it as a penalty beside WGAN-GP",
            ),
            why=(
                "A gradient penalty for the ordinary BCE GAN: it keeps the standard "
                "discriminator and one critic step per generator step, and targets mode "
                "collapse by smoothing the discriminator around the real data."
            ),
            pros=(
                "Works with the plain BCE losses and n_critic = 1.",
                "Fewer mode-collapse failures across architectures than the vanilla GAN in "
                "the authors' experiments.",
                "Penalises only near the data, where the generator must end up.",
            ),
            cons=(
                "A double backward per discriminator step.",
                "Two knobs (lambda, c) and c's meaning depends on the data's scale (it is "
                "relative to the batch standard deviation).",
                "The theory (no-regret play) covers the convex-concave function-space game, "
                "not the networks trained; the penalty is a heuristic.",
            ),
            hyperparameters={
                "dragan_weight": Hyperparameter(
                    default=10.0,
                    search=Search.log_uniform(0.1, 100),
                    low=0.0,
                    doc=(
                        r"Penalty weight $\lambda$: the trainer adds "
                        r"$\lambda\cdot$`penalties.dragan_penalty` to the discriminator "
                        "loss. Paper value 10; must be >= 0. Searched log-uniform over "
                        "[0.1, 100], a decade "
                        "either side of the paper's 10 (as Lucic et al. 2018 did for "
                        "penalty weights)."
                    ),
                ),
                "c": Hyperparameter(
                    default=0.5,
                    search=Search.uniform(0.1, 2),
                    low=0.0,
                    doc=(
                        r"Noise scale $c$, relative to the real batch's standard deviation: "
                        r"points are $x+\epsilon\,c\,\sigma_x u$. 0.5 as in the authors' "
                        "code; must be >= 0. Searched uniform over [0.1, 2] (from well "
                        "inside the data's "
                        "spread to beyond it)."
                    ),
                ),
            },
            references=(KODALI_2017, GOODFELLOW_2014, GULRAJANI_2017),
        ),
        terms={"discriminator": dragan_discriminator, "generator": dragan_generator},
        optimizer=_BCE_OPTIMIZER,
        training={"n_critic": 1, "penalties": {"dragan": "dragan_weight"}},
    )
)
