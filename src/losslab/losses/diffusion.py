r"""Diffusion losses (DDPM): noise-, x0- and v-prediction.

The three losses are one function, :func:`denoise_mse`, applied to different targets:
the trainer draws :math:`t \sim U\{0, \dots, T-1\}` and :math:`\epsilon \sim \mathcal N(0, I)`
per sample, builds :math:`x_t` with :func:`losslab.sampling.diffusion.q_sample`, asks the
network for a prediction of the kind named in ``spec.training["prediction"]`` and regresses
it on :func:`losslab.sampling.diffusion.prediction_target`. What differs between
``ddpm-eps``, ``ddpm-x0`` and ``ddpm-v`` is the quantity regressed, hence the implied
weighting over timesteps; with :math:`\mathrm{SNR}(t) = \bar\alpha_t / (1 - \bar\alpha_t)`,

.. math::

    \lVert\epsilon - \hat\epsilon\rVert^2 = \mathrm{SNR}(t)\,\lVert x_0 - \hat x_0\rVert^2,
    \qquad
    \lVert v - \hat v\rVert^2 = \big(1 + \mathrm{SNR}(t)\big)\,\lVert x_0 - \hat x_0\rVert^2 .

Every term returns one value per ensemble member, ``Tensor[S]``.
"""

from __future__ import annotations

from torch import Tensor

from losslab.losses.registry import (
    Card,
    Hyperparameter,
    LossSpec,
    OptimizerDefaults,
    Reference,
    register,
)

FAMILY = "diffusion"


def denoise_mse(prediction: Tensor, target: Tensor) -> Tensor:
    r"""Mean squared error of a denoiser, per member: ``[S, B, d] -> [S]``.

    .. math::

        \mathcal{L}_s = \frac{1}{B\,d}\sum_{b=1}^{B}\sum_{j=1}^{d}
            \big(\hat y_{s,b,j} - y_{s,b,j}\big)^2

    The mean over coordinates, rather than Ho et al.'s sum
    :math:`\lVert\epsilon - \epsilon_\theta\rVert^2`, follows their code (``meanflat``): a
    constant factor :math:`1/d` that keeps the loss's scale, and so the learning rate,
    independent of the data's dimension. ``prediction``, ``target``: the network's output
    and the target of its parameterisation (``prediction_target``), same shape
    ``[S, B, ...]``.
    """
    if prediction.shape != target.shape or prediction.dim() < 2:
        raise ValueError(
            "prediction and target must share one shape [S, B, ...], got "
            f"{tuple(prediction.shape)} and {tuple(target.shape)}"
        )
    return (prediction - target).pow(2).flatten(1).mean(dim=1)


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
        doc=(
            r"Number of diffusion steps $T$: the trainer draws $t$ uniformly from "
            r"$\{0,\dots,T-1\}$ and the sampler takes $T$ network evaluations per sample. "
            "Ho et al. used 1000 for images; 100 is plenty for 1-D and 2-D data. The linear "
            r"schedule is rescaled by $1000/T$ so that $\bar\alpha_T\approx2\cdot10^{-5}$ at "
            r"$T=100$ (tiny-diffusion's 50 unscaled steps leave $\bar\alpha_T\approx0.6$: "
            "samples then start far from the noise the model was trained on). An integer "
            ">= 2."
        ),
    ),
    "schedule": Hyperparameter(
        default="linear",
        choices=("linear", "cosine"),
        doc=(
            r"Noise schedule $\beta_t$: 'linear' is Ho et al.'s $10^{-4}\dots0.02$ over 1000 "
            r"steps, scaled by $1000/T$; 'cosine' is Nichol & Dhariwal's "
            r"$\bar\alpha_t=f(t)/f(0)$, $f(t)=\cos^2\big(\frac{t/T+s}{1+s}\frac{\pi}{2}\big)$, "
            r"$s=0.008$, $\beta_t\le0.999$, which destroys information more slowly at low "
            r"noise and spends fewer steps where $x_t$ is already pure noise."
        ),
    ),
    "embedding_dim": Hyperparameter(
        default=32,
        low=2,
        integer=True,
        doc=(
            "Size of the sinusoidal timestep embedding the network receives with "
            r"$x_t$ (half sines, half cosines, frequencies $10000^{-k/(\mathrm{dim}/2)}$). "
            "Must be even. 32 is ample for 100 steps on low-dimensional data (tiny-diffusion "
            "uses 128)."
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


# ---------------------------------------------------------------------------
# ddpm-eps: Ho et al.'s L_simple
# ---------------------------------------------------------------------------

register(
    LossSpec(
        card=Card(
            name="ddpm-eps",
            example=_example("ddpm-eps"),
            family=FAMILY,
            formula=_formula(r"\epsilon", r"\epsilon_\theta"),
            derivation=(
                *_BOUND_STEPS,
                r"**Predict the noise.** Substituting "
                r"$x_0=(x_t-\sqrt{1-\bar\alpha_t}\,\epsilon)/\sqrt{\bar\alpha_t}$ gives "
                r"$\tilde\mu_t=\frac{1}{\sqrt{\alpha_t}}\big(x_t-\frac{\beta_t}"
                r"{\sqrt{1-\bar\alpha_t}}\epsilon\big)$. Give $\mu_\theta$ the same form with a "
                r"network $\epsilon_\theta(x_t,t)$ in place of $\epsilon$; then "
                r"$L_{t-1}=\frac{\beta_t^2}{2\sigma_t^2\alpha_t(1-\bar\alpha_t)}"
                r"\mathbb{E}\|\epsilon-\epsilon_\theta(x_t,t)\|^2$ (Ho et al. eq. 12).",
                r"**$L_{\text{simple}}$.** Drop the weight and draw $t$ uniformly: "
                r"$\mathbb{E}_{t,x_0,\epsilon}\|\epsilon-\epsilon_\theta(x_t,t)\|^2$. The weight "
                r"is largest at small $t$, so dropping it moves effort to the noisier, harder "
                r"steps. Ho et al. got their best samples with it (FID 3.17 on CIFAR-10) at a "
                r"slightly worse likelihood than the bound (3.75 against 3.70 bits/dim). Their "
                r"code averages the squared error over the $d$ coordinates, a factor $1/d$.",
                _WEIGHTS + r" $L_{\text{simple}}$ is the data error weighted by "
                r"$\mathrm{SNR}(t)$: heavy at low noise, vanishing at high noise.",
                r"**Score matching.** $-\epsilon/\sqrt{1-\bar\alpha_t}$ is the score "
                r"$\nabla_{x_t}\log q(x_t\mid x_0)$, so $L_{\text{simple}}$ is denoising score "
                r"matching (Vincent 2011) at every noise level: "
                r"$-\epsilon_\theta(x_t,t)/\sqrt{1-\bar\alpha_t}$ estimates "
                r"$\nabla\log q_t(x_t)$, and the sampler is annealed Langevin-like dynamics.",
            ),
            optimum_or_divergence=(
                r"Each timestep's term is minimised by the posterior mean "
                r"$\epsilon^*(x_t,t)=\mathbb{E}[\epsilon\mid x_t]"
                r"=-\sqrt{1-\bar\alpha_t}\,\nabla_{x_t}\log q_t(x_t)$ (Tweedie's formula). "
                r"For a network flexible enough, every positive weighting over $t$ has this "
                r"minimiser, so $L_{\text{simple}}$ and the variational bound on "
                r"$\mathbb{E}[-\log p_\theta(x_0)]=\mathrm{KL}(p_{\text{data}}\|p_\theta)"
                r"+H(p_{\text{data}})$ agree at the optimum; "
                r"with finite capacity the weighting $\mathrm{SNR}(t)$ in data units decides "
                r"which errors remain."
            ),
            used_by=(
                "DDPM (Ho et al. 2020): CIFAR-10, CelebA-HQ and LSUN",
                "Improved DDPM and ADM / guided diffusion (Nichol & Dhariwal 2021; Dhariwal & "
                "Nichol 2021), plus a bound term for learned variances",
                "Latent Diffusion and Stable Diffusion 1.x (Rombach et al. 2022)",
                "tiny-diffusion (tanelp): 2-D toy data with small MLPs",
            ),
            why=(
                "The loss behind DDPM and most diffusion models: regress the added noise. "
                "Training is a stable regression with no adversary and no sampling in the "
                "loop, and the loss is a reweighted likelihood bound, so it covers modes. The "
                "default parameterisation."
            ),
            pros=(
                "Stable: a plain mean squared error, no adversary, no MCMC during training.",
                "Mode covering: a reweighted likelihood bound, unlike a JSD GAN.",
                "The target has unit variance at every timestep: well-scaled network outputs.",
                "The best samples in Ho et al.'s ablation of parameterisations and objectives.",
            ),
            cons=(
                r"Slow sampling: $T$ network evaluations per sample.",
                r"Ill-conditioned at high noise: $\hat x_0=(x_t-\sqrt{1-\bar\alpha_t}\,"
                r"\hat\epsilon)/\sqrt{\bar\alpha_t}$ amplifies noise errors by "
                r"$1/\sqrt{\bar\alpha_t}$, which hurts few-step samplers and distillation.",
                "Not the likelihood bound itself: worse log-likelihoods than training on the "
                "bound.",
                "More knobs than a GAN loss: steps, schedule and timestep embedding.",
            ),
            hyperparameters=_HYPERPARAMETERS,
            references=(*_REFERENCES, VINCENT_2011),
        ),
        terms={"denoise": denoise_mse},
        optimizer=_OPTIMIZER,
        training={"method": "ddpm", "prediction": "eps"},
    )
)


# ---------------------------------------------------------------------------
# ddpm-x0: predict the clean data
# ---------------------------------------------------------------------------

register(
    LossSpec(
        card=Card(
            name="ddpm-x0",
            example=_example("ddpm-x0"),
            family=FAMILY,
            formula=_formula("x_0", r"\hat x_\theta"),
            derivation=(
                *_BOUND_STEPS,
                r"**Predict the data.** $\tilde\mu_t$ is linear in $x_0$, so give "
                r"$\mu_\theta$ the form of $\tilde\mu_t$ with a network $\hat x_\theta(x_t,t)$ "
                r"in place of $x_0$: "
                r"$L_{t-1}=\frac{\bar\alpha_{t-1}\beta_t^2}{2\sigma_t^2(1-\bar\alpha_t)^2}"
                r"\|x_0-\hat x_\theta(x_t,t)\|^2$, which for $\sigma_t^2=\tilde\beta_t$ is "
                r"$\tfrac12(\mathrm{SNR}(t-1)-\mathrm{SNR}(t))\|x_0-\hat x_\theta\|^2$.",
                r"**Unweighted data error.** As for $L_{\text{simple}}$, drop the weight: "
                r"$\mathbb{E}_{t,x_0,\epsilon}\|x_0-\hat x_\theta(x_t,t)\|^2$, every timestep "
                r"weighted 1 in data units.",
                _WEIGHTS + r" So this loss is $L_{\text{simple}}$ reweighted by "
                r"$1/\mathrm{SNR}(t)=(1-\bar\alpha_t)/\bar\alpha_t$: negligible weight on the "
                r"low-noise steps, dominant weight on the high-noise ones.",
                r"**What the sampler sees.** The sampler needs "
                r"$\hat\epsilon=(x_t-\sqrt{\bar\alpha_t}\hat x_0)/\sqrt{1-\bar\alpha_t}$, which "
                r"amplifies an $x_0$ error by $\sqrt{\mathrm{SNR}(t)}$ at low noise: the steps "
                r"that place fine detail are down-weighted in training and amplified in "
                r"sampling. Ho et al. report worse samples with $x_0$-prediction early in "
                r"their experiments.",
            ),
            optimum_or_divergence=(
                r"Minimised by the posterior mean $\hat x^*(x_t,t)=\mathbb{E}[x_0\mid x_t]"
                r"=\big(x_t+(1-\bar\alpha_t)\nabla\log q_t(x_t)\big)/\sqrt{\bar\alpha_t}$, the "
                r"same optimum as the variational bound; in data units every timestep gets "
                r"weight 1 (against $\mathrm{SNR}(t)$ for $\epsilon$ and $1+\mathrm{SNR}(t)$ "
                r"for $v$)."
            ),
            used_by=(
                "DALL-E 2's diffusion prior (Ramesh et al. 2022): predicts the clean CLIP "
                "image embedding",
                "Diffusion-LM (Li et al. 2022): predicts clean word embeddings, then rounds "
                "them to tokens",
                "Ho et al. 2020 as an ablation (worse samples than noise prediction)",
            ),
            why=(
                "Regress the clean data itself. Natural when the data are bounded, discrete or "
                "on a low-dimensional set (predictions can be clipped or projected), and the "
                "cautionary case for how a parameterisation reweights the timesteps."
            ),
            pros=(
                r"The prediction is in data units: easy to read, clip or project onto the "
                "data's support.",
                "Stays well-conditioned at high noise, where noise prediction is not.",
                "Strong on embeddings and discrete data (Diffusion-LM, DALL-E 2's prior).",
            ),
            cons=(
                r"Near-zero weight on the low-noise steps: blurrier, less precise samples.",
                r"$x_0$ errors are amplified by $\sqrt{\mathrm{SNR}(t)}$ when converted to the "
                "noise estimate the sampler uses.",
                r"The target's scale is the data's: unnormalised data need a rescaled "
                "learning rate.",
            ),
            hyperparameters=_HYPERPARAMETERS,
            references=(
                *_REFERENCES,
                Reference(
                    "Ramesh, A., Dhariwal, P., Nichol, A., Chu, C., Chen, M.",
                    "Hierarchical Text-Conditional Image Generation with CLIP Latents",
                    2022,
                    "https://arxiv.org/abs/2204.06125",
                ),
                Reference(
                    "Li, X. L., Thickstun, J., Gulrajani, I., Liang, P., Hashimoto, T. B.",
                    "Diffusion-LM Improves Controllable Text Generation",
                    2022,
                    "https://arxiv.org/abs/2205.14217",
                ),
            ),
        ),
        terms={"denoise": denoise_mse},
        optimizer=_OPTIMIZER,
        training={"method": "ddpm", "prediction": "x0"},
    )
)


# ---------------------------------------------------------------------------
# ddpm-v: predict the velocity
# ---------------------------------------------------------------------------

register(
    LossSpec(
        card=Card(
            name="ddpm-v",
            example=_example("ddpm-v"),
            family=FAMILY,
            formula=_formula(
                "v",
                r"\hat v_\theta",
                r", \quad v=\sqrt{\bar\alpha_t}\,\epsilon-\sqrt{1-\bar\alpha_t}\,x_0",
            ),
            derivation=(
                *_BOUND_STEPS,
                r"**Velocity.** Write $\sqrt{\bar\alpha_t}=\cos\phi_t$ and "
                r"$\sqrt{1-\bar\alpha_t}=\sin\phi_t$, so $x_t=\cos\phi\,x_0+\sin\phi\,\epsilon$. "
                r"Its velocity $v=dx_t/d\phi=\cos\phi\,\epsilon-\sin\phi\,x_0$ completes a "
                r"rotation: $x_0=\cos\phi\,x_t-\sin\phi\,v$ and "
                r"$\epsilon=\sin\phi\,x_t+\cos\phi\,v$ (Salimans & Ho 2022). A network "
                r"$\hat v_\theta(x_t,t)$ thus gives both estimates, and through them "
                r"$\mu_\theta$ and the bound's terms.",
                r"**Unweighted velocity error.** Drop the bound's weights: "
                r"$\mathbb{E}_{t,x_0,\epsilon}\|v-\hat v_\theta(x_t,t)\|^2$.",
                _WEIGHTS + r" So this loss weights the data error by $1+\mathrm{SNR}(t)$, "
                r"close to $\epsilon$-prediction at low noise and to $x_0$-prediction at high "
                r"noise ('SNR+1' weighting); in noise units it is $L_{\text{simple}}$ times "
                r"$1/\bar\alpha_t=1+1/\mathrm{SNR}(t)$.",
                r"**Conditioning.** The conversions $\hat\epsilon=\sqrt{\bar\alpha_t}\,\hat v"
                r"+\sqrt{1-\bar\alpha_t}\,x_t$ and $\hat x_0=\sqrt{\bar\alpha_t}\,x_t"
                r"-\sqrt{1-\bar\alpha_t}\,\hat v$ multiply errors by at most 1, so neither end "
                r"of the schedule blows up. This is why Salimans & Ho use it to distil samplers "
                r"down to a few steps, where $\mathrm{SNR}\to0$ and $\epsilon$-prediction "
                r"breaks.",
            ),
            optimum_or_divergence=(
                r"Minimised by $\hat v^*(x_t,t)=\mathbb{E}[v\mid x_t]"
                r"=\sqrt{\bar\alpha_t}\,\mathbb{E}[\epsilon\mid x_t]"
                r"-\sqrt{1-\bar\alpha_t}\,\mathbb{E}[x_0\mid x_t]$, the same optimum as the "
                r"variational bound; in data units the timesteps are weighted "
                r"$1+\mathrm{SNR}(t)$."
            ),
            used_by=(
                "Progressive distillation (Salimans & Ho 2022): samplers distilled to a few steps",
                "Imagen Video (Ho et al. 2022)",
                "Stable Diffusion 2.x, the 768-pixel 'v' models",
            ),
            why=(
                "The parameterisation that stays well-conditioned at every noise level: the "
                "data error is weighted by 1 + SNR, never vanishing at high noise, and the "
                "conversions to noise and data estimates never amplify errors. Preferred for "
                "few-step sampling and distillation."
            ),
            pros=(
                "Well-conditioned at both ends of the schedule.",
                "The data error keeps weight at least 1 at every timestep, so high-noise "
                "steps are not ignored.",
                "The target has unit variance when the data do (a rotation of two unit-variance "
                "variables).",
            ),
            cons=(
                "Less intuitive target: neither the noise nor the data.",
                r"Unit target variance needs standardised data; otherwise the weighting "
                "shifts.",
                "Its advantage shows mostly in few-step sampling and distillation; with many "
                r"ancestral steps it samples about as well as $\epsilon$-prediction.",
            ),
            hyperparameters=_HYPERPARAMETERS,
            references=(
                SALIMANS_HO_2022,
                HO_2020,
                SOHL_DICKSTEIN_2015,
                NICHOL_DHARIWAL_2021,
                KINGMA_2021,
                Reference(
                    "Ho, J., Chan, W., Saharia, C., Whang, J., Gao, R., Gritsenko, A., "
                    "Kingma, D. P., Poole, B., Norouzi, M., Fleet, D. J., Salimans, T.",
                    "Imagen Video: High Definition Video Generation with Diffusion Models",
                    2022,
                    "https://arxiv.org/abs/2210.02303",
                ),
            ),
        ),
        terms={"denoise": denoise_mse},
        optimizer=_OPTIMIZER,
        training={"method": "ddpm", "prediction": "v"},
    )
)
