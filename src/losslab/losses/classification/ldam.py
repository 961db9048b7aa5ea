"""ldam: label-distribution-aware margins, larger for rarer classes (Cao et al. 2019)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from losslab._lazy import F, torch
from losslab.losses.classification._common import (
    _ADAM,
    FAMILY,
    _check,
    _example,
)
from losslab.losses.classification.logit_adjusted_ce import _EXTRA, MENON_2021
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


def ldam_margins(logits: Tensor, class_priors: Tensor | None, max_margin: Knob) -> Tensor:
    r"""Per-class margins :math:`\Delta_k = C\,(\pi_{\min}/\pi_k)^{1/4}` as ``[S, K]``.

    :math:`\Delta_k\propto n_k^{-1/4}` scaled so the rarest present class gets
    :math:`C`; a class absent from the training split (:math:`\pi_k=0`) also gets
    :math:`C`; ``None`` (uniform priors) gives :math:`C` for every class.
    """
    S, _, K = logits.shape
    if class_priors is None:
        ratio = torch.ones(S, K, dtype=logits.dtype, device=logits.device)
    else:
        if class_priors.shape != (S, K):
            raise ValueError(
                f"class_priors must be [S, K] = {(S, K)}, got {tuple(class_priors.shape)}"
            )
        p = class_priors.to(logits.dtype)
        smallest = torch.where(p > 0, p, torch.inf).min(dim=1, keepdim=True).values
        ratio = (smallest / torch.maximum(p, smallest)).pow(0.25)
    return broadcast_knob(max_margin, ratio) * ratio


def drw_weights(class_priors: Tensor) -> Tensor:
    r"""Cao et al.'s deferred class-balanced weights, ``[S, K]``: Cui et al. (2019)'s
    :math:`w_k \propto (1-\beta)/(1-\beta^{n_k})` with :math:`\beta \to 1`, i.e.
    :math:`w_k \propto 1/\pi_k` (at their :math:`\beta = 0.9999` and :math:`n_k` of tens
    to thousands the two differ by under 10%), normalised to :math:`\sum_k w_k = K` as in
    their code. A class absent from the training split gets weight 0 (it has no samples)."""
    p = class_priors
    inv = torch.where(p > 0, 1.0 / p.clamp_min(torch.finfo(p.dtype).tiny), 0.0)
    return inv * p.shape[1] / inv.sum(dim=1, keepdim=True)


def ldam(
    *,
    logits: Tensor,
    targets: Tensor,
    max_margin: Knob,
    scale: Knob,
    drw_start: Knob = 1.0,
    class_priors: Tensor | None = None,
    progress: float | None = None,
) -> Tensor:
    r"""LDAM loss (Cao et al. 2019): CE with the true logit lowered by a class margin.

    .. math::

        \ell = -\log\frac{e^{s(z_y-\Delta_y)}}{e^{s(z_y-\Delta_y)}+\sum_{k\ne y}e^{s z_k}},
        \qquad \Delta_k = \frac{C}{n_k^{1/4}}\ \text{scaled so}\ \max_k\Delta_k = C

    with the class frequencies from ``class_priors`` ``[S, K]`` (the member's training
    split; uniform when ``None``). ``max_margin`` :math:`C`, ``scale`` :math:`s`: numbers
    or per-member ``[S]``.

    **Deferred re-weighting** (LDAM-DRW): once ``progress`` (the fraction of training
    done, passed by the trainer) reaches ``drw_start``, the batch mean becomes the
    class-weighted mean :math:`\sum_b w_{y_b}\ell_b / \sum_b w_{y_b}` with
    :func:`drw_weights` (``torch.nn.functional.cross_entropy``'s ``weight`` convention,
    which Cao et al.'s code uses). ``drw_start = 1`` (or ``progress`` None) never
    re-weights. ``logits``: ``[S, B, K]``; ``targets``: ``[S, B]``; returns ``[S]``.
    """
    _check(logits, targets)
    margins = ldam_margins(logits, class_priors, max_margin)  # [S, K]
    true = F.one_hot(targets, logits.shape[-1]).to(logits.dtype)  # [S, B, K]
    shifted = logits - true * margins.unsqueeze(1)
    log_p = F.log_softmax(broadcast_knob(scale, logits) * shifted, dim=-1)
    per_sample = -log_p.gather(-1, targets.unsqueeze(-1)).squeeze(-1)  # [S, B]
    plain = per_sample.mean(dim=1)
    start = torch.as_tensor(
        broadcast_knob(drw_start, plain), dtype=logits.dtype, device=logits.device
    )  # checked even when unused: a wrong per-member length fails here
    if progress is None or class_priors is None:
        return plain
    on = torch.as_tensor(progress, dtype=logits.dtype, device=logits.device) >= start
    if not bool(on.any()):
        return plain
    w = drw_weights(class_priors.to(logits.dtype)).gather(1, targets)  # [S, B]
    weighted = (w * per_sample).sum(dim=1) / w.sum(dim=1).clamp_min(torch.finfo(w.dtype).tiny)
    return torch.where(on, weighted, plain)


register(
    LossSpec(
        card=Card(
            name="ldam",
            example=_example("ldam", extra=_EXTRA),
            family=FAMILY,
            formula=r"\ell(z,y)=-\log\frac{e^{s(z_y-\Delta_y)}}{e^{s(z_y-\Delta_y)}+"
            r"\sum_{k\ne y}e^{sz_k}},\quad\Delta_k=C\Big(\frac{n_{\min}}{n_k}\Big)^{1/4}",
            derivation=(
                r"**Margins and generalisation.** For a class $k$ with $n_k$ training examples "
                r"and margin $\gamma_k$, margin-based bounds give a class error of order "
                r"$\frac{1}{\gamma_k}\sqrt{C(\mathcal F)/n_k}$. A rare class is the one whose "
                r"bound is loose.",
                r"**Trading margins.** With the sum of margins fixed, minimising the balanced "
                r"bound $\sum_k\frac{1}{\gamma_k\sqrt{n_k}}$ gives $\gamma_k\propto n_k^{-1/4}$: "
                r"rarer classes should be separated by larger margins (Cao et al. 2019).",
                r"**A soft margin loss.** Enforce the margin inside a softmax: subtract "
                r"$\Delta_y$ from the true logit before CE, so the loss stays high until "
                r"$z_y$ beats the others by about $\Delta_y$. $\Delta_k=C/n_k^{1/4}$ with $C$ "
                r"chosen so the largest margin is $C$ (0.5 in the paper).",
                r"**Scale.** Cao et al. apply LDAM to a cosine (normalised) last layer, whose "
                r"logits lie in $[-1,1]$, and multiply by $s=30$ before the softmax. losslab's "
                r"MLP has an unnormalised last layer: there $s$ is an inverse temperature that "
                r"also scales the margins' effect, so it is a knob.",
                r"**Deferred re-weighting.** The paper trains with plain LDAM first, so the "
                r"features are learned from every sample equally, then switches on "
                r"class-balanced weights $w_k\propto1/\pi_k$ (Cui et al. 2019's effective "
                r"number at $\beta\to1$) for the last part of training (epoch 160 of 200) to "
                r"move the decision boundaries toward the rare classes (LDAM-DRW). The "
                r"trainer passes the fraction of training done; `drw_start` is when the "
                r"weights switch on.",
                r"**Relation.** `logit-adjusted-ce` also gives rare classes larger margins, "
                r"additive in $\log(\pi_k/\pi_y)$ (Menon et al. 2021 discuss the link).",
            ),
            optimum_or_divergence=(
                r"Not a proper scoring rule: the margins shift the minimiser away from the "
                r"posterior toward rare classes; its aim is a better *balanced* generalisation "
                r"bound, not a consistent probability estimate. With all margins 0 and $s=1$ it "
                r"is cross-entropy."
            ),
            used_by=(
                "Long-tailed recognition (Cao et al. 2019: CIFAR-LT, Tiny ImageNet-LT, "
                "iNaturalist 2018), usually with deferred re-weighting (LDAM-DRW)",
                "A standard long-tail baseline (Menon et al. 2021; Ren et al. 2020)",
            ),
            why=(
                "When classes are imbalanced, LDAM asks more separation for rare classes, "
                "where a generalisation bound says the error is largest."
            ),
            pros=(
                "Margins follow from the class counts; one shape knob C.",
                "Works with any re-weighting or re-sampling schedule on top.",
                "Strong results on long-tailed benchmarks (with DRW).",
            ),
            cons=(
                "Designed for a normalised last layer; with raw logits s and C interact.",
                "Its best results need deferred re-weighting: a schedule, one more knob.",
                "Probabilities are not calibrated.",
            ),
            hyperparameters={
                "max_margin": Hyperparameter(
                    default=0.5,
                    low=0.0,
                    search=Search.uniform(0.1, 1),
                    doc=(
                        r"Largest margin $C$ (that of the rarest class), in logit units. Cao "
                        "et al. normalise it to 0.5. Range [0, inf). Searched uniform over "
                        "[0.1, 1], a factor of 2-5 either side of the paper's value."
                    ),
                ),
                "scale": Hyperparameter(
                    default=30.0,
                    low=1e-3,
                    search=Search.log_uniform(1, 30),
                    doc=(
                        r"Logit scale $s$ applied before the softmax. Cao et al.'s code uses 30 "
                        "on a cosine classifier; with an unnormalised layer it is an inverse "
                        "temperature. Range [0.001, inf). Searched log-uniform over [1, 30]: "
                        "from plain logits to the paper's value."
                    ),
                ),
                "drw_start": Hyperparameter(
                    default=0.8,
                    low=0.0,
                    high=1.0,
                    search=Search.uniform(0.5, 1),
                    doc=(
                        "Fraction of the training steps after which deferred re-weighting "
                        r"switches on the class-balanced weights $w_k\propto1/\pi_k$ (Cao et "
                        "al.: epoch 160 of 200, i.e. 0.8). 1 never re-weights (plain LDAM); 0 "
                        "re-weights from the start (which the paper found worse: the features "
                        "then learn from a re-weighted, noisier signal). Searched uniform over "
                        "[0.5, 1]: from halfway to never."
                    ),
                ),
            },
            references=(
                Reference(
                    "Cao, K., Wei, C., Gaidon, A., Arechiga, N., Ma, T.",
                    "Learning Imbalanced Datasets with Label-Distribution-Aware Margin Loss",
                    2019,
                    "https://arxiv.org/abs/1906.07413",
                ),
                MENON_2021,
            ),
        ),
        terms={"loss": ldam},
        optimizer=_ADAM,
        training={"outputs": "classes", "class_priors": True, "progress": True},
    )
)
