r"""Energy-based losses: maximum likelihood with Langevin MCMC, denoising score matching.

Two ways to learn a density known only up to its normaliser:

* ``contrastive-divergence``: an energy :math:`E_\theta(x)`, :math:`p_\theta \propto
  e^{-E_\theta}`, trained by maximum likelihood; the intractable half of the gradient is
  estimated with short-run Langevin samples from a persistent replay buffer. Term
  ``energy``: :func:`cd_loss` on the energies ``data_energy`` / ``sample_energy``
  (``[S, B]``) of data and of Langevin samples. ``training["method"] == "ebm"``.
* ``dsm`` / ``dsm-annealed``: a score network :math:`s_\theta(x, \sigma) \approx
  \nabla_x \log q_\sigma(x)` trained by denoising score matching at one noise level or
  at a geometric ladder of them. Term ``score``: :func:`dsm_loss` on ``scores``, ``noise``
  (``[S, B, d]``) and ``sigmas`` (``[S, B, 1]``). ``training["method"] == "dsm"`` and
  ``training["sigma_levels"]`` (:func:`sigma_levels`) turns the knobs into the levels.

Every term returns ``Tensor[S]``, one value per ensemble member. The samplers live in
:mod:`losslab.sampling.langevin`.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor

from losslab.errors import BadInput
from losslab.losses.registry import (
    Card,
    Hyperparameter,
    LossSpec,
    OptimizerDefaults,
    Reference,
    register,
)

FAMILY = "energy"

# --- references ---------------------------------------------------------------------------

HINTON_2002 = Reference(
    "Hinton, G. E.",
    "Training Products of Experts by Minimizing Contrastive Divergence",
    2002,
)
TIELEMAN_2008 = Reference(
    "Tieleman, T.",
    "Training Restricted Boltzmann Machines using Approximations to the Likelihood Gradient",
    2008,
)
DU_MORDATCH_2019 = Reference(
    "Du, Y., Mordatch, I.",
    "Implicit Generation and Generalization in Energy-Based Models",
    2019,
    "https://arxiv.org/abs/1903.08689",
)
NIJKAMP_2019 = Reference(
    "Nijkamp, E., Hill, M., Zhu, S.-C., Wu, Y. N.",
    "Learning Non-Convergent Non-Persistent Short-Run MCMC Toward Energy-Based Model",
    2019,
    "https://arxiv.org/abs/1904.09770",
)
NIJKAMP_2020 = Reference(
    "Nijkamp, E., Hill, M., Han, T., Zhu, S.-C., Wu, Y. N.",
    "On the Anatomy of MCMC-Based Maximum Likelihood Learning of Energy-Based Models",
    2020,
    "https://arxiv.org/abs/1903.12370",
)
HYVARINEN_2005 = Reference(
    "Hyvärinen, A.",
    "Estimation of Non-Normalized Statistical Models by Score Matching",
    2005,
)
VINCENT_2011 = Reference(
    "Vincent, P.",
    "A Connection Between Score Matching and Denoising Autoencoders",
    2011,
)
SONG_ERMON_2019 = Reference(
    "Song, Y., Ermon, S.",
    "Generative Modeling by Estimating Gradients of the Data Distribution",
    2019,
    "https://arxiv.org/abs/1907.05600",
)
SONG_ERMON_2020 = Reference(
    "Song, Y., Ermon, S.",
    "Improved Techniques for Training Score-Based Generative Models",
    2020,
    "https://arxiv.org/abs/2006.09011",
)
JOLICOEUR_2021 = Reference(
    "Jolicoeur-Martineau, A., Piché-Taillefer, R., Tachet des Combes, R., Mitliagkas, I.",
    "Adversarial score matching and improved sampling for image generation",
    2021,
    "https://arxiv.org/abs/2009.05475",
)
EFRON_2011 = Reference(
    "Efron, B.",
    "Tweedie's Formula and Selection Bias",
    2011,
)


# ---------------------------------------------------------------------------
# contrastive-divergence
# ---------------------------------------------------------------------------


def cd_loss(data_energy: Tensor, sample_energy: Tensor, reg_weight: float) -> Tensor:
    r"""Maximum-likelihood surrogate for an EBM, with Du & Mordatch's energy regulariser.

    .. math::

        \mathcal L_s = \frac1B\sum_b E(x^+_{s,b}) - \frac1B\sum_b E(x^-_{s,b})
          + \alpha\,\frac1B\sum_b \big(E(x^+_{s,b})^2 + E(x^-_{s,b})^2\big)

    with :math:`x^+` data, :math:`x^-` Langevin samples (held fixed: no gradient flows
    through the sampler) and :math:`\alpha` = ``reg_weight``. Its parameter gradient
    (without the regulariser) estimates the negative log-likelihood's,
    :math:`\mathbb E_{data}[\nabla_\theta E] - \mathbb E_{p_\theta}[\nabla_\theta E]`.

    ``data_energy``, ``sample_energy``: ``[S, B]`` (the two batches may differ in size);
    returns ``[S]``.
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
                    doc=r"Weight $\alpha$ of the energy-magnitude penalty $\overline{E(x^+)^2}+"
                    r"\overline{E(x^-)^2}$; Du & Mordatch's code adds it with weight 1. "
                    "0 gives plain maximum likelihood.",
                ),
                "langevin_steps": Hyperparameter(
                    default=60,
                    low=1,
                    integer=True,
                    doc="Langevin steps K per training step, from the replay buffer "
                    "(Du & Mordatch use 60 on CIFAR-10).",
                ),
                "step_size": Hyperparameter(
                    default=0.1,
                    low=0.0,
                    doc=r"Step size $\eta$ on the (clipped) score $-\nabla_x E$, for data "
                    r"within about [-2, 2]. A step moves a coordinate at most $\eta c$ = 0.1, "
                    "so 60 steps can cross the box. On an 8-Gaussian ring (3000 training "
                    "steps) it gave better long-run samples than 0.01 with clip 0.03, whose "
                    "chains lagged behind the model.",
                ),
                "noise": Hyperparameter(
                    default=0.005,
                    low=0.0,
                    doc=r"Noise scale $\tau$ of each Langevin step. Du & Mordatch use 0.005 "
                    r"on images in [0, 1], far below $\sqrt{2\eta}$ (so a cold sampler, "
                    r"$T=\tau^2/(2\eta)\approx10^{-4}$ here); set it to "
                    r"$\sqrt{2\eta}$ for the unadjusted Langevin algorithm.",
                ),
                "grad_clip": Hyperparameter(
                    default=1.0,
                    low=0.0,
                    doc=r"Elementwise clip $c$ of $-\nabla_x E$ before the step (0 disables). "
                    r"A safety cap on the move per step, $\eta c$, so a sharp energy cannot "
                    "throw a chain out of the box; loose enough not to bind while the "
                    "energy is smooth. Du & Mordatch clip at 0.01 with step 10 on images "
                    "(at most 0.1 per step on [0, 1]).",
                ),
                "buffer_size": Hyperparameter(
                    default=10000,
                    low=1,
                    integer=True,
                    doc="Samples kept per member in the replay buffer of persistent chains "
                    "(ebm-anatomy's toy runs keep 10000).",
                ),
                "reinit_prob": Hyperparameter(
                    default=0.05,
                    low=0.0,
                    high=1.0,
                    doc="Probability that a chain restarts from uniform noise over the "
                    "training data's bounding box instead of the buffer (Du & Mordatch: "
                    "5%). 1 gives short-run chains from noise (Nijkamp et al. 2019).",
                ),
                "eval_steps": Hyperparameter(
                    default=500,
                    low=1,
                    integer=True,
                    doc="Langevin steps of the evaluation chain, started from uniform noise "
                    "over the data's box with the training sampler's knobs. Longer than "
                    "training's short runs: it shows what the energy samples, not what the "
                    "buffer holds.",
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


# ---------------------------------------------------------------------------
# denoising score matching: dsm and dsm-annealed
# ---------------------------------------------------------------------------


def dsm_loss(scores: Tensor, noise: Tensor, sigmas: Tensor) -> Tensor:
    r"""Denoising score matching with the weight :math:`\lambda(\sigma) = \sigma^2`.

    .. math::

        \mathcal L_s = \frac1B \sum_b \tfrac12 \big\|\sigma_b\, s_\theta(\tilde x_b,
        \sigma_b) + z_b\big\|^2
        = \frac1B \sum_b \sigma_b^2\, \tfrac12 \Big\|s_\theta(\tilde x_b, \sigma_b)
          - \nabla_{\tilde x}\log q_{\sigma_b}(\tilde x_b \mid x_b)\Big\|^2

    for :math:`\tilde x = x + \sigma z`, :math:`z \sim \mathcal N(0, I)`, since
    :math:`\nabla_{\tilde x}\log q_\sigma(\tilde x\mid x) = -(\tilde x - x)/\sigma^2
    = -z/\sigma`. The norm sums over the data dimensions.

    ``scores``: :math:`s_\theta(\tilde x, \sigma)` ``[S, B, d]``; ``noise``: :math:`z`
    ``[S, B, d]``; ``sigmas``: each sample's noise level ``[S, B, 1]``; returns ``[S]``.
    """
    if scores.dim() != 3 or noise.shape != scores.shape:
        raise ValueError(
            f"expected scores and noise of one shape [S, B, d], got {tuple(scores.shape)} "
            f"and {tuple(noise.shape)}"
        )
    if sigmas.shape != (*scores.shape[:2], 1):
        raise ValueError(
            f"expected sigmas of shape {(*scores.shape[:2], 1)}, got {tuple(sigmas.shape)}"
        )
    return 0.5 * (sigmas * scores + noise).pow(2).sum(dim=2).mean(dim=1)


def sigma_levels(hparams: dict[str, Any]) -> list[float]:
    r"""The noise levels :math:`\sigma_1 > \dots > \sigma_L` a DSM loss trains and samples at.

    ``dsm`` (``hparams`` has ``sigma``): ``[sigma]``. ``dsm-annealed``: the geometric
    sequence :math:`\sigma_i = \sigma_{\max}\,(\sigma_{\min}/\sigma_{\max})^{(i-1)/(L-1)}`,
    :math:`i = 1..L`, from ``sigma_max`` down to ``sigma_min`` with ``levels`` = :math:`L`
    entries (Song & Ermon 2019). Raises :class:`BadInput` unless
    ``sigma_max > sigma_min > 0`` and ``levels >= 2``.
    """
    if "sigma" in hparams:
        sigma = float(hparams["sigma"])
        if sigma <= 0:
            raise BadInput(f"sigma = {sigma!r} must be > 0")
        return [sigma]
    high, low, count = float(hparams["sigma_max"]), float(hparams["sigma_min"]), hparams["levels"]
    if not low > 0 or not high > low:
        raise BadInput(
            f"need sigma_max > sigma_min > 0, got sigma_max = {high!r}, sigma_min = {low!r}"
        )
    if int(count) != count or count < 2:
        raise BadInput(f"levels = {count!r} must be an integer >= 2")
    count = int(count)
    ratio = low / high
    levels = [high * ratio ** (i / (count - 1)) for i in range(count)]
    levels[-1] = low  # exact end point, free of rounding
    return levels


def _dsm_example(name: str) -> str:
    """The card's runnable example: the loss of the exact smoothed score of N(0, I) data."""
    return f"""import torch
from losslab.losses import get_loss

spec = get_loss("{name}")
knobs = spec.hyperparameters()  # the defaults; pass overrides as a dict
levels = torch.tensor(spec.training["sigma_levels"](knobs))  # sigma_1 > ... > sigma_L
x = torch.randn(2, 64, 2)  # data N(0, I): [members, batch, dims]
sigmas = levels[torch.randint(len(levels), (2, 64, 1))]  # one level per sample
z = torch.randn(2, 64, 2)
x_noisy = x + sigmas * z
scores = -x_noisy / (1 + sigmas**2)  # the exact score of N(0, (1 + sigma^2) I)
loss = spec.bind("score", knobs)(scores=scores, noise=z, sigmas=sigmas)
print(loss)  # one value per member
"""


_DSM_OPTIMIZER = OptimizerDefaults(
    name="adam",
    lr=1e-3,
    betas=(0.9, 0.999),
    source="Song & Ermon 2019 (ermongroup/ncsn, configs/anneal.yml and the toy runner): "
    "Adam, lr 0.001, beta1 0.9.",
)

_STEPS_PER_LEVEL_DOC = (
    r"Langevin steps $T$ per noise level when sampling. Start: uniform noise over the "
    r"data's box; then $T$ updates $x\leftarrow x+\frac{\alpha}{2}s_\theta+\sqrt\alpha\,z$ "
    r"per level and a final denoising step $x\leftarrow x+\sigma_L^2 s_\theta(x,\sigma_L)$."
)

_DSM_COMMON_STEPS = (
    r"**Score.** $s(x)=\nabla_x\log p(x)$ needs no normaliser, and Langevin dynamics "
    r"samples $p$ from it alone. Explicit score matching (Hyvärinen 2005) minimises "
    r"$\frac12\mathbb{E}_p\|s_\theta-\nabla\log p\|^2$, which by parts equals "
    r"$\mathbb{E}_p[\mathrm{tr}\,\nabla_x s_\theta+\frac12\|s_\theta\|^2]$ + const: a "
    r"Jacobian trace, $d$ backward passes.",
    r"**Smooth the data.** Let $q_\sigma(\tilde x\mid x)=\mathcal N(\tilde x;x,\sigma^2I)$ "
    r"and $q_\sigma(\tilde x)=\int q_\sigma(\tilde x\mid x)p(x)\,dx$. Vincent (2011): "
    r"$\frac12\mathbb{E}_{q_\sigma(\tilde x)}\|s_\theta(\tilde x)-\nabla\log q_\sigma"
    r"(\tilde x)\|^2=\frac12\mathbb{E}_{p(x)q_\sigma(\tilde x\mid x)}\|s_\theta(\tilde x)"
    r"-\nabla_{\tilde x}\log q_\sigma(\tilde x\mid x)\|^2+C$, $C$ free of $\theta$: the "
    r"cross terms agree because $q_\sigma(\tilde x)\nabla\log q_\sigma(\tilde x)="
    r"\int p(x)\,q_\sigma(\tilde x\mid x)\nabla_{\tilde x}\log q_\sigma(\tilde x\mid x)\,dx$.",
    r"**The target.** With $\tilde x=x+\sigma z$, $z\sim\mathcal N(0,I)$: "
    r"$\nabla_{\tilde x}\log q_\sigma(\tilde x\mid x)=-(\tilde x-x)/\sigma^2=-z/\sigma$, a "
    r"regression target known for every sample.",
    r"**Weighting.** Multiply by $\lambda(\sigma)=\sigma^2$: "
    r"$\sigma^2\cdot\frac12\|s_\theta+z/\sigma\|^2=\frac12\|\sigma s_\theta+z\|^2$. The "
    r"target $z$ has $\mathbb{E}\|z\|^2=d$ at every $\sigma$, so no level dominates "
    r"(Song & Ermon 2019). The trainer makes the network output "
    r"$s_\theta(\tilde x,\sigma)=\mathrm{net}(\tilde x,\mathrm{emb}(\log\sigma))/\sigma$ "
    r"(Song & Ermon 2020, technique 3): the loss becomes $\frac12\|\mathrm{net}+z\|^2$, "
    r"noise prediction as in DDPM.",
    r"**Optimum.** Pointwise in $\tilde x$ the minimiser is $s^*(\tilde x)=\mathbb{E}"
    r"[-z/\sigma\mid\tilde x]=\nabla\log q_\sigma(\tilde x)$, the score of the *smoothed* "
    r"data; Tweedie's formula $\mathbb{E}[x\mid\tilde x]=\tilde x+\sigma^2\nabla\log "
    r"q_\sigma(\tilde x)$ says the same. The minimum is not 0 "
    r"($\frac12\mathbb{E}\|\sigma s^*+z\|^2=\frac12(d-\sigma^2\mathbb{E}\|\nabla\log "
    r"q_\sigma\|^2)$), so the loss value does not show how good the fit is.",
)


register(
    LossSpec(
        card=Card(
            name="dsm",
            example=_dsm_example("dsm"),
            family=FAMILY,
            formula=(
                r"\mathcal L(\theta)=\mathbb{E}_{x\sim p_{\mathrm{data}},\,z\sim\mathcal N"
                r"(0,I)}\,\frac12\left\|\sigma\,s_\theta(x+\sigma z)+z\right\|^2"
            ),
            derivation=(
                *_DSM_COMMON_STEPS,
                r"**One noise level.** Langevin dynamics with the learnt score samples "
                r"$q_\sigma=p_{\mathrm{data}}*\mathcal N(0,\sigma^2I)$, not $p_{\mathrm{data}}$"
                r": a small $\sigma$ keeps that blur small, but the score is then learnt "
                r"only near the data, where the noisy samples land. Between separated "
                r"modes $q_\sigma$ is nearly 0, the score there is poorly estimated, and "
                r"Langevin chains rarely cross: each chain stays in the basin it started "
                r"in, so the modes' relative weights come from the initial distribution, "
                r"not from the data (Song & Ermon 2019, Section 3). Sampling here: "
                r"$\alpha=\epsilon$ (`step_eps`), $T$ steps, then the denoising step.",
            ),
            optimum_or_divergence=(
                r"Minimised by the score of the noise-smoothed data, $s_\theta=\nabla_x\log "
                r"q_\sigma$ with $q_\sigma=p_{\mathrm{data}}*\mathcal N(0,\sigma^2I)$; equal "
                r"to $\sigma^2$ times the Fisher divergence $\frac12\mathbb{E}_{q_\sigma}"
                r"\|s_\theta-\nabla\log q_\sigma\|^2$ up to a constant."
            ),
            used_by=(
                "Denoising autoencoders read as score estimators (Vincent 2011)",
                "Single-level score models and the baseline of NCSN (Song & Ermon 2019)",
                "Energy models trained by DSM on the energy's gradient (Saremi et al. 2018)",
            ),
            why=(
                "Learns the score without a normaliser, without MCMC in training and "
                "without Jacobian traces: one regression per sample. The simplest score "
                "model, and the baseline that shows why noise annealing is needed."
            ),
            pros=(
                "A plain regression loss: stable, cheap, no sampler inside training.",
                "Consistent: the minimiser is the exact score of the smoothed data.",
                "Sampling needs only the score network.",
            ),
            cons=(
                "Learns the score of the sigma-smoothed data: samples are blurred by sigma "
                "(the denoising step removes the mean shift, not all of it).",
                "Small sigma: the score is poor away from the data, and Langevin mixes "
                "badly between separated modes, getting their weights wrong.",
                "Large sigma: accurate far away, but a blurred density.",
            ),
            hyperparameters={
                "sigma": Hyperparameter(
                    default=0.1,
                    low=1e-6,
                    doc=r"Noise level $\sigma$ of the perturbation $\tilde x=x+\sigma z$, in "
                    "the data's units: 0.1 is small next to data spread over [-2, 2] "
                    "and near the width of the toy modes.",
                ),
                "steps_per_level": Hyperparameter(
                    default=200,
                    low=1,
                    integer=True,
                    doc=_STEPS_PER_LEVEL_DOC,
                ),
                "step_eps": Hyperparameter(
                    default=1e-3,
                    low=1e-12,
                    doc=r"Langevin step $\alpha=\epsilon$ (one level). Near a mode the update "
                    r"contracts by $\alpha/(2\sigma^2)$ per step: 0.05 with the defaults, so "
                    "200 steps relax a chain fully and the stationary variance is inflated "
                    r"by only $1/(1-0.025)$. Keep $\epsilon<4\sigma^2$ or the chain diverges.",
                ),
            },
            references=(HYVARINEN_2005, VINCENT_2011, SONG_ERMON_2019, EFRON_2011),
        ),
        terms={"score": dsm_loss},
        optimizer=_DSM_OPTIMIZER,
        training={"method": "dsm", "sigma_levels": sigma_levels},
    )
)


register(
    LossSpec(
        card=Card(
            name="dsm-annealed",
            example=_dsm_example("dsm-annealed"),
            family=FAMILY,
            formula=(
                r"\mathcal L(\theta)=\frac1L\sum_{i=1}^{L}\mathbb{E}_{x,z}\,\frac12\left\|"
                r"\sigma_i\,s_\theta(x+\sigma_i z,\sigma_i)+z\right\|^2,\quad\sigma_i="
                r"\sigma_{\max}\left(\sigma_{\min}/\sigma_{\max}\right)^{\frac{i-1}{L-1}}"
            ),
            derivation=(
                *_DSM_COMMON_STEPS,
                r"**Many levels, one network.** A noise-conditional network "
                r"$s_\theta(x,\sigma)$ is trained at every level of a geometric ladder "
                r"$\sigma_1>\dots>\sigma_L$; each sample draws its level uniformly, so the "
                r"batch mean estimates $\frac1L\sum_i\lambda(\sigma_i)\ell_i$ (NCSN, Song & "
                r"Ermon 2019). Large levels fill the space between modes with training "
                r"points, so the score is learnt everywhere; small levels make "
                r"$q_{\sigma_L}$ close to the data.",
                r"**Annealed Langevin.** Sample from noise with $T$ steps per level, "
                r"$x\leftarrow x+\frac{\alpha_i}{2}s_\theta(x,\sigma_i)+\sqrt{\alpha_i}\,z$, "
                r"$\alpha_i=\epsilon\,\sigma_i^2/\sigma_L^2$, from $\sigma_1$ down to "
                r"$\sigma_L$. At $\sigma_1$ the modes merge and chains mix, so they split "
                r"between modes in the data's proportions before the landscape sharpens; "
                r"then $x\leftarrow x+\sigma_L^2s_\theta(x,\sigma_L)$ (Tweedie) removes the "
                r"last level's noise (Song & Ermon 2020; Jolicoeur-Martineau et al. 2021).",
                r"**Choosing the ladder** (Song & Ermon 2020). Technique 1: $\sigma_{\max}$ "
                r"about the largest distance between two training points, so that the "
                r"first level connects every pair of modes. Technique 2: neighbouring "
                r"levels must overlap, $\Phi(\sqrt{2d}(\gamma-1)+3\gamma)-\Phi(\sqrt{2d}"
                r"(\gamma-1)-3\gamma)\approx0.5$ for the ratio $\gamma=\sigma_{i-1}/"
                r"\sigma_i$; in $d=2$ it exceeds 0.99 for every $\gamma$, so a few levels "
                r"suffice.",
                r"**Choosing the step** (technique 4). For data at one point the update "
                r"at level $i$ contracts by $c=\epsilon/(2\sigma_L^2)$ per step at every "
                r"level, and its stationary variance is $\sigma_i^2/(1-c/2)$. With "
                r"$\epsilon=2\cdot10^{-5}$ and $\sigma_L=0.01$, $c=0.1$: after $T=100$ "
                r"steps $(1-c)^{2T}\approx10^{-9}$ of the previous level's excess variance "
                r"is left, and the variance is 5% too large.",
            ),
            optimum_or_divergence=(
                r"Minimised by $s_\theta(\cdot,\sigma_i)=\nabla_x\log q_{\sigma_i}$ at every "
                r"level, $q_\sigma=p_{\mathrm{data}}*\mathcal N(0,\sigma^2I)$; the "
                r"$\sigma^2$-weighted sum of the Fisher divergences between model and "
                r"smoothed data, up to a constant."
            ),
            used_by=(
                "NCSN (Song & Ermon 2019) and NCSNv2 (Song & Ermon 2020)",
                "Score-based SDE models, whose continuous-time loss is DSM over a "
                "continuum of levels (Song et al. 2021)",
                "DDPM's noise-prediction loss, DSM with another level weighting (Ho et al. 2020)",
            ),
            why=(
                "Fixes single-level DSM's two failures: a score that is wrong away from "
                "the data and Langevin chains that cannot cross between modes. The route "
                "from score matching to diffusion models."
            ),
            pros=(
                "Mode weights come out right: chains mix at large sigma before settling.",
                "Stable regression training; no sampler inside training.",
                "The score is learnt over the whole space, not only near the data.",
            ),
            cons=(
                "Sampling costs L x T network evaluations (1000 with the defaults).",
                "More knobs: sigma_max, sigma_min, levels, steps and step_eps must suit "
                "the data's scale (sigma_max especially).",
                "Samples still carry the smallest level's blur and the sampler's "
                "discretisation bias.",
            ),
            hyperparameters={
                "sigma_min": Hyperparameter(
                    default=0.01,
                    low=1e-6,
                    doc=r"Smallest level $\sigma_L$: the blur left in the samples; NCSN "
                    "uses 0.01 on images in [0, 1].",
                ),
                "sigma_max": Hyperparameter(
                    default=3.0,
                    low=1e-6,
                    doc=r"Largest level $\sigma_1$, in the data's units. Song & Ermon "
                    "(2020, technique 1): about the largest distance between two "
                    "training points. 3.0 suits data within about [-2, 2] such as "
                    "ring8; raise it for wider data (grid25 spans 11).",
                ),
                "levels": Hyperparameter(
                    default=10,
                    low=2,
                    integer=True,
                    doc=r"Number of levels $L$ of the geometric ladder (NCSN: 10).",
                ),
                "steps_per_level": Hyperparameter(
                    default=100,
                    low=1,
                    integer=True,
                    doc=_STEPS_PER_LEVEL_DOC + " NCSN: T = 100.",
                ),
                "step_eps": Hyperparameter(
                    default=2e-5,
                    low=1e-12,
                    doc=r"Base step $\epsilon$; level $i$ steps with $\alpha_i=\epsilon"
                    r"\sigma_i^2/\sigma_L^2$. NCSN's 2e-5 gives a contraction "
                    r"$\epsilon/(2\sigma_L^2)=0.1$ per step at $\sigma_L=0.01$; scale it with "
                    r"$\sigma_{\min}^2$ and keep $\epsilon<4\sigma_{\min}^2$.",
                ),
            },
            references=(
                VINCENT_2011,
                SONG_ERMON_2019,
                SONG_ERMON_2020,
                JOLICOEUR_2021,
                Reference(
                    "Song, Y., Sohl-Dickstein, J., Kingma, D. P., Kumar, A., Ermon, S., Poole, B.",
                    "Score-Based Generative Modeling through Stochastic Differential Equations",
                    2021,
                    "https://arxiv.org/abs/2011.13456",
                ),
            ),
        ),
        terms={"score": dsm_loss},
        optimizer=_DSM_OPTIMIZER,
        training={"method": "dsm", "sigma_levels": sigma_levels},
    )
)
