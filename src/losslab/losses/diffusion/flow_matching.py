"""flow-matching: regress the velocity of a straight noise-to-data path (rectified flow)."""

from __future__ import annotations

from losslab.losses.diffusion._common import _OPTIMIZER, FAMILY, HO_2020
from losslab.losses.diffusion.ddpm_eps import denoise_mse
from losslab.losses.registry import (
    Card,
    Hyperparameter,
    LossSpec,
    Reference,
    register,
)

LIPMAN_2023 = Reference(
    "Lipman, Y., Chen, R. T. Q., Ben-Hamu, H., Nickel, M., Le, M.",
    "Flow Matching for Generative Modeling",
    2023,
    "https://arxiv.org/abs/2210.02747",
)
LIU_2023 = Reference(
    "Liu, X., Gong, C., Liu, Q.",
    "Flow Straight and Fast: Learning to Generate and Transfer Data with Rectified Flow",
    2023,
    "https://arxiv.org/abs/2209.03003",
)
ALBERGO_2023 = Reference(
    "Albergo, M. S., Vanden-Eijnden, E.",
    "Building Normalizing Flows with Stochastic Interpolants",
    2023,
    "https://arxiv.org/abs/2209.15571",
)
TONG_2024 = Reference(
    "Tong, A., Fatras, K., Malkin, N., Huguet, G., Zhang, Y., Rector-Brooks, J., Wolf, G., "
    "Bengio, Y.",
    "Improving and Generalizing Flow-Based Generative Models with Minibatch Optimal "
    "Transport",
    2024,
    "https://arxiv.org/abs/2302.00482",
)
ESSER_2024 = Reference(
    "Esser, P., Kulal, S., Blattmann, A., et al.",
    "Scaling Rectified Flow Transformers for High-Resolution Image Synthesis",
    2024,
    "https://arxiv.org/abs/2403.03206",
)

_EXAMPLE = """import torch
from losslab.losses import get_loss
from losslab.sampling.flow import flow_path, flow_target

spec = get_loss("flow-matching")
knobs = spec.hyperparameters()  # sigma_min, sampler, sampling_steps, embedding_dim
gens = [torch.Generator().manual_seed(s) for s in range(2)]  # one per member
x1 = torch.stack([torch.randn(64, 2, generator=g) + 3.0 for g in gens])  # data [S, B, d]
x0 = torch.stack([torch.randn(64, 2, generator=g) for g in gens])  # noise
t = torch.stack([torch.rand(64, generator=g) for g in gens])  # one time per sample
x_t = flow_path(x0, x1, t, knobs["sigma_min"])  # what the network sees, with t
target = flow_target(x0, x1, knobs["sigma_min"])  # the straight path's velocity
prediction = torch.zeros_like(x_t)  # a network's output would go here
print(spec.bind("denoise", knobs)(prediction=prediction, target=target))  # one per member
"""

register(
    LossSpec(
        card=Card(
            name="flow-matching",
            example=_EXAMPLE,
            family=FAMILY,
            formula=(
                r"\mathcal{L} = \mathbb{E}_{t\sim U[0,1],\,x_1\sim p_{\text{data}},\,"
                r"x_0\sim\mathcal{N}(0,I)}\Big[\tfrac1d\|v_\theta(x_t,t)-"
                r"\big(x_1-(1-\sigma_{\min})x_0\big)\|_2^2\Big],\quad "
                r"x_t=\big(1-(1-\sigma_{\min})t\big)x_0+t\,x_1"
            ),
            derivation=(
                r"**A flow.** A time-dependent vector field $v_t(x)$, $t\in[0,1]$, moves "
                r"points by $\dot x=v_t(x)$ and carries a density $p_0=\mathcal N(0,I)$ to "
                r"$p_t$ by the continuity equation $\partial_tp_t+\nabla\cdot(p_tv_t)=0$. If "
                r"$p_1$ is the data distribution, integrating the ODE from noise samples the "
                r"data (a continuous normalising flow, trained here without simulating it).",
                r"**Flow matching.** Regress a network on a field $u_t$ that generates a "
                r"chosen path $p_t$ from noise to data: "
                r"$\mathcal L_{\text{FM}}=\mathbb E_{t,\,x\sim p_t}\|v_\theta(x,t)-u_t(x)\|^2$. "
                r"Its minimiser is $u_t$, but $u_t$ of the marginal path is intractable: it "
                r"averages over all data.",
                r"**Conditional paths.** Build $p_t$ as a mixture "
                r"$p_t(x)=\int p_t(x\mid x_1)\,p_{\text{data}}(x_1)\,dx_1$ of per-sample paths "
                r"$p_t(\cdot\mid x_1)$ with fields $u_t(x\mid x_1)$. Then "
                r"$u_t(x)=\mathbb E[u_t(x\mid x_1)\mid x_t=x]$ generates $p_t$ (Lipman et al. "
                r"2023, Theorem 1), and the conditional loss "
                r"$\mathcal L_{\text{CFM}}=\mathbb E_{t,x_1,x_t\sim p_t(\cdot\mid x_1)}"
                r"\|v_\theta(x_t,t)-u_t(x_t\mid x_1)\|^2$ has the same gradient as "
                r"$\mathcal L_{\text{FM}}$ (Theorem 2): the cross term is linear in $u$, so "
                r"conditioning on $x_1$ changes the loss only by a constant.",
                r"**The straight path.** Take the Gaussian path "
                r"$p_t(x\mid x_1)=\mathcal N(tx_1,(1-(1-\sigma_{\min})t)^2I)$, i.e. "
                r"$x_t=\psi_t(x_0)=(1-(1-\sigma_{\min})t)\,x_0+t\,x_1$ with $x_0\sim"
                r"\mathcal N(0,I)$, the optimal-transport map between the two Gaussians. Its "
                r"velocity $\frac{d}{dt}\psi_t(x_0)=x_1-(1-\sigma_{\min})x_0$ is constant in "
                r"time, so each conditional trajectory is a straight line travelled at "
                r"constant speed (Lipman et al. eq. 20-23).",
                r"**Rectified flow.** With $\sigma_{\min}=0$: $x_t=tx_1+(1-t)x_0$ and target "
                r"$x_1-x_0$, the loss of Liu et al. (2023) and of stochastic interpolants "
                r"(Albergo & Vanden-Eijnden 2023). The code averages the squared error over "
                r"the $d$ coordinates (factor $1/d$), as the DDPM cards do.",
                r"**Relation to diffusion.** A Gaussian path with $x_t=\alpha_tx_1+\sigma_tx_0$"
                r" gives $u_t=\dot\alpha_tx_1+\dot\sigma_tx_0$: the velocity is a fixed linear "
                r"combination of the data and the noise, so flow matching is a denoising "
                r"regression with a time-dependent weighting, like the $v$-prediction of "
                r"`ddpm-v` (a variance-preserving path), here on a straight path whose "
                r"sampler is a deterministic ODE.",
            ),
            optimum_or_divergence=(
                r"Pointwise the minimiser is the marginal velocity "
                r"$v^*(x,t)=\mathbb E[x_1-(1-\sigma_{\min})x_0\mid x_t=x]$, which generates "
                r"the path $p_t$ from $\mathcal N(0,I)$ at $t=0$ to the data smoothed by "
                r"$\mathcal N(0,\sigma_{\min}^2I)$ at $t=1$; integrating it exactly samples "
                r"that distribution. The loss's minimum is not 0 (paths cross, so $v^*$ "
                r"averages), so the loss value does not say how good the samples are. "
                r"Errors enter the samples through the ODE solver: discretisation error "
                r"shrinks as $h$ (Euler) or $h^2$ (Heun) with the step $h=1/\text{steps}$, "
                r"and is small where the learned flow is nearly straight."
            ),
            used_by=(
                "Lipman et al. 2023: ImageNet 32-128 with U-Nets (better likelihood and FID "
                "than the diffusion paths at fewer function evaluations)",
                "Rectified flow / InstaFlow (Liu et al. 2023): one-step generation after "
                "reflow",
                "Stable Diffusion 3 (Esser et al. 2024): rectified flow with logit-normal "
                "time sampling",
                "torchcfm (Tong et al. 2024): conditional and minibatch-OT flow matching on "
                "2-D toy data and single-cell trajectories",
            ),
            why=(
                "The loss most new generative models train with: a plain regression onto "
                "the velocity of a straight noise-to-data line, with no noise schedule to "
                "choose, and a deterministic ODE sampler whose paths are nearly straight, "
                "so few steps suffice."
            ),
            pros=(
                "Simulation-free and stable: a mean squared error, no adversary, no MCMC.",
                "No noise schedule: the straight path has one knob, $\\sigma_{\\min}$.",
                "Straight conditional paths give low-curvature flows: Euler and Heun "
                "samplers need fewer steps than the ancestral DDPM sampler.",
                "Deterministic sampler: the same noise gives the same sample, and the flow "
                "is invertible (exact likelihoods through the ODE).",
            ),
            cons=(
                "The marginal flow still curves where conditional paths cross (multi-modal "
                "data), so one-step sampling needs reflow or minibatch-OT couplings.",
                "Uniform time sampling spends effort evenly; image models reweight (SD3's "
                "logit-normal), a choice this card leaves at uniform.",
                "A deterministic sampler adds no noise to correct earlier errors, unlike "
                "ancestral DDPM sampling.",
                "The loss value does not measure sample quality.",
            ),
            hyperparameters={
                "sigma_min": Hyperparameter(
                    default=0.0,
                    low=0.0,
                    high=1.0,
                    doc=(
                        r"Width $\sigma_{\min}$ of the path at $t=1$: the model samples the data "
                        r"smoothed by $\mathcal N(0,\sigma_{\min}^2I)$. 0 is rectified flow "
                        r"(Liu et al.; torchcfm's default $\sigma=0$); Lipman et al. use "
                        r"$10^{-4}$ on images, a negligible width on standardised data. Not "
                        "tuned: it sets what is modelled, not how well."
                    ),
                ),
                "sampler": Hyperparameter(
                    default="euler",
                    choices=("euler", "heun"),
                    doc=(
                        r"ODE solver from $t=0$ to $t=1$: 'euler' ($x\leftarrow x+hv$, one "
                        "network evaluation per step) or 'heun' (Euler predictor, trapezoid "
                        "corrector, two evaluations per step, second order). Not tuned: an "
                        "evaluation choice."
                    ),
                ),
                "sampling_steps": Hyperparameter(
                    default=100,
                    low=1,
                    integer=True,
                    doc=(
                        "Solver steps when sampling, $h=1/\\text{steps}$. 100 Euler steps "
                        "spend the same 100 network evaluations as `ddpm-eps`'s ancestral "
                        "sampler at its default $T=100$, so a comparison at defaults is at "
                        "equal sampling cost. Not tuned: an evaluation budget."
                    ),
                ),
                "embedding_dim": Hyperparameter(
                    default=32,
                    low=2,
                    integer=True,
                    doc=(
                        "Size of the sinusoidal embedding of $1000\\,t$ the network receives "
                        "with $x_t$ (the same embedding as the DDPM cards at $T=1000$, so "
                        "continuous times spread over the same frequencies). Must be even. Not "
                        "tuned: it changes the network."
                    ),
                ),
            },
            references=(LIPMAN_2023, LIU_2023, ALBERGO_2023, TONG_2024, ESSER_2024, HO_2020),
        ),
        terms={"denoise": denoise_mse},
        optimizer=_OPTIMIZER,
        training={"method": "flow"},
    )
)
