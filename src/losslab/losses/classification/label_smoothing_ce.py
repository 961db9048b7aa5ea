"""label-smoothing-ce: soft targets."""

from __future__ import annotations

from typing import TYPE_CHECKING

from losslab._lazy import F
from losslab.losses.classification._common import (
    FAMILY,
    MULLER_2019,
    SZEGEDY_2016,
    _check,
    _example,
)
from losslab.losses.knobs import Knob, broadcast_knob
from losslab.losses.registry import (
    Card,
    Hyperparameter,
    LossSpec,
    OptimizerDefaults,
    Search,
    register,
)

if TYPE_CHECKING:
    from torch import Tensor


def label_smoothing_ce(*, logits: Tensor, targets: Tensor, epsilon: Knob) -> Tensor:
    r"""Cross-entropy against the smoothed target :math:`q=(1-\epsilon)\,\mathbb{1}_y+\epsilon/K`.

    .. math::

        \ell = -\sum_k q_k \log p_k
             = (1-\epsilon)(-\log p_y) + \frac{\epsilon}{K}\sum_k(-\log p_k)

    (PyTorch's ``cross_entropy(..., label_smoothing=epsilon)``). ``epsilon = 0`` is
    ``softmax-ce``. ``logits``: ``[S, B, K]``; ``targets``: ``[S, B]``; ``epsilon``: a number
    or per-member ``[S]``; returns ``[S]``.
    """
    _check(logits, targets)
    log_p = F.log_softmax(logits, dim=-1)
    nll = -log_p.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    uniform = -log_p.mean(dim=-1)
    epsilon = broadcast_knob(epsilon, nll)
    return ((1.0 - epsilon) * nll + epsilon * uniform).mean(dim=1)


register(
    LossSpec(
        card=Card(
            name="label-smoothing-ce",
            example=_example("label-smoothing-ce"),
            family=FAMILY,
            formula=(
                r"\ell(z, y) = -\sum_{k=1}^K q_k\log p_k,\quad "
                r"q=(1-\epsilon)\,\mathbb{1}_y+\frac{\epsilon}{K},\quad p=\operatorname{softmax}(z)"
            ),
            derivation=(
                r"**Over-confidence.** Cross-entropy with one-hot targets is only minimised "
                r"as $z_y-z_j\to\infty$: the network keeps growing its logits after it is "
                r"right, which over-fits and makes it over-confident.",
                r"**Soft targets.** Replace the one-hot target by a mixture with the uniform "
                r"distribution, $q=(1-\epsilon)\mathbb{1}_y+\epsilon u$, $u_k=1/K$ "
                r"(Szegedy et al. 2016, for Inception-v3).",
                r"**Decomposition.** $H(q,p)=(1-\epsilon)H(\mathbb{1}_y,p)+\epsilon H(u,p)$: "
                r"cross-entropy plus a penalty $\epsilon H(u,p)=\epsilon\,\mathrm{KL}(u\|p)+"
                r"\text{const}$ that pulls predictions toward uniform.",
                r"**Finite optimum.** The minimiser is $p=q$: the logits stop growing once "
                r"$p_y=1-\epsilon+\epsilon/K$, i.e. the gap $z_y-z_j=\log\frac{1-\epsilon+"
                r"\epsilon/K}{\epsilon/K}$ (about 4.5 for $\epsilon=0.1$, $K=10$).",
                r"**Representation.** Müller et al. (2019) show it clusters penultimate "
                r"representations of a class tightly and improves calibration, but erases "
                r"information about which wrong classes are similar, which hurts distillation.",
            ),
            optimum_or_divergence=(
                r"Minimises $H(q,p)=\mathrm{KL}(q\|p)+H(q)$ with $q=(1-\epsilon)P(\cdot\mid x)+"
                r"\epsilon u$ in expectation: the optimum is $p=(1-\epsilon)P(\cdot\mid x)+"
                r"\epsilon/K$, the true posterior shrunk toward uniform (argmax unchanged)."
            ),
            used_by=(
                "Inception-v3 (Szegedy et al. 2016)",
                "The Transformer (Vaswani et al. 2017), epsilon 0.1",
                "Most ImageNet training recipes since",
            ),
            why=(
                "A one-line regulariser for cross-entropy that keeps logits finite, usually "
                "improves accuracy and calibration, and softens the cost of wrong labels."
            ),
            pros=(
                "Bounded optimal logits: less over-confidence, better calibration.",
                "Some robustness to label noise (a wrong label costs less).",
                "epsilon = 0 is cross-entropy.",
            ),
            cons=(
                "Not maximum likelihood: the optimum is shrunk toward uniform.",
                "Hurts knowledge distillation (Müller et al. 2019).",
                "One more knob; with temperature scaling, cross-entropy calibrates as well.",
            ),
            hyperparameters={
                "epsilon": Hyperparameter(
                    default=0.1,
                    low=0.0,
                    high=1.0,
                    search=Search.uniform(0, 0.3),
                    doc=(
                        r"Smoothing weight $\epsilon$: the target is $(1-\epsilon)$ one-hot plus "
                        r"$\epsilon$ uniform. 0 is cross-entropy; 1 ignores the labels. Usual "
                        "0.1. Range [0, 1]. Searched uniform over [0, 0.3], from cross-entropy "
                        "to three times Szegedy et al.'s 0.1."
                    ),
                )
            },
            references=(SZEGEDY_2016, MULLER_2019),
        ),
        terms={"loss": label_smoothing_ce},
        optimizer=OptimizerDefaults(
            name="adam",
            lr=1e-3,
            betas=(0.9, 0.999),
            source="Szegedy et al. 2016 trained Inception-v3 with RMSProp (lr 0.045, decay "
            "0.9) at ImageNet scale; for a small MLP Adam's defaults (Kingma & Ba 2015), as "
            "for every supervised loss, so only the loss changes.",
        ),
        training={"outputs": "classes"},
    )
)
