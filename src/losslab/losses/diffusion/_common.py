"""Shared parts of the three DDPM cards: the example, references, the derivation steps,
the knobs, the optimiser defaults and the formula template.
"""

from __future__ import annotations

from losslab.losses.registry import (
    Hyperparameter,
    OptimizerDefaults,
    Reference,
    Search,
)

FAMILY = "diffusion"


def _example(name: str) -> str:
    """The card's runnable example: the loss of an untrained (all-zero) predictor."""
    return f"""import torch
from losslab.losses import get_loss
from losslab.sampling.diffusion import alphas_bar, beta_schedule, prediction_target, q_sample

spec = get_loss("{name}")
knobs = spec.hyperparameters()  # timesteps, schedule, embedding_dim
abar = alphas_bar(beta_schedule(knobs["schedule"], knobs["timesteps"]))
gens = [torch.Generator().manual_seed(s) for s in range(2)]  # one per member
x0 = torch.stack([torch.randn(64, 2, generator=g) + 3.0 for g in gens])  # [members, batch, d]
noise = torch.stack([torch.randn(64, 2, generator=g) for g in gens])
t = torch.stack([torch.randint(0, knobs["timesteps"], (64,), generator=g) for g in gens])
x_t = q_sample(x0, t, noise, abar)  # what the network sees, with t
target = prediction_target(spec.training["prediction"], x0, noise, t, abar)
prediction = torch.zeros_like(x_t)  # a network's output would go here
print(spec.bind("denoise", knobs)(prediction=prediction, target=target))  # one per member
"""


# ---------------------------------------------------------------------------
# Shared parts of the three cards
# ---------------------------------------------------------------------------

HO_2020 = Reference(
    "Ho, J., Jain, A., Abbeel, P.",
    "Denoising Diffusion Probabilistic Models",
    2020,
    "https://arxiv.org/abs/2006.11239",
)
SOHL_DICKSTEIN_2015 = Reference(
    "Sohl-Dickstein, J., Weiss, E., Maheswaranathan, N., Ganguli, S.",
    "Deep Unsupervised Learning using Nonequilibrium Thermodynamics",
    2015,
    "https://arxiv.org/abs/1503.03585",
)
NICHOL_DHARIWAL_2021 = Reference(
    "Nichol, A., Dhariwal, P.",
    "Improved Denoising Diffusion Probabilistic Models",
    2021,
    "https://arxiv.org/abs/2102.09672",
)
KINGMA_2021 = Reference(
    "Kingma, D. P., Salimans, T., Poole, B., Ho, J.",
    "Variational Diffusion Models",
    2021,
    "https://arxiv.org/abs/2107.00630",
)
SALIMANS_HO_2022 = Reference(
    "Salimans, T., Ho, J.",
    "Progressive Distillation for Fast Sampling of Diffusion Models",
    2022,
    "https://arxiv.org/abs/2202.00512",
)
VINCENT_2011 = Reference(
    "Vincent, P.",
    "A Connection Between Score Matching and Denoising Autoencoders",
    2011,
    "https://doi.org/10.1162/NECO_a_00142",
)

# The first three derivation steps: the forward process and the variational bound.
_BOUND_STEPS = (
    r"**Forward process.** A fixed Markov chain adds Gaussian noise in $T$ steps, "
    r"$q(x_t\mid x_{t-1})=\mathcal{N}(\sqrt{1-\beta_t}\,x_{t-1},\beta_tI)$, $t=1,\dots,T$ "
    r"(the code's 0-based index is $t-1$). Composing Gaussians gives "
    r"$q(x_t\mid x_0)=\mathcal{N}(\sqrt{\bar\alpha_t}\,x_0,(1-\bar\alpha_t)I)$ with "
    r"$\bar\alpha_t=\prod_{s\le t}(1-\beta_s)$, i.e. "
    r"$x_t=\sqrt{\bar\alpha_t}\,x_0+\sqrt{1-\bar\alpha_t}\,\epsilon$, "
    r"$\epsilon\sim\mathcal{N}(0,I)$. The schedule makes $\bar\alpha_T\approx0$, so "
    r"$x_T$ is almost pure noise.",
    r"**Variational bound.** The model runs the chain backwards from "
    r"$p(x_T)=\mathcal{N}(0,I)$ with Gaussian steps "
    r"$p_\theta(x_{t-1}\mid x_t)=\mathcal{N}(\mu_\theta(x_t,t),\sigma_t^2I)$. Jensen's "
    r"inequality bounds the negative log-likelihood (Sohl-Dickstein et al. 2015): "
    r"$-\log p_\theta(x_0)\le\mathbb{E}_q\big[L_T+\sum_{t=2}^{T}L_{t-1}+L_0\big]$, "
    r"$L_{t-1}=\mathrm{KL}\big(q(x_{t-1}\mid x_t,x_0)\,\|\,p_\theta(x_{t-1}\mid x_t)\big)$, "
    r"where $L_T$ has no parameters and $L_0=-\log p_\theta(x_0\mid x_1)$.",
    r"**Tractable posterior.** Given $x_0$, Bayes' rule gives "
    r"$q(x_{t-1}\mid x_t,x_0)=\mathcal{N}(\tilde\mu_t,\tilde\beta_tI)$ with "
    r"$\tilde\mu_t=\frac{\sqrt{\bar\alpha_{t-1}}\,\beta_t}{1-\bar\alpha_t}x_0"
    r"+\frac{\sqrt{\alpha_t}(1-\bar\alpha_{t-1})}{1-\bar\alpha_t}x_t$, "
    r"$\alpha_t=1-\beta_t$, and "
    r"$\tilde\beta_t=\frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\beta_t$. The KL of two "
    r"Gaussians with the fixed variance $\sigma_t^2$ is "
    r"$L_{t-1}=\frac{1}{2\sigma_t^2}\|\tilde\mu_t-\mu_\theta(x_t,t)\|^2+C$: every term is "
    r"a squared error between means.",
)

_WEIGHTS = (
    r"**Three parameterisations, three weightings.** Write "
    r"$\mathrm{SNR}(t)=\bar\alpha_t/(1-\bar\alpha_t)$. Since "
    r"$x_t=\sqrt{\bar\alpha_t}x_0+\sqrt{1-\bar\alpha_t}\epsilon$, the estimates implied by "
    r"one prediction satisfy $\hat x_0-x_0=\sqrt{(1-\bar\alpha_t)/\bar\alpha_t}\,"
    r"(\epsilon-\hat\epsilon)$ and $v-\hat v=(\epsilon-\hat\epsilon)/\sqrt{\bar\alpha_t}"
    r"=(\hat x_0-x_0)/\sqrt{1-\bar\alpha_t}$. In units of the data error: "
    r"$\|\epsilon-\hat\epsilon\|^2=\mathrm{SNR}(t)\,\|x_0-\hat x_0\|^2$ and "
    r"$\|v-\hat v\|^2=(1+\mathrm{SNR}(t))\,\|x_0-\hat x_0\|^2$, against "
    r"$\tfrac12(\mathrm{SNR}(t-1)-\mathrm{SNR}(t))\,\|x_0-\hat x_0\|^2$ for the bound's "
    r"term with $\sigma_t^2=\tilde\beta_t$ (Kingma et al. 2021; Salimans & Ho 2022)."
)

_HYPERPARAMETERS = {
    "timesteps": Hyperparameter(
        default=100,
        low=2,
        integer=True,
        search=Search.among(50, 100, 200, 500),
        doc=(
            "Number of diffusion steps $T$: the trainer draws $t$ uniformly from "
            r"$\{0,\dots,T-1\}$ and the sampler takes $T$ network evaluations per sample. Ho et "
            "al. used 1000 for images; 100 is plenty for 1-D and 2-D data. The linear schedule "
            r"is rescaled by $1000/T$ so that $\bar\alpha_T\approx2\cdot10^{-5}$ at $T=100$ "
            r"(tiny-diffusion's 50 unscaled steps leave $\bar\alpha_T\approx0.6$: samples then "
            "start far from the noise the model was trained on). An integer >= 2. Searched among "
            "50, 100, 200 and 500: around the default for low-dimensional data, below the 1000 "
            "meant for images."
        ),
    ),
    "schedule": Hyperparameter(
        default="linear",
        choices=("linear", "cosine"),
        search=Search.among("linear", "cosine"),
        doc=(
            r"Noise schedule $\beta_t$: 'linear' is Ho et al.'s $10^{-4}\dots0.02$ over 1000 "
            "steps, scaled by $1000/T$; 'cosine' is Nichol & Dhariwal's "
            r"$\bar\alpha_t=f(t)/f(0)$, $f(t)=\cos^2\big(\frac{t/T+s}{1+s}\frac{\pi}{2}\big)$, "
            r"$s=0.008$, $\beta_t\le0.999$, which destroys information more slowly at low noise "
            "and spends fewer steps where $x_t$ is already pure noise. Searched among both."
        ),
    ),
    "embedding_dim": Hyperparameter(
        default=32,
        low=2,
        integer=True,
        doc=(
            "Size of the sinusoidal timestep embedding the network receives with $x_t$ (half "
            r"sines, half cosines, frequencies $10000^{-k/(\mathrm{dim}/2)}$). Must be even. 32 "
            "is ample for 100 steps on low-dimensional data (tiny-diffusion uses 128). Not "
            "tuned: it changes the network."
        ),
    ),
}

_OPTIMIZER = OptimizerDefaults(
    name="adam",
    lr=1e-3,
    betas=(0.9, 0.999),
    source="Ho et al. 2020 trained with Adam at lr 2e-4 (CIFAR-10; 2e-5 at 256x256) for "
    "large U-Nets. For small MLPs on low-dimensional data tiny-diffusion (tanelp) uses "
    "lr 1e-3 (AdamW); we take Adam with lr 1e-3 and torch's default betas.",
)

_REFERENCES = (
    HO_2020,
    SOHL_DICKSTEIN_2015,
    NICHOL_DHARIWAL_2021,
    KINGMA_2021,
    SALIMANS_HO_2022,
)


def _formula(target: str, prediction: str, note: str = "") -> str:
    return (
        r"\mathcal{L} = \mathbb{E}_{t\sim U\{1,\dots,T\},\,x_0,\,\epsilon\sim\mathcal{N}(0,I)}"
        r"\Big[\tfrac{1}{d}\|" + target + "-" + prediction + r"(x_t,t)\|_2^2\Big],"
        r" \quad x_t=\sqrt{\bar\alpha_t}\,x_0+\sqrt{1-\bar\alpha_t}\,\epsilon" + note
    )
