"""Shared parts of the energy-based losses: references, and the example, optimiser
defaults and derivation steps the two denoising-score-matching cards share.
"""

from __future__ import annotations

from losslab.losses.registry import Hyperparameter, OptimizerDefaults, Reference

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

GUTMANN_HYVARINEN_2010 = Reference(
    "Gutmann, M., Hyvärinen, A.",
    "Noise-contrastive estimation: A new estimation principle for unnormalized statistical "
    "models",
    2010,
    "https://proceedings.mlr.press/v9/gutmann10a.html",
)
GUTMANN_HYVARINEN_2012 = Reference(
    "Gutmann, M. U., Hyvärinen, A.",
    "Noise-Contrastive Estimation of Unnormalized Statistical Models, with Applications to "
    "Natural Image Statistics",
    2012,
    "https://jmlr.org/papers/v13/gutmann12a.html",
)
SONG_2019_SSM = Reference(
    "Song, Y., Garg, S., Shi, J., Ermon, S.",
    "Sliced Score Matching: A Scalable Approach to Density and Score Estimation",
    2019,
    "https://arxiv.org/abs/1905.07088",
)


def evaluation_langevin_knobs(step_size: float, what: str) -> dict[str, Hyperparameter]:
    r"""The knobs of the evaluation sampler shared by the losses that learn a density or a
    score without a sampler in training (``nce``, ``sliced-score-matching``): unadjusted
    Langevin :math:`x \leftarrow x + \eta\,\mathrm{clip}(\nabla\log p) + \sqrt{2\eta}\,\xi`
    from uniform noise over the data's box. None is tuned: they decide how samples are
    read off the model, not what the loss learns."""
    return {
        "step_size": Hyperparameter(
            default=step_size,
            low=0.0,
            doc=(
                rf"Step $\eta$ of the evaluation Langevin chain on {what}. Small against the "
                r"data's scale (standardised data: 0.01) so the discretisation bias of the "
                "unadjusted algorithm stays small. Not tuned: it reads samples off the model."
            ),
        ),
        "noise": Hyperparameter(
            default=round((2 * step_size) ** 0.5, 6),
            low=0.0,
            doc=(
                r"Noise $\tau$ of each evaluation Langevin step; the default "
                r"$\sqrt{2\eta}$ is the unadjusted Langevin algorithm, which targets the model "
                r"itself (a smaller $\tau$ samples the colder $p^{1/T}$, $T=\tau^2/2\eta$). "
                "Not tuned: it reads samples off the model."
            ),
        ),
        "grad_clip": Hyperparameter(
            default=10.0,
            low=0.0,
            doc=(
                "Elementwise clip $c$ of the score before each step (0 disables): a safety cap "
                r"on the move per step, $\eta c=0.1$ at the defaults, for where the model is "
                "wild far from the data. Loose on purpose: a clip that binds changes the "
                "stationary law (a clipped score of 1 turns a Gaussian of standard deviation "
                "0.5 into a density with exponential tails and standard deviation about 1.5). "
                "Not tuned: a safety cap."
            ),
        ),
        "eval_steps": Hyperparameter(
            default=500,
            low=1,
            integer=True,
            doc=(
                "Langevin steps of the evaluation chain, from uniform noise over the data's "
                r"box (500 steps of $\eta=0.01$: a diffusion time of 5, several times the "
                "variance of standardised data). Not tuned: an evaluation budget."
            ),
        ),
    }
