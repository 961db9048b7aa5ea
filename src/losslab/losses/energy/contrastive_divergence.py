"""contrastive-divergence: maximum likelihood for an energy.

The intractable half of the gradient is estimated with short-run Langevin MCMC from a
persistent replay buffer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from losslab.losses.energy._common import (
    DU_MORDATCH_2019,
    FAMILY,
    HINTON_2002,
    NIJKAMP_2019,
    NIJKAMP_2020,
    TIELEMAN_2008,
)
from losslab.losses.knobs import Knob
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


def cd_loss(data_energy: Tensor, sample_energy: Tensor, reg_weight: Knob) -> Tensor:
    r"""Maximum-likelihood surrogate for an EBM, with Du & Mordatch's energy regulariser.

    .. math::

        \mathcal L_s = \frac1B\sum_b E(x^+_{s,b}) - \frac1B\sum_b E(x^-_{s,b})
          + \alpha\,\frac1B\sum_b \big(E(x^+_{s,b})^2 + E(x^-_{s,b})^2\big)

    with :math:`x^+` data, :math:`x^-` Langevin samples (held fixed: no gradient flows
    through the sampler) and :math:`\alpha` = ``reg_weight``. Its parameter gradient
    (without the regulariser) estimates the negative log-likelihood's,
    :math:`\mathbb E_{data}[\nabla_\theta E] - \mathbb E_{p_\theta}[\nabla_\theta E]`.

    ``data_energy``, ``sample_energy``: ``[S, B]`` (the two batches may differ in size);
    ``reg_weight``: a number or per-member ``[S]`` (it scales a per-member value); returns
    ``[S]``.
    """
    if data_energy.dim() != 2 or sample_energy.dim() != 2:
        raise ValueError(
            f"expected energies of shape [S, B], got {tuple(data_energy.shape)} and "
            f"{tuple(sample_energy.shape)}"
        )
    if data_energy.shape[0] != sample_energy.shape[0]:
        raise ValueError(
            f"{data_energy.shape[0]} members of data energies, {sample_energy.shape[0]} of "
            "sample energies"
        )
    contrast = data_energy.mean(dim=1) - sample_energy.mean(dim=1)
    magnitude = data_energy.pow(2).mean(dim=1) + sample_energy.pow(2).mean(dim=1)
    return contrast + reg_weight * magnitude


_CD_EXAMPLE = """import torch
from losslab.losses import get_loss
from losslab.sampling.langevin import energy_score, langevin

spec = get_loss("contrastive-divergence")
k = spec.hyperparameters()  # the defaults; pass overrides as a dict
energy = lambda x: 0.5 * x.pow(2).sum(-1)  # a toy E(x) = |x|^2/2: [S, B, d] -> [S, B]
generators = [torch.Generator().manual_seed(s) for s in range(2)]  # one per member
data = torch.randn(2, 64, 2)  # [members, batch, dims]
start = torch.rand(2, 64, 2) * 4 - 2  # uniform over the data's box
samples, grad_norms = langevin(energy_score(energy), start, k["langevin_steps"],
                               k["step_size"], k["noise"], generators, k["grad_clip"])
loss = spec.bind("energy", k)(data_energy=energy(data), sample_energy=energy(samples))
print(loss)  # one value per member
"""

register(
    LossSpec(
        card=Card(
            name="contrastive-divergence",
            example=_CD_EXAMPLE,
            family=FAMILY,
            formula=(
                r"\mathcal L(\theta)=\frac1B\sum_{b}E_\theta(x^+_b)-\frac1B\sum_{b}"
                r"E_\theta(x^-_b)+\alpha\,\frac1B\sum_{b}\left(E_\theta(x^+_b)^2+"
                r"E_\theta(x^-_b)^2\right),\quad x^+\sim p_{\mathrm{data}},\ "
                r"x^-\sim\text{short-run Langevin}"
            ),
            derivation=(
                r"**Model.** $p_\theta(x)=e^{-E_\theta(x)}/Z_\theta$ with "
                r"$Z_\theta=\int e^{-E_\theta(x)}\,dx$. The negative log-likelihood of a "
                r"point is $E_\theta(x)+\log Z_\theta$; $Z_\theta$ cannot be computed.",
                r"**Its gradient.** $\nabla_\theta\log Z_\theta=\frac{1}{Z_\theta}\int"
                r"-\nabla_\theta E_\theta(x)\,e^{-E_\theta(x)}\,dx=-\mathbb{E}_{p_\theta}"
                r"[\nabla_\theta E_\theta]$, so $\nabla_\theta\mathbb{E}_{p_{\mathrm{data}}}"
                r"[-\log p_\theta]=\mathbb{E}_{p_{\mathrm{data}}}[\nabla_\theta E_\theta]-"
                r"\mathbb{E}_{p_\theta}[\nabla_\theta E_\theta]$: push the energy down on "
                r"data, up on the model's own samples.",
                r"**The surrogate.** $\bar E(x^+)-\bar E(x^-)$ with the samples $x^-$ held "
                r"fixed has exactly that gradient when $x^-\sim p_\theta$. Its *value* is not "
                r"the likelihood ($\log Z_\theta$ is missing): it is negative while the "
                r"sampler lags behind the model and hovers near 0 when the samples look "
                r"like data (Nijkamp et al. 2020 use it as a diagnostic).",
                r"**Langevin sampling.** $x_{k+1}=x_k+\eta\,\mathrm{clip}_c(-\nabla_x "
                r"E_\theta(x_k))+\tau\,\xi_k$, $\xi_k\sim\mathcal N(0,I)$, for $K$ steps "
                r"(step size $\eta$, noise $\tau$, elementwise clip $c$). With $\tau="
                r"\sqrt{2\eta}$ and no clip this is the unadjusted Langevin algorithm, which "
                r"samples $p_\theta$ as $\eta\to0$. A smaller $\tau$ samples the colder "
                r"$p_\theta^{1/T}$ with $T=\tau^2/(2\eta)$; Du & Mordatch (2019) and "
                r"Nijkamp et al. (2019) choose $T\ll1$ on purpose: an almost noiseless "
                r"descent on an energy that learns to make that descent produce data.",
                r"**Short-run, persistent chains.** Each step runs $K$ updates from a "
                r"replay buffer of past samples (persistent contrastive divergence, "
                r"Tieleman 2008); with probability $\rho$ a chain restarts from uniform "
                r"noise over the data's bounding box (Du & Mordatch: $\rho=0.05$). "
                r"Hinton's (2002) CD-$k$ starts the chains at the data instead. The "
                r"trainer keeps one buffer per member.",
                r"**Energy regulariser.** The loss is unchanged by $E\to E+C$ and the "
                r"contrast can grow without bound when the sampler falls behind; "
                r"$\alpha(\overline{E(x^+)^2}+\overline{E(x^-)^2})$ keeps energies near 0 "
                r"and smooths the landscape (Du & Mordatch 2019, $\alpha=1$). Sample by "
                r"sample the loss is smallest at $E(x^+)=-\frac{1}{2\alpha}$, "
                r"$E(x^-)=\frac{1}{2\alpha}$, so the energies stay in a bounded range.",
                r"**What is learnt.** With $K$ short, the fixed point is where the "
                r"short-run sampler's output matches the data in the statistics "
                r"$\nabla_\theta E_\theta$ (Nijkamp et al. 2019): a good *sampler*, not "
                r"necessarily a good density. Evaluation samples come from a long chain "
                r"(`eval_steps`) started from noise, which can drift away from the "
                r"short-run samples training saw: oversaturated or collapsed long-run "
                r"samples are the known failure (Nijkamp et al. 2020).",
                r"**Diagnostics.** The contrast $\bar E(x^+)-\bar E(x^-)$ and the mean "
                r"gradient norm $\|\nabla_x E\|$ along the chains (returned by `langevin`) "
                r"show whether the sampler keeps up; a contrast running off to $-\infty$ "
                r"is divergence.",
            ),
            optimum_or_divergence=(
                r"With exact samples $x^-\sim p_\theta$, gradient descent on the expected "
                r"negative log-likelihood, i.e. on the forward KL $\mathrm{KL}(p_{\mathrm{data}}"
                r"\,\|\,p_\theta)$ (mass-covering), plus $\alpha$ times the energy "
                r"magnitudes. With short-run chains the gradient is biased: the fixed point "
                r"matches the short-run sampler's output to the data in the moments "
                r"$\mathbb{E}[\nabla_\theta E_\theta]$, not $p_\theta$ to $p_{\mathrm{data}}$."
            ),
            used_by=(
                "Restricted Boltzmann machines: CD-k (Hinton 2002), persistent CD (Tieleman 2008)",
                "IGEBM, image EBMs with a replay buffer (Du & Mordatch 2019)",
                "Short-run MCMC EBMs and the ebm-anatomy study (Nijkamp et al. 2019, 2020)",
                "JEM, a classifier read as an EBM (Grathwohl et al. 2020)",
            ),
            why=(
                "Maximum likelihood for a density given only up to its normaliser: one "
                "network, no generator, no discriminator, and the forward KL's "
                "mode-covering pull. The price is an MCMC sampler inside every training step."
            ),
            pros=(
                "Targets the likelihood (forward KL), which covers every mode in principle.",
                "One network; the energy can be composed, conditioned and evaluated pointwise.",
                "Any architecture works: the energy need not be invertible or normalised.",
            ),
            cons=(
                "Every step runs K Langevin steps: K+1 forward/backward passes per update.",
                "Short-run chains bias the gradient; the long-run chain used for "
                "evaluation can sample something else than the short-run samples trained on.",
                "Many sampler knobs (step, noise, clip, steps, buffer, restarts) interact "
                "with the data's scale; training can oscillate or diverge.",
                "The loss value is not a likelihood and does not measure fit.",
            ),
            hyperparameters={
                "reg_weight": Hyperparameter(
                    default=1.0,
                    low=0.0,
                    search=Search.log_uniform(0.01, 10),
                    doc=(
                        r"Weight $\alpha$ of the energy-magnitude penalty "
                        r"$\overline{E(x^+)^2}+\overline{E(x^-)^2}$; Du & Mordatch's code adds it "
                        "with weight 1. 0 gives plain maximum likelihood. Searched log-uniform "
                        "over [0.01, 10], around Du & Mordatch's 1."
                    ),
                ),
                "langevin_steps": Hyperparameter(
                    default=60,
                    low=1,
                    integer=True,
                    doc=(
                        "Langevin steps K per training step, from the replay buffer (Du & "
                        "Mordatch use 60 on CIFAR-10). Not tuned: a sampler budget, which "
                        "changes the cost of every step."
                    ),
                ),
                "step_size": Hyperparameter(
                    default=0.1,
                    low=0.0,
                    search=Search.log_uniform(0.01, 1),
                    doc=(
                        r"Step size $\eta$ on the (clipped) score $-\nabla_x E$, for data within "
                        r"about [-2, 2]. A step moves a coordinate at most $\eta c$ = 0.1, so 60 "
                        "steps can cross the box. On an 8-Gaussian ring (3000 training steps) it "
                        "gave better long-run samples than 0.01 with clip 0.03, whose chains "
                        "lagged behind the model. Searched log-uniform over [0.01, 1], a decade "
                        "either side of the default."
                    ),
                ),
                "noise": Hyperparameter(
                    default=0.005,
                    low=0.0,
                    search=Search.log_uniform(0.0005, 0.5),
                    doc=(
                        r"Noise scale $\tau$ of each Langevin step. Du & Mordatch use 0.005 on "
                        r"images in [0, 1], far below $\sqrt{2\eta}$ (so a cold sampler, "
                        r"$T=\tau^2/(2\eta)\approx10^{-4}$ here); set it to $\sqrt{2\eta}$ for "
                        "the unadjusted Langevin algorithm. Searched log-uniform over [0.0005, "
                        r"0.5]: from a tenth of Du & Mordatch's 0.005 to about $\sqrt{2\eta}$ at "
                        "the default step."
                    ),
                ),
                "grad_clip": Hyperparameter(
                    default=1.0,
                    low=0.0,
                    doc=(
                        r"Elementwise clip $c$ of $-\nabla_x E$ before the step (0 disables). A "
                        r"safety cap on the move per step, $\eta c$, so a sharp energy cannot "
                        "throw a chain out of the box; loose enough not to bind while the energy "
                        "is smooth. Du & Mordatch clip at 0.01 with step 10 on images (at most "
                        "0.1 per step on [0, 1]). Not tuned: a safety cap that should not bind."
                    ),
                ),
                "buffer_size": Hyperparameter(
                    default=10000,
                    low=1,
                    integer=True,
                    doc=(
                        "Samples kept per member in the replay buffer of persistent chains "
                        "(ebm-anatomy's toy runs keep 10000). Not tuned: a sampler budget."
                    ),
                ),
                "reinit_prob": Hyperparameter(
                    default=0.05,
                    low=0.0,
                    high=1.0,
                    search=Search.uniform(0, 0.2),
                    doc=(
                        "Probability that a chain restarts from uniform noise over the training "
                        "data's bounding box instead of the buffer (Du & Mordatch: 5%). 1 gives "
                        "short-run chains from noise (Nijkamp et al. 2019). Searched uniform "
                        "over [0, 0.2], around Du & Mordatch's 5%; 1 is another method."
                    ),
                ),
                "eval_steps": Hyperparameter(
                    default=500,
                    low=1,
                    integer=True,
                    doc=(
                        "Langevin steps of the evaluation chain, started from uniform noise over "
                        "the data's box with the training sampler's knobs. Longer than "
                        "training's short runs: it shows what the energy samples, not what the "
                        "buffer holds. Not tuned: an evaluation budget."
                    ),
                ),
            },
            references=(
                HINTON_2002,
                TIELEMAN_2008,
                DU_MORDATCH_2019,
                NIJKAMP_2019,
                NIJKAMP_2020,
                Reference(
                    "Grathwohl, W., Wang, K.-C., Jacobsen, J.-H., Duvenaud, D., Norouzi, M., "
                    "Swersky, K.",
                    "Your Classifier is Secretly an Energy Based Model and You Should Treat "
                    "it Like One",
                    2020,
                    "https://arxiv.org/abs/1912.03263",
                ),
            ),
        ),
        terms={"energy": cd_loss},
        optimizer=OptimizerDefaults(
            name="adam",
            lr=3e-4,
            betas=(0.0, 0.999),
            source="Du & Mordatch's code (openai/ebm_code_release, train.py): Adam with "
            "beta1 = 0, beta2 = 0.999, lr 3e-4 by default. ebm-anatomy's image runs use "
            "Adam with lr 1e-4 (its toy runs use SGD).",
        ),
        training={"method": "ebm"},
    )
)
