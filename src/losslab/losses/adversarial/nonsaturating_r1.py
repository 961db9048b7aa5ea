"""nonsaturating-r1: the non-saturating BCE loss with the zero-centred R1 penalty on real data."""

from __future__ import annotations

from losslab.losses.adversarial._common import (
    _BCE_DISCRIMINATOR_FORMULA,
    FAMILY,
    GOODFELLOW_2014,
    _example,
)
from losslab.losses.adversarial.minimax_bce import minimax_bce_discriminator
from losslab.losses.adversarial.nonsaturating_bce import nonsaturating_bce_generator
from losslab.losses.registry import (
    Card,
    Hyperparameter,
    LossSpec,
    OptimizerDefaults,
    Reference,
    Search,
    register,
)

# The terms are those of nonsaturating-bce; what makes this loss is the R1 penalty the trainer
# adds to the discriminator loss (losses.penalties.r1_penalty, weighted by gamma).
nonsaturating_r1_discriminator = minimax_bce_discriminator
nonsaturating_r1_generator = nonsaturating_bce_generator

MESCHEDER_2018 = Reference(
    "Mescheder, L., Geiger, A., Nowozin, S.",
    "Which Training Methods for GANs do actually Converge?",
    2018,
    "https://arxiv.org/abs/1801.04406",
)
KARRAS_2019 = Reference(
    "Karras, T., Laine, S., Aila, T.",
    "A Style-Based Generator Architecture for Generative Adversarial Networks",
    2019,
    "https://arxiv.org/abs/1812.04948",
)
KARRAS_2020 = Reference(
    "Karras, T., Laine, S., Aittala, M., Hellsten, J., Lehtinen, J., Aila, T.",
    "Analyzing and Improving the Image Quality of StyleGAN",
    2020,
    "https://arxiv.org/abs/1912.04958",
)

register(
    LossSpec(
        card=Card(
            name="nonsaturating-r1",
            example=_example("nonsaturating-r1"),
            family=FAMILY,
            formula=(
                r"\begin{aligned}"
                + _BCE_DISCRIMINATOR_FORMULA
                + r" + \frac{\gamma}{2}\,\mathbb{E}_{x\sim p_{\text{data}}}"
                r"\big[\|\nabla_x \ell(x)\|_2^2\big]"
                r"\\ \mathcal{L}_G &= \mathbb{E}_{z\sim p_z}"
                r"[\operatorname{softplus}(-\ell(G(z)))], \quad D = \sigma(\ell)\end{aligned}"
            ),
            derivation=(
                r"**Start from the non-saturating GAN.** $D=\sigma(\ell)$ minimises binary "
                r"cross-entropy and $G$ minimises $\mathbb{E}_z[\operatorname{softplus}"
                r"(-\ell(G(z)))]$ (see `nonsaturating-bce`).",
                r"**Unregularised GANs need not converge.** Mescheder et al. (2018) study the "
                r"Dirac-GAN: $p_{\text{data}}=\delta_0$, $p_g=\delta_\theta$, a linear "
                r"discriminator $\ell(x)=\psi x$. The gradient field of the game has purely "
                r"imaginary eigenvalues at the equilibrium $(\theta,\psi)=(0,0)$, so "
                r"simultaneous or alternating gradient descent circles around it or spirals "
                r"out instead of converging.",
                r"**Penalise the discriminator's gradient on real data.** At the equilibrium "
                r"$p_g=p_{\text{data}}$ the discriminator is constant on the data, so its "
                r"gradient there is zero. Adding "
                r"$R_1(\psi)=\frac{\gamma}{2}\mathbb{E}_{p_{\text{data}}}\|\nabla_x\ell(x)\|^2$ "
                r"to the discriminator's loss does not move the equilibrium but makes the "
                r"Jacobian's eigenvalues have negative real parts (in the Dirac-GAN, "
                r"$R_1=\frac{\gamma}{2}\psi^2$ damps $\psi$).",
                r"**Local convergence.** With $R_1$ (or $R_2$, the same on generated data), "
                r"gradient descent with small enough steps converges locally to the "
                r"equilibrium, under the paper's assumptions (Mescheder et al. 2018, Thm. 4.1); "
                r"the penalty is *zero-centred*, unlike WGAN-GP's, which pulls norms to 1.",
                r"**Implementation.** The trainer computes $\nabla_x\ell$ per real sample "
                r"with a double backward and adds $\gamma\cdot\frac{1}{2}\mathbb{E}"
                r"\|\nabla_x\ell\|^2$ to the discriminator loss; the generator term is "
                r"unchanged. StyleGAN uses $\gamma=10$ (FFHQ); StyleGAN2 evaluates it every "
                r"16 steps (lazy regularisation), which losslab does not do.",
            ),
            optimum_or_divergence=(
                r"Same fixed point as the non-saturating game, "
                r"$D^*=p_{\text{data}}/(p_{\text{data}}+p_g)$ and $p_g=p_{\text{data}}$, where "
                r"the penalty vanishes; the penalty makes that equilibrium locally "
                r"asymptotically stable for gradient descent (Mescheder et al. 2018)."
            ),
            used_by=(
                r"StyleGAN (Karras et al. 2019): non-saturating logistic loss with $R_1$, "
                r"$\gamma=10$ on FFHQ",
                "StyleGAN2 / StyleGAN2-ADA / StyleGAN3 (Karras et al. 2020, 2021): the same "
                "loss with lazy R1",
                "Mescheder et al. 2018: ResNet GANs on CelebA-HQ and LSUN at 256x256",
            ),
            why=(
                "The loss behind the best-known image GANs: the non-saturating generator's "
                "strong gradients plus a penalty that stops the discriminator from "
                "overshooting on real data, which is what makes training converge instead of "
                "oscillating around the equilibrium."
            ),
            pros=(
                "Provably locally convergent for gradient descent (Mescheder et al. 2018), "
                "unlike the unregularised game.",
                "Zero-centred: it does not move the equilibrium or force a unit gradient "
                "norm the optimal discriminator does not have.",
                "One knob, robust around StyleGAN's default.",
                "No batch normalisation constraint beyond the per-sample gradient.",
            ),
            cons=(
                "Each discriminator step needs a double backward on the real batch: slower "
                "than plain BCE.",
                r"$\gamma$ depends on the data's scale and resolution (StyleGAN2-ADA scales "
                r"it with the image size); too large and $D$ cannot separate anything.",
                "Only local convergence: far from the equilibrium the usual GAN failures "
                "(mode dropping) remain.",
            ),
            hyperparameters={
                "gamma": Hyperparameter(
                    default=10.0,
                    search=Search.log_uniform(0.01, 100),
                    low=0.0,
                    doc=(
                        r"R1 weight $\gamma$: the trainer adds "
                        r"$\gamma\cdot$`penalties.r1_penalty` "
                        r"($=\frac{\gamma}{2}\mathbb{E}\|\nabla_x\ell(x)\|^2$) to the "
                        "discriminator loss. StyleGAN's default 10 (FFHQ); Mescheder et al. "
                        "2018 used 10 as well; 0 removes the penalty; must be >= 0. "
                        "Searched log-uniform over [0.01, 100] (StyleGAN2-ADA's settings run "
                        "from 0.01 on CIFAR-10 "
                        "to 10 on FFHQ at 1024 px; a decade above for data at other scales)."
                    ),
                ),
            },
            references=(MESCHEDER_2018, KARRAS_2019, KARRAS_2020, GOODFELLOW_2014),
        ),
        terms={
            "discriminator": nonsaturating_r1_discriminator,
            "generator": nonsaturating_r1_generator,
        },
        optimizer=OptimizerDefaults(
            name="adam",
            lr=1e-3,
            betas=(0.0, 0.99),
            source="Karras et al. 2019 (StyleGAN): Adam, lr 0.001, beta1 0, beta2 0.99, "
            "eps 1e-8.",
        ),
        training={"n_critic": 1, "penalties": {"r1": "gamma"}},
    )
)
