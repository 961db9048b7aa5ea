r"""Classification losses: one ``loss`` term per loss, from logits.

Every term is a small pure function taken by keyword that returns one value per
ensemble member:

* ``logits``: ``[S, B, K]`` raw network outputs (``K = 1`` for ``sigmoid-bce``),
* ``targets``: ``[S, B]`` int64 class ids in ``0 .. K-1`` (``{0, 1}`` for ``sigmoid-bce``),
* result: ``Tensor[S]``, the mean over the batch axis of each member.

Probabilities enter only through ``log_softmax`` / ``logsumexp`` / ``softplus``,
so every loss stays finite for any logit:

.. math::

    \log p_k = z_k - \log\sum_j e^{z_j}, \qquad
    -\log\sigma(z) = \operatorname{softplus}(-z).

``training["outputs"]`` tells the trainer how wide the last layer is:
``"classes"`` (K logits) or ``1`` (one logit, ``binary``). ``class-weighted-ce``
declares ``training["class_weights"] = "inverse-frequency"``: the trainer then
passes ``class_weights`` ``[S, K]`` computed by :func:`inverse_frequency_weights`
from each member's *training* split.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from losslab.losses.registry import (
    Card,
    Hyperparameter,
    LossSpec,
    OptimizerDefaults,
    Reference,
    register,
)

FAMILY = "classification"


def _example(name: str, extra: str = "", width: str = "3", classes: int = 3) -> str:
    """The card's runnable example: the loss on made-up logits for two members."""
    return f"""import torch
from losslab.losses import get_loss

spec = get_loss("{name}")
knobs = spec.hyperparameters()  # the defaults; pass overrides as a dict
logits = torch.randn(2, 8, {width})  # [members, batch, outputs]
targets = torch.randint(0, {classes}, (2, 8))  # class ids [members, batch]
loss = spec.bind("loss", knobs)(logits=logits, targets=targets{extra})
print(loss)  # one value per member
"""


def _check(logits: Tensor, targets: Tensor) -> None:
    if logits.dim() != 3 or targets.shape != logits.shape[:2]:
        raise ValueError(
            f"expected logits [S, B, K] and targets [S, B], got {tuple(logits.shape)} "
            f"and {tuple(targets.shape)}"
        )


def _true_class_log_prob(logits: Tensor, targets: Tensor) -> Tensor:
    """``log softmax(z)_y`` per sample, ``[S, B]``."""
    _check(logits, targets)
    return F.log_softmax(logits, dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)


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


# ---------------------------------------------------------------------------
# References shared by several cards
# ---------------------------------------------------------------------------

BISHOP_2006 = Reference(
    "Bishop, C. M.",
    "Pattern Recognition and Machine Learning, Sections 4.2-4.3 (probabilistic generative "
    "and discriminative models; the softmax from log-odds)",
    2006,
)
BRIDLE_1990 = Reference(
    "Bridle, J. S.",
    "Probabilistic Interpretation of Feedforward Classification Network Outputs, with "
    "Relationships to Statistical Pattern Recognition",
    1990,
)
COX_1958 = Reference(
    "Cox, D. R.",
    "The Regression Analysis of Binary Sequences",
    1958,
)
GUO_2017 = Reference(
    "Guo, C., Pleiss, G., Sun, Y., Weinberger, K. Q.",
    "On Calibration of Modern Neural Networks",
    2017,
    "https://arxiv.org/abs/1706.04599",
)
SZEGEDY_2016 = Reference(
    "Szegedy, C., Vanhoucke, V., Ioffe, S., Shlens, J., Wojna, Z.",
    "Rethinking the Inception Architecture for Computer Vision",
    2016,
    "https://arxiv.org/abs/1512.00567",
)
MULLER_2019 = Reference(
    "Müller, R., Kornblith, S., Hinton, G.",
    "When Does Label Smoothing Help?",
    2019,
    "https://arxiv.org/abs/1906.02629",
)

_ADAM = OptimizerDefaults(
    name="adam",
    lr=1e-3,
    betas=(0.9, 0.999),
    source="Kingma & Ba 2015 defaults (Adam, lr 0.001, betas 0.9/0.999); the loss's paper "
    "does not prescribe an optimiser for a small MLP, so every supervised loss uses the same "
    "one and only the loss changes.",
)

_CE_DERIVATION_TAIL = (
    r"**Maximum likelihood.** Treat the labels as draws from the model's categorical "
    r"distribution. The log-likelihood of a batch is $\sum_b\log p_{y_b}(x_b)$, so its negative "
    r"mean is $\frac1B\sum_b\big(-z_{y_b}+\log\sum_j e^{z_{b,j}}\big)$: the cross-entropy "
    r"$H(\mathbb{1}_y, p)$ between the one-hot label and the prediction.",
    r"**Gradient.** $\partial\ell/\partial z_k = p_k-\mathbb{1}[k=y]$: bounded by 1 in each "
    r"coordinate and largest exactly when the model is confidently wrong ($p_y\to0$ gives "
    r"$-1$ on the true logit). Nothing saturates, unlike a squared error on probabilities.",
)


# ---------------------------------------------------------------------------
# sigmoid-bce: one logit, P(y=1|x) = sigmoid(z)
# ---------------------------------------------------------------------------


def sigmoid_bce(*, logits: Tensor, targets: Tensor) -> Tensor:
    r"""Binary cross-entropy from one logit per sample: :math:`P(y=1\mid x)=\sigma(z)`.

    .. math::

        \ell = -y\log\sigma(z) - (1-y)\log(1-\sigma(z))
             = \operatorname{softplus}(z) - y\,z

    ``logits``: ``[S, B, 1]``; ``targets``: ``[S, B]`` in ``{0, 1}``; returns ``[S]``.
    """
    _check(logits, targets)
    if logits.shape[-1] != 1:
        raise ValueError(f"sigmoid-bce takes one logit per sample, got {logits.shape[-1]}")
    z = logits.squeeze(-1)
    return (F.softplus(z) - targets.to(z.dtype) * z).mean(dim=1)


register(
    LossSpec(
        card=Card(
            name="sigmoid-bce",
            example=_example("sigmoid-bce", width="1", classes=2),
            family=FAMILY,
            formula=(
                r"\ell(z, y) = -y\log\sigma(z)-(1-y)\log(1-\sigma(z))"
                r" = \operatorname{softplus}(z)-y\,z,\quad \sigma(z)=\frac{1}{1+e^{-z}}"
            ),
            derivation=(
                r"**Bayes with two classes.** $P(C_1\mid x)=\frac{p(x\mid C_1)P(C_1)}"
                r"{p(x\mid C_1)P(C_1)+p(x\mid C_2)P(C_2)}=\frac{1}{1+e^{-a}}=\sigma(a)$ with "
                r"$a=\log\frac{p(x\mid C_1)P(C_1)}{p(x\mid C_2)P(C_2)}$, the log-odds. The "
                r"sigmoid turns log-odds into a probability.",
                r"**The model.** Let the network output the log-odds directly: one logit $z$, "
                r"$P(y=1\mid x)=\sigma(z)$ and $P(y=0\mid x)=1-\sigma(z)=\sigma(-z)$.",
                r"**Maximum likelihood.** A label $y\in\{0,1\}$ is a Bernoulli draw; its "
                r"negative log-likelihood is $-y\log\sigma(z)-(1-y)\log\sigma(-z)$, the binary "
                r"cross-entropy.",
                r"**Stable form.** $-\log\sigma(z)=\operatorname{softplus}(-z)$ and "
                r"$\operatorname{softplus}(-z)=\operatorname{softplus}(z)-z$, so "
                r"$\ell=\operatorname{softplus}(z)-yz$, finite for every $z$.",
                r"**Gradient.** $\partial\ell/\partial z=\sigma(z)-y$: the residual in "
                r"probability, never saturating when the model is wrong.",
            ),
            optimum_or_divergence=(
                r"Minimised in expectation by $\sigma(z(x))=P(y=1\mid x)$ (a proper scoring "
                r"rule); the excess risk is $\mathbb{E}_x\,\mathrm{KL}(P(y\mid x)\,\|\,"
                r"\mathrm{Bernoulli}(\sigma(z(x))))$."
            ),
            used_by=(
                "Logistic regression (Cox 1958)",
                "Binary and multi-label classifiers (one sigmoid per label)",
                "GAN discriminators (the adversarial family's minimax-bce)",
                "RetinaNet's per-class sigmoid heads (with the focal modulation)",
            ),
            why=(
                "The loss for two classes: one logit read as log-odds, trained by maximum "
                "likelihood. The softmax cross-entropy is its K-class generalisation."
            ),
            pros=(
                "Calibrated at the optimum: a proper scoring rule.",
                "Half the output units of a 2-way softmax, with identical expressiveness.",
                "Convex in the logit; gradient sigma(z) - y never saturates when wrong.",
            ),
            cons=(
                "Binary only: K classes need K one-vs-rest sigmoids, which no longer sum to 1.",
                "Unbounded on mislabelled points: a flipped label costs about |z|.",
                "Over-confident networks reach very large logits (mitigated by label smoothing).",
            ),
            hyperparameters={},
            references=(COX_1958, BISHOP_2006),
        ),
        terms={"loss": sigmoid_bce},
        optimizer=_ADAM,
        training={"outputs": 1, "binary": True},
    )
)


# ---------------------------------------------------------------------------
# softmax-ce: K logits, the softmax derived from the sigmoid's odds
# ---------------------------------------------------------------------------


def softmax_ce(*, logits: Tensor, targets: Tensor) -> Tensor:
    r"""Softmax cross-entropy: the negative log-likelihood of the true class.

    .. math::

        \ell = -\log\frac{e^{z_y}}{\sum_j e^{z_j}} = -z_y + \log\sum_j e^{z_j}

    ``logits``: ``[S, B, K]``; ``targets``: ``[S, B]``; returns ``[S]``.
    """
    return -_true_class_log_prob(logits, targets).mean(dim=1)


register(
    LossSpec(
        card=Card(
            name="softmax-ce",
            example=_example("softmax-ce"),
            family=FAMILY,
            formula=(
                r"\ell(z, y) = -\log\operatorname{softmax}(z)_y = -z_y+\log\sum_{j=1}^K e^{z_j},"
                r"\quad \operatorname{softmax}(z)_i=\frac{e^{z_i}}{\sum_j e^{z_j}}"
            ),
            derivation=(
                r"**The sigmoid reads log-odds.** With two classes, Bayes' rule gives "
                r"$P(C_1\mid x)=\sigma(a)=\frac{1}{1+e^{-a}}$, where "
                r"$a=\log\frac{P(C_1\mid x)}{P(C_2\mid x)}$ is the log-odds of class 1 against "
                r"class 2.",
                r"**K classes: odds against a reference class.** Keep that reading and let "
                r"the network output, for each class $i$, the log-odds against a reference "
                r"class $K$: $\log\frac{P(C_i\mid x)}{P(C_K\mid x)}=z_i$, i.e. "
                r"$P(C_i\mid x)=P(C_K\mid x)\,e^{z_i}$, with $z_K=0$.",
                r"**Normalise.** The probabilities sum to one: "
                r"$1=\sum_i P(C_i\mid x)=P(C_K\mid x)\sum_j e^{z_j}$, so "
                r"$P(C_K\mid x)=1/\sum_j e^{z_j}$ and $P(C_i\mid x)=\frac{e^{z_i}}{\sum_j e^{z_j}}"
                r"=\operatorname{softmax}(z)_i$.",
                r"**Shift invariance.** Adding the same $c$ to every $z_j$ leaves the softmax "
                r"unchanged, so the constraint $z_K=0$ can be dropped: a network with $K$ free "
                r"outputs computes log-odds up to one shared shift (the symmetric, "
                r"over-parameterised form everybody uses).",
                r"**K = 2 is the sigmoid.** $\operatorname{softmax}(z)_1=\frac{e^{z_1}}"
                r"{e^{z_1}+e^{z_2}}=\frac{1}{1+e^{-(z_1-z_2)}}=\sigma(z_1-z_2)$: the sigmoid is "
                r"the two-class softmax of the logit difference.",
                *_CE_DERIVATION_TAIL,
                r"**Stable form.** Compute $\log\sum_j e^{z_j}$ as "
                r"$m+\log\sum_j e^{z_j-m}$ with $m=\max_j z_j$ (``logsumexp``): no overflow, "
                r"and the loss is finite for any logits.",
            ),
            optimum_or_divergence=(
                r"A proper scoring rule: the expected loss $\mathbb{E}_{x,y}[-\log p_y(x)]"
                r"=\mathbb{E}_x\big[H(P(\cdot\mid x))+\mathrm{KL}(P(\cdot\mid x)\,\|\,p(x))\big]$ "
                r"is minimised by $p(x)=P(\cdot\mid x)$, the true class posterior."
            ),
            used_by=(
                "Nearly every neural classifier: ImageNet CNNs (AlexNet, ResNet), Transformers",
                "Language models (next-token cross-entropy over the vocabulary)",
                "Multinomial logistic regression",
            ),
            why=(
                "The default classification loss: maximum likelihood for a categorical output, "
                "with probabilities that are calibrated at the optimum and gradients that "
                "never vanish on wrong, confident predictions."
            ),
            pros=(
                "Maximum likelihood: consistent, and calibrated at the optimum.",
                "Gradient softmax(z) - onehot(y): simple, bounded, non-saturating when wrong.",
                "Convex in the logits; cheap and stable via logsumexp.",
            ),
            cons=(
                "Keeps pushing correct logits apart after the argmax is right: large "
                "networks end over-confident (Guo et al. 2017).",
                "Sensitive to label noise: a mislabelled example costs about its margin, "
                "without bound.",
                "Under class imbalance the majority classes dominate the average.",
            ),
            hyperparameters={},
            references=(BRIDLE_1990, BISHOP_2006, GUO_2017),
        ),
        terms={"loss": softmax_ce},
        optimizer=_ADAM,
        training={"outputs": "classes"},
    )
)


# ---------------------------------------------------------------------------
# focal: down-weight the easy examples
# ---------------------------------------------------------------------------


def focal(*, logits: Tensor, targets: Tensor, gamma: float) -> Tensor:
    r"""Focal loss, multi-class softmax form without alpha: CE scaled by :math:`(1-p_y)^\gamma`.

    .. math::

        \ell = -(1-p_y)^\gamma \log p_y, \qquad p_y = \operatorname{softmax}(z)_y

    :math:`1-p_y` is computed as ``-expm1(log p_y)`` (no cancellation) and floored at
    the smallest normal float, so the loss and its gradient stay finite for any
    logits. ``gamma = 0`` is exactly ``softmax-ce``. ``logits``: ``[S, B, K]``;
    ``targets``: ``[S, B]``; returns ``[S]``.
    """
    log_p = _true_class_log_prob(logits, targets)
    one_minus_p = (-torch.expm1(log_p)).clamp_min(torch.finfo(log_p.dtype).tiny)
    return -(one_minus_p.pow(gamma) * log_p).mean(dim=1)


register(
    LossSpec(
        card=Card(
            name="focal",
            example=_example("focal"),
            family=FAMILY,
            formula=(r"\ell(z, y) = -(1-p_y)^{\gamma}\log p_y,\quad p=\operatorname{softmax}(z)"),
            derivation=(
                r"**The problem.** In dense detection almost every candidate box is easy "
                r"background. Each easy example has a small cross-entropy, but there are so "
                r"many that their sum dominates the loss and its gradient.",
                r"**Modulating factor.** Multiply the cross-entropy by $(1-p_y)^\gamma$: an "
                r"example classified with $p_y=0.9$ is down-weighted by $0.1^\gamma$ ($100\times$ "
                r"for $\gamma=2$), while a misclassified one ($p_y$ small) keeps almost its "
                r"full weight. $\gamma=0$ recovers the cross-entropy.",
                r"**Gradient.** With $p=p_y$ and $\partial p/\partial z_y = p(1-p)$: "
                r"$\frac{\partial\ell}{\partial z_y}"
                r"=-(1-p)^{\gamma}\big[(1-p)-\gamma\,p\log p\big]$. "
                r"For a large margin $m$, $1-p\approx e^{-m}$, so the gradient falls like "
                r"$e^{-(\gamma+1)m}$ instead of CE's $e^{-m}$: confident examples stop "
                r"contributing.",
                r"**Alpha, and our choice.** Lin et al. also multiply by $\alpha_t$ "
                r"($\alpha=0.25$ for the foreground class) in their per-class *sigmoid* form. "
                r"For a multi-class softmax a single scalar $\alpha$ only rescales the loss, "
                r"which Adam's update ignores, so losslab omits it: class re-weighting is "
                r"`class-weighted-ce`'s job. Then $\gamma=0$ is exactly `softmax-ce`.",
                r"**Calibration.** Because it stops pushing confident predictions toward "
                r"$p_y=1$, focal loss also acts as an entropy regulariser and tends to give "
                r"better-calibrated networks than cross-entropy (Mukhoti et al. 2020).",
            ),
            optimum_or_divergence=(
                r"Not a proper scoring rule for $\gamma>0$: the minimiser of the expected loss "
                r"is pulled toward less confident predictions than the true posterior (toward "
                r"higher entropy). It is still classification-calibrated: the argmax is "
                r"preserved and the posterior can be recovered by a known transform "
                r"(Charoenphakdee et al. 2021). $\gamma=0$ is the cross-entropy, minimised "
                r"by the true posterior."
            ),
            used_by=(
                "RetinaNet (Lin et al. 2017): one-stage dense object detection",
                "Many detectors after it (FCOS, EfficientDet), medical segmentation",
                "Calibration studies (Mukhoti et al. 2020)",
            ),
            why=(
                "When easy, well-classified examples swamp the loss (extreme foreground/"
                "background imbalance), focal loss lets the rare hard examples drive training."
            ),
            pros=(
                "Focuses training on hard examples without sampling heuristics.",
                "Reduces over-confidence; often better calibration than cross-entropy.",
                "gamma = 0 is cross-entropy: a single knob interpolates.",
            ),
            cons=(
                "Not maximum likelihood: probabilities are biased toward lower confidence.",
                "Hard examples include mislabelled ones: under label noise it up-weights "
                "exactly the wrong labels.",
                "One more knob (gamma) to tune; benefits are small on balanced data.",
            ),
            hyperparameters={
                "gamma": Hyperparameter(
                    default=2.0,
                    low=0.0,
                    high=10.0,
                    doc=r"Focusing parameter $\gamma$ of the factor $(1-p_y)^\gamma$. 0 is "
                    "cross-entropy; Lin et al. found 2 best (tried 0.5-5). Range [0, 10].",
                )
            },
            references=(
                Reference(
                    "Lin, T.-Y., Goyal, P., Girshick, R., He, K., Dollár, P.",
                    "Focal Loss for Dense Object Detection",
                    2017,
                    "https://arxiv.org/abs/1708.02002",
                ),
                Reference(
                    "Mukhoti, J., Kulharia, V., Sanyal, A., Golodetz, S., Torr, P. H. S., "
                    "Dokania, P. K.",
                    "Calibrating Deep Neural Networks using Focal Loss",
                    2020,
                    "https://arxiv.org/abs/2002.09437",
                ),
                Reference(
                    "Charoenphakdee, N., Vongkulbhisal, J., Chairatanakul, N., Sugiyama, M.",
                    "On Focal Loss for Class-Posterior Probability Estimation: A Theoretical "
                    "Perspective",
                    2021,
                ),
            ),
        ),
        terms={"loss": focal},
        optimizer=OptimizerDefaults(
            name="adam",
            lr=1e-3,
            betas=(0.9, 0.999),
            source="Lin et al. 2017 trained RetinaNet with SGD (lr 0.01, momentum 0.9), which "
            "the ensemble optimiser does not offer; Adam's defaults (Kingma & Ba 2015) as for "
            "every supervised loss, so only the loss changes.",
        ),
        training={"outputs": "classes"},
    )
)


# ---------------------------------------------------------------------------
# label-smoothing-ce: soft targets
# ---------------------------------------------------------------------------


def label_smoothing_ce(*, logits: Tensor, targets: Tensor, epsilon: float) -> Tensor:
    r"""Cross-entropy against the smoothed target :math:`q=(1-\epsilon)\,\mathbb{1}_y+\epsilon/K`.

    .. math::

        \ell = -\sum_k q_k \log p_k
             = (1-\epsilon)(-\log p_y) + \frac{\epsilon}{K}\sum_k(-\log p_k)

    (PyTorch's ``cross_entropy(..., label_smoothing=epsilon)``). ``epsilon = 0`` is
    ``softmax-ce``. ``logits``: ``[S, B, K]``; ``targets``: ``[S, B]``; returns ``[S]``.
    """
    _check(logits, targets)
    log_p = F.log_softmax(logits, dim=-1)
    nll = -log_p.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    uniform = -log_p.mean(dim=-1)
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
                    doc=r"Smoothing weight $\epsilon$: the target is $(1-\epsilon)$ one-hot "
                    r"plus $\epsilon$ uniform. 0 is cross-entropy; 1 ignores the labels. "
                    "Usual 0.1. Range [0, 1].",
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


# ---------------------------------------------------------------------------
# class-weighted-ce: inverse class frequency of the training split
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# multiclass-hinge: Crammer & Singer's multi-class SVM loss
# ---------------------------------------------------------------------------


def multiclass_hinge(*, logits: Tensor, targets: Tensor) -> Tensor:
    r"""Crammer-Singer multi-class hinge: the true logit must beat every other by 1.

    .. math::

        \ell = \max\big(0,\; 1 + \max_{j\ne y} z_j - z_y\big)

    ``logits``: ``[S, B, K]`` with ``K >= 2``; ``targets``: ``[S, B]``; returns ``[S]``.
    """
    _check(logits, targets)
    index = targets.unsqueeze(-1)
    true = logits.gather(-1, index).squeeze(-1)
    others = logits.scatter(-1, index, float("-inf")).amax(dim=-1)
    return torch.relu(1.0 + others - true).mean(dim=1)


register(
    LossSpec(
        card=Card(
            name="multiclass-hinge",
            example=_example("multiclass-hinge"),
            family=FAMILY,
            formula=r"\ell(z, y) = \max\big(0,\ 1+\max_{j\neq y} z_j - z_y\big)",
            derivation=(
                r"**Binary SVM.** With $y\in\{\pm1\}$ and score $z$, the soft-margin SVM "
                r"minimises $\max(0,1-yz)$ plus a norm penalty: zero loss once the example "
                r"is on the right side with margin 1.",
                r"**Margin for K classes.** Define the margin "
                r"$m=z_y-\max_{j\ne y}z_j$: positive iff the true class wins. Crammer & "
                r"Singer (2001) ask for $m\ge1$ and pay $\max(0,1-m)$, the hinge of the margin.",
                r"**Convex surrogate.** $\max(0,1-m)$ is convex in $z$ and bounds the 0-1 "
                r"error $\mathbb{1}[m\le0]$ from above.",
                r"**Gradient.** For $m<1$ the (sub)gradient is $+1$ on the strongest wrong "
                r"logit and $-1$ on the true one; for $m\ge1$ it is exactly zero: examples "
                r"beyond the margin stop contributing (the SVM's support vectors are those "
                r"with $m\le1$).",
                r"**No probabilities.** The hinge does not model $P(y\mid x)$; losslab "
                r"reports softmax(z) for the probability metrics, which are then "
                r"uncalibrated by construction.",
            ),
            optimum_or_divergence=(
                r"Classification-calibrated in the margin sense only: the Crammer-Singer "
                r"loss is Fisher-consistent for the Bayes classifier when some class has "
                r"$P(y\mid x)>1/2$, but not in general (Tewari & Bartlett 2007); it estimates "
                r"no probabilities."
            ),
            used_by=(
                "Multi-class SVMs (Crammer & Singer 2001; LIBLINEAR's crammer_singer mode)",
                "Deep nets with an SVM top layer (Tang 2013)",
                "Structured prediction (the structured SVM generalises it)",
            ),
            why=(
                "A margin loss: only examples that are wrong or within the margin matter, "
                "which ignores easy points and gives sparse, robust gradients, at the price "
                "of probability estimates."
            ),
            pros=(
                "Zero gradient for well-classified points: focuses on the boundary.",
                "Grows only linearly with a wrong margin (a mislabelled point costs |m| + 1).",
                "Convex in the logits; no hyper-parameters (the margin scale is absorbed by "
                "the logits).",
            ),
            cons=(
                "No probabilities: NLL and calibration of softmax(z) are poor.",
                "Not differentiable at the margin and only the top wrong class gets gradient: "
                "slower optimisation.",
                "Not Fisher-consistent in general for K > 2.",
            ),
            hyperparameters={},
            references=(
                Reference(
                    "Crammer, K., Singer, Y.",
                    "On the Algorithmic Implementation of Multiclass Kernel-based Vector Machines",
                    2001,
                    "https://www.jmlr.org/papers/v2/crammer01a.html",
                ),
                Reference(
                    "Tang, Y.",
                    "Deep Learning using Linear Support Vector Machines",
                    2013,
                    "https://arxiv.org/abs/1306.0239",
                ),
                Reference(
                    "Tewari, A., Bartlett, P. L.",
                    "On the Consistency of Multiclass Classification Methods",
                    2007,
                ),
            ),
        ),
        terms={"loss": multiclass_hinge},
        optimizer=_ADAM,
        training={"outputs": "classes"},
    )
)


# ---------------------------------------------------------------------------
# mse-probabilities: the cautionary case
# ---------------------------------------------------------------------------


def mse_probabilities(*, logits: Tensor, targets: Tensor) -> Tensor:
    r"""Squared error between the softmax probabilities and the one-hot label (Brier score).

    .. math::

        \ell = \sum_{k=1}^K \big(p_k - \mathbb{1}[k=y]\big)^2, \qquad p=\operatorname{softmax}(z)

    Summed over classes (the Brier score); the mean over the K entries is this
    divided by K. ``logits``: ``[S, B, K]``; ``targets``: ``[S, B]``; returns ``[S]``.
    """
    _check(logits, targets)
    p = F.softmax(logits, dim=-1)
    onehot = F.one_hot(targets, logits.shape[-1]).to(p.dtype)
    return (p - onehot).pow(2).sum(dim=-1).mean(dim=1)


register(
    LossSpec(
        card=Card(
            name="mse-probabilities",
            example=_example("mse-probabilities"),
            family=FAMILY,
            formula=(
                r"\ell(z, y) = \sum_{k=1}^K\big(\operatorname{softmax}(z)_k-\mathbb{1}[k=y]\big)^2"
            ),
            derivation=(
                r"**The idea.** Regress the predicted probabilities onto the one-hot label "
                r"with a squared error: the Brier score (Brier 1950), a proper scoring rule, "
                r"so its optimum is still the true posterior.",
                r"**Gradient through the softmax.** With $\partial p_k/\partial z_i="
                r"p_k(\mathbb{1}[k=i]-p_i)$: $\frac{\partial\ell}{\partial z_i}="
                r"2\sum_k(p_k-\mathbb{1}[k=y])\,p_k(\mathbb{1}[k=i]-p_i)$.",
                r"**Confidently wrong means no gradient.** Suppose the net puts $p_j\approx1$ "
                r"on a wrong class $j$ and $p_y\approx0$. Every term carries a factor $p_k$ "
                r"(small unless $k=j$) or $(1-p_j)$ (small): the gradient is "
                r"$O(p_y+(1-p_j))$, of order $e^{-m}$ when the true class trails by a margin "
                r"$m$. The loss "
                r"is near its maximum (about 2) yet flat: exactly the sigmoid saturation the "
                r"cross-entropy's $\log$ cancels (its gradient $p-\mathbb{1}_y$ stays of size "
                r"$\approx\sqrt2$).",
                r"**Bounded loss.** $\ell\le2$ for every example: a mislabelled point can never "
                r"cost more than 2, which makes it more robust to label noise than CE, and "
                r"equally unable to fix its own confident mistakes.",
                r"**In practice.** A bad initialisation or a high learning rate that sends "
                r"logits far apart can leave examples stuck on the wrong side; training is "
                r"slower than with CE (Golik et al. 2013). Squared error on the *logits* "
                r"(no softmax) does not saturate and competes well (Hui & Belkin 2021): "
                r"the trouble is the softmax inside the square.",
            ),
            optimum_or_divergence=(
                r"A proper scoring rule: $\mathbb{E}_y\sum_k(p_k-\mathbb{1}[k=y])^2="
                r"\sum_k(p_k-P(k\mid x))^2+\text{const}$, minimised by $p=P(\cdot\mid x)$. "
                r"The trouble is the optimisation, not the optimum."
            ),
            used_by=(
                "Early neural networks trained by backpropagation on squared error",
                "The Brier score as a probability-forecast metric (weather, medicine)",
                "A cautionary baseline in loss comparisons (Golik et al. 2013)",
            ),
            why=(
                "The cautionary case: the same optimum as cross-entropy, but gradients that "
                "vanish on confidently wrong predictions. Watch it learn slower, or get stuck, "
                "where softmax-ce does not."
            ),
            pros=(
                "Proper scoring rule: calibrated optimum.",
                "Bounded loss (at most 2 per example): robust to a few mislabelled points.",
                "Directly optimises the Brier score.",
            ),
            cons=(
                "Vanishing gradients for confidently wrong predictions (softmax saturation).",
                "Slower convergence than cross-entropy; sensitive to initialisation.",
                "Non-convex in the logits.",
            ),
            hyperparameters={},
            references=(
                Reference(
                    "Brier, G. W.",
                    "Verification of Forecasts Expressed in Terms of Probability",
                    1950,
                ),
                Reference(
                    "Golik, P., Doetsch, P., Ney, H.",
                    "Cross-Entropy vs. Squared Error Training: a Theoretical and Experimental "
                    "Comparison",
                    2013,
                ),
                Reference(
                    "Hui, L., Belkin, M.",
                    "Evaluation of Neural Architectures Trained with Square Loss vs "
                    "Cross-Entropy in Classification Tasks",
                    2021,
                    "https://arxiv.org/abs/2006.07322",
                ),
            ),
        ),
        terms={"loss": mse_probabilities},
        optimizer=_ADAM,
        training={"outputs": "classes"},
    )
)
