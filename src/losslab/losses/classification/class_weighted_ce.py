"""class-weighted-ce: inverse class frequency of the training split."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from losslab.losses.classification._common import (
    _ADAM,
    FAMILY,
    _example,
    _true_class_log_prob,
)
from losslab.losses.registry import (
    Card,
    LossSpec,
    Reference,
    register,
)

if TYPE_CHECKING:
    from torch import Tensor


def inverse_frequency_weights(y_train: np.ndarray, n_classes: int) -> np.ndarray:
    r"""Class weights :math:`w_k = n / (K\,n_k)` from the training labels (float32 ``[K]``).

    The same formula as scikit-learn's ``class_weight="balanced"``. The weights
    average to 1 over the training samples, so the batch mean of
    :math:`w_{y}\,\ell` estimates the *balanced* risk :math:`\frac1K\sum_k
    \mathbb{E}[\ell \mid y=k]`. A class absent from the training split gets weight 0
    (it has no sample to weigh).
    """
    counts = np.bincount(np.asarray(y_train, dtype=np.int64), minlength=n_classes)[:n_classes]
    weights = np.zeros(n_classes, dtype=np.float64)
    present = counts > 0
    weights[present] = counts.sum() / (n_classes * counts[present])
    return weights.astype(np.float32)


def class_weighted_ce(*, logits: Tensor, targets: Tensor, class_weights: Tensor) -> Tensor:
    r"""Cross-entropy with each sample weighted by its class's weight :math:`w_y`.

    .. math::

        \mathcal{L} = \frac1B\sum_b w_{y_b}\,\big(-\log p_{y_b}(x_b)\big)

    A plain batch mean of the weighted terms (not divided by :math:`\sum_b w_{y_b}`
    as PyTorch's ``weight=`` does): with :func:`inverse_frequency_weights` it is an
    unbiased estimate of the balanced (class-averaged) cross-entropy.
    ``logits``: ``[S, B, K]``; ``targets``: ``[S, B]``; ``class_weights``: ``[S, K]``
    (one row per member); returns ``[S]``.
    """
    nll = -_true_class_log_prob(logits, targets)
    if class_weights.shape != (logits.shape[0], logits.shape[2]):
        raise ValueError(
            f"class_weights must be [S, K] = {(logits.shape[0], logits.shape[2])}, "
            f"got {tuple(class_weights.shape)}"
        )
    w = class_weights.to(nll.dtype).gather(1, targets)
    return (w * nll).mean(dim=1)


register(
    LossSpec(
        card=Card(
            name="class-weighted-ce",
            example=_example(
                "class-weighted-ce", extra=", class_weights=torch.tensor([[1.0, 2.0, 4.0]] * 2)"
            ),
            family=FAMILY,
            formula=(
                r"\ell(z, y) = -w_y\log\operatorname{softmax}(z)_y,\quad "
                r"w_k=\frac{n}{K\,n_k}\ \text{(training split)}"
            ),
            derivation=(
                r"**The imbalance.** With class priors $\pi_k$, the average cross-entropy is "
                r"$\sum_k\pi_k\,\mathbb{E}[\ell\mid y=k]$: a class with $\pi_k=1\%$ contributes "
                r"1% of the loss and of the gradient, and the classifier can ignore it.",
                r"**Reweighting.** Weigh each example by $w_y$. With $w_k=\frac{1}{K\pi_k}$, "
                r"$\mathbb{E}[w_y\ell]=\sum_k\pi_k\frac{1}{K\pi_k}\mathbb{E}[\ell\mid y=k]="
                r"\frac1K\sum_k\mathbb{E}[\ell\mid y=k]$: the *balanced* risk, every class "
                r"counting equally.",
                r"**Estimating the priors.** $\pi_k$ is estimated by the class frequency "
                r"$n_k/n$ of the **training split** (never validation or test, which would "
                r"leak), giving $w_k=n/(K n_k)$ (scikit-learn's ``class_weight='balanced'``). "
                r"The weights average to 1 over the training samples, so the loss scale "
                r"matches the unweighted cross-entropy. The trainer computes them per member "
                r"and passes ``class_weights`` ``[S, K]``.",
                r"**Reduction.** losslab takes the plain batch mean of $w_{y_b}\ell_b$ "
                r"(unbiased for the balanced risk). PyTorch's ``weight=`` argument divides by "
                r"$\sum_b w_{y_b}$ instead (a ratio estimate, slightly biased, lower variance).",
                r"**Prior shift.** Equivalently the model learns the posterior under a "
                r"uniform class prior, $p(k\mid x)\propto P(k\mid x)/\pi_k$: its argmax "
                r"favours minority classes, trading majority accuracy for balanced accuracy.",
            ),
            optimum_or_divergence=(
                r"Minimised by $p(k\mid x)\propto P(k\mid x)\,w_k$, i.e. with $w_k\propto1/\pi_k$ "
                r"the posterior under a uniform class prior: it maximises the balanced "
                r"likelihood, not the ordinary one (probabilities are mis-calibrated for the "
                r"true priors)."
            ),
            used_by=(
                "Imbalanced tabular and medical classification (scikit-learn's "
                "class_weight='balanced')",
                "Semantic segmentation with rare classes (e.g. median-frequency balancing "
                "in SegNet)",
                "Long-tailed recognition baselines (Cui et al. 2019)",
            ),
            why=(
                "When minority classes matter as much as majority ones (balanced accuracy, "
                "macro-F1), reweighting the cross-entropy by inverse class frequency makes "
                "the training objective match that goal."
            ),
            pros=(
                "Targets balanced risk directly; simple; no resampling.",
                "Weights follow from the training data: nothing to tune.",
                "Keeps cross-entropy's stable, non-saturating gradients.",
            ),
            cons=(
                "Probabilities are calibrated for a uniform prior, not the true one.",
                "Very rare classes get huge weights: noisy gradients, over-fitting of the "
                "few minority examples.",
                "Lowers plain accuracy when the test prior equals the training prior.",
            ),
            hyperparameters={},
            references=(
                Reference(
                    "King, G., Zeng, L.",
                    "Logistic Regression in Rare Events Data",
                    2001,
                ),
                Reference(
                    "He, H., Garcia, E. A.",
                    "Learning from Imbalanced Data",
                    2009,
                ),
                Reference(
                    "Cui, Y., Jia, M., Lin, T.-Y., Song, Y., Belongie, S.",
                    "Class-Balanced Loss Based on Effective Number of Samples",
                    2019,
                    "https://arxiv.org/abs/1901.05555",
                ),
            ),
        ),
        terms={"loss": class_weighted_ce},
        optimizer=_ADAM,
        training={"outputs": "classes", "class_weights": "inverse-frequency"},
    )
)
