"""dsm-annealed: denoising score matching at a geometric ladder of noise levels (NCSN)."""

from __future__ import annotations

from losslab.losses.energy._common import (
    _DSM_COMMON_STEPS,
    _DSM_OPTIMIZER,
    _STEPS_PER_LEVEL_DOC,
    FAMILY,
    JOLICOEUR_2021,
    SONG_ERMON_2019,
    SONG_ERMON_2020,
    VINCENT_2011,
    _dsm_example,
)
from losslab.losses.energy.dsm import dsm_loss, sigma_levels
from losslab.losses.registry import (
    Card,
    Hyperparameter,
    LossSpec,
    Reference,
    Search,
    register,
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
                    search=Search.log_uniform(0.001, 0.1),
                    doc=(
                        r"Smallest level $\sigma_L$: the blur left in the samples; NCSN uses 0.01 "
                        "on images in [0, 1]. Searched log-uniform over [0.001, 0.1], a decade "
                        "either side of NCSN's 0.01."
                    ),
                ),
                "sigma_max": Hyperparameter(
                    default=3.0,
                    low=1e-6,
                    search=Search.log_uniform(1, 30),
                    doc=(
                        r"Largest level $\sigma_1$, in the data's units. Song & Ermon (2020, "
                        "technique 1): about the largest distance between two training points. "
                        "3.0 suits data within about [-2, 2] such as ring8; raise it for wider "
                        "data (grid25 spans 11). Searched log-uniform over [1, 30]: from a third "
                        "of the default to twice grid25's largest distance (about 16)."
                    ),
                ),
                "levels": Hyperparameter(
                    default=10,
                    low=2,
                    integer=True,
                    doc=(
                        "Number of levels $L$ of the geometric ladder (NCSN: 10). Not tuned: it "
                        r"sets the sampler's cost ($L\times T$ evaluations)."
                    ),
                ),
                "steps_per_level": Hyperparameter(
                    default=100,
                    low=1,
                    integer=True,
                    doc=_STEPS_PER_LEVEL_DOC + " NCSN: T = 100. Not tuned: a sampler budget.",
                ),
                "step_eps": Hyperparameter(
                    default=2e-5,
                    low=1e-12,
                    doc=(
                        r"Base step $\epsilon$; level $i$ steps with "
                        r"$\alpha_i=\epsilon\sigma_i^2/\sigma_L^2$. NCSN's 2e-5 gives a "
                        r"contraction $\epsilon/(2\sigma_L^2)=0.1$ per step at $\sigma_L=0.01$; "
                        r"scale it with $\sigma_{\min}^2$ and keep $\epsilon<4\sigma_{\min}^2$. "
                        r"Not tuned: a sampler knob tied to $\sigma_{\min}$ by that bound."
                    ),
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
