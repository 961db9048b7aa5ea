"""bootstrap-ce: mix the given label with the network's own prediction (Reed et al. 2015)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from losslab._lazy import F
from losslab.losses.classification._common import (
    _ADAM,
    FAMILY,
    _check,
    _example,
)
from losslab.losses.knobs import Knob, broadcast_knob
from losslab.losses.registry import (
    Card,
    Hyperparameter,
    LossSpec,
    Reference,
    Search,
    register,
)

if TYPE_CHECKING:
    from torch import Tensor

MODES = ("soft", "hard")


def bootstrap_ce(*, logits: Tensor, targets: Tensor, beta: Knob, mode: str) -> Tensor:
    r"""Bootstrapped cross-entropy of Reed et al. 2015, soft or hard.

    .. math::

        \ell_{\text{soft}} = -\sum_k\big(\beta\,t_k + (1-\beta)\,p_k\big)\log p_k
                           = -\beta\log p_y + (1-\beta)\,H(p)

        \ell_{\text{hard}} = -\sum_k\big(\beta\,t_k + (1-\beta)\,\mathbb 1[k=\hat k]\big)
                              \log p_k = -\beta\log p_y - (1-\beta)\log p_{\hat k},
        \quad \hat k = \operatorname{argmax}_k p_k

    with :math:`t = e_y` the one-hot label. As in the paper the soft target's
    :math:`p_k` is *not* detached (the soft loss is CE plus a minimum-entropy
    regulariser); :math:`p_k\log p_k` is computed as ``p * log_softmax`` (0 where
    :math:`p_k` underflows). ``logits``: ``[S, B, K]``; ``targets``: ``[S, B]``;
    ``beta``: a number or per-member ``[S]``; ``mode``: ``"soft"`` or ``"hard"``;
    returns ``[S]``.
    """
    _check(logits, targets)
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    log_p = F.log_softmax(logits, dim=-1)
    log_p_y = log_p.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    if mode == "soft":
        own = -(log_p.exp() * log_p).sum(-1)  # the entropy H(p)
    else:
        own = -log_p.max(dim=-1).values  # -log p of the predicted class
    beta = broadcast_knob(beta, log_p_y)
    return (-beta * log_p_y + (1 - beta) * own).mean(dim=1)


register(
    LossSpec(
        card=Card(
            name="bootstrap-ce",
            example=_example("bootstrap-ce"),
            family=FAMILY,
            formula=r"\ell(z,y)=-\sum_k\big(\beta\,t_k+(1-\beta)\,\hat t_k\big)\log p_k,\quad "
            r"\hat t=\begin{cases}p & \text{soft}\\ e_{\operatorname{argmax} p} & "
            r"\text{hard}\end{cases}",
            derivation=(
                r"**Idea.** With noisy labels the network's own prediction is a second, "
                r"partly independent opinion about the true class. Reed et al. replace the "
                r"target $t=e_y$ by a convex mix $\beta t+(1-\beta)\hat t$ of the label and the "
                r"model's current belief $\hat t$ (a form of self-training, *bootstrapping*).",
                r"**Soft.** $\hat t=p$: $\ell=-\beta\log p_y-(1-\beta)\sum_kp_k\log p_k="
                r"\beta\,\mathrm{CE}+(1-\beta)H(p)$. The second term is a minimum-entropy "
                r"regulariser: it rewards confident predictions whichever class they pick, so "
                r"an example whose label disagrees with a confident model is pulled less "
                r"toward the label. The gradient flows through $p$ in both places.",
                r"**Hard.** $\hat t=e_{\hat k}$, $\hat k=\operatorname{argmax}_kp_k$: "
                r"$\ell=-\beta\log p_y-"
                r"(1-\beta)\log p_{\hat k}$. When label and prediction agree it is CE; when "
                r"they disagree a share $1-\beta$ of the target goes to the predicted class "
                r"(like an EM step with a hard E-step).",
                r"**Knobs.** $\beta=1$ is CE in both modes. Reed et al. report $\beta=0.95$ "
                r"(soft) and $\beta=0.8$ (hard) on MNIST with noisy labels; hard "
                r"bootstrapping was the better of the two there.",
            ),
            optimum_or_divergence=(
                r"$\beta=1$ is the cross-entropy (minimised by the posterior). For $\beta<1$ the "
                r"soft loss minimises expected CE plus $(1-\beta)$ times the entropy, pulling "
                r"predictions toward a vertex (over-confident, argmax of the posterior kept when "
                r"$\beta$ is not too small); the hard loss self-reinforces the current argmax. "
                r"Neither is a proper scoring rule."
            ),
            used_by=(
                "Noisy-label training (Reed et al. 2015: MNIST, Toronto Faces, ILSVRC detection)",
                "A baseline in noisy-label studies (Patrini et al. 2017; Zhang & Sabuncu 2018; "
                "Arazo et al. 2019's dynamic bootstrapping)",
            ),
            why=(
                "When some labels are wrong, letting the model's own confident prediction "
                "share the target stops it from being dragged to every flipped label."
            ),
            pros=(
                "One line on top of CE; no noise model to estimate.",
                "Hard mode helps measurably at high symmetric noise (Reed et al. 2015).",
                "beta = 1 is cross-entropy.",
            ),
            cons=(
                "Self-confirming: early mistakes are reinforced (confirmation bias).",
                "Soft mode's entropy term makes probabilities over-confident.",
                "Gains are modest compared with later robust losses (GCE, SCE).",
            ),
            hyperparameters={
                "beta": Hyperparameter(
                    default=0.95,
                    low=0.0,
                    high=1.0,
                    search=Search.uniform(0.5, 1),
                    doc=(
                        r"Weight $\beta$ of the given label in the target; $1-\beta$ goes to the "
                        "model's own prediction. 1 is cross-entropy. Reed et al. use 0.95 "
                        "(soft) and 0.8 (hard). Range [0, 1]. Searched uniform over [0.5, 1]: "
                        "from an equal mix to plain CE, around the paper's two values."
                    ),
                ),
                "mode": Hyperparameter(
                    default="soft",
                    choices=MODES,
                    doc=(
                        "soft: the target mixes in the predicted probabilities (CE + entropy "
                        "regulariser); hard: the target mixes in the one-hot argmax. Not tuned: "
                        "the paper's two variants are two methods; compare them as two "
                        "configurations of the loss."
                    ),
                ),
            },
            references=(
                Reference(
                    "Reed, S., Lee, H., Anguelov, D., Szegedy, C., Erhan, D., Rabinovich, A.",
                    "Training Deep Neural Networks on Noisy Labels with Bootstrapping",
                    2015,
                    "https://arxiv.org/abs/1412.6596",
                ),
                Reference(
                    "Grandvalet, Y., Bengio, Y.",
                    "Semi-supervised Learning by Entropy Minimization",
                    2005,
                ),
            ),
        ),
        terms={"loss": bootstrap_ce},
        optimizer=_ADAM,
        training={"outputs": "classes"},
    )
)
