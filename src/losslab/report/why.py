r"""Why-figures: each supervised loss and its gradient as a function of one number.

Classification losses are plotted against the **margin**
:math:`m = z_y - \max_{j\ne y} z_j` on a 3-class sweep with logits
:math:`(m, 0, -|m|-1)` and the true class first: the strongest wrong logit is 0,
so the margin is :math:`m`, and a large :math:`|m|` is a confident prediction,
right for :math:`m > 0` (:math:`p_y \to 1`) and wrong for :math:`m < 0` (the wrong
class 1 takes :math:`p_1 \to 1`). ``sigmoid-bce`` gets its single logit :math:`m`
with label 1 (the binary margin). The gradient is the norm
:math:`\lVert\partial\ell/\partial z\rVert_2` over all logits.

Regression losses are plotted against the **residual** :math:`r = y - \hat y`;
the gradient is :math:`|\partial\ell/\partial\hat y|`, the pull a point exerts on
the fit. ``gaussian-nll`` is drawn with its log-variance fixed at 0
(:math:`\sigma^2 = 1`).

Every curve is computed with autograd from the registered loss function, at its
card's default hyper-parameters (:func:`why_curves`), so the figure shows what
the trainer optimises. :func:`plot_why` draws them, all losses overlaid.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from losslab.losses import all_losses  # noqa: E402
from losslab.losses.registry import LossSpec  # noqa: E402

DPI = 110
N_POINTS = 400  # even: the sweep skips 0, where |r| and max() have kinks
MARGINS = (-8.0, 8.0)
RESIDUALS = (-5.0, 5.0)
REGRESSION_LOSS_TOP = 8.0  # the loss panel's y-limit (MSE and Gaussian NLL run off it)


@dataclass(frozen=True)
class WhyCurve:
    """One loss on the sweep: ``x`` (margin or residual), per-sample ``loss`` and
    gradient magnitude ``grad``, all ``[N]``; ``label`` names the loss and its knobs."""

    x: np.ndarray
    loss: np.ndarray
    grad: np.ndarray
    label: str


def _label(spec: LossSpec, hparams: dict[str, float]) -> str:
    knobs = ", ".join(f"{k}={v:g}" if isinstance(v, int | float) else f"{k}={v}"
                      for k, v in hparams.items())
    return f"{spec.name} ({knobs})" if knobs else spec.name


def _classification_curve(spec: LossSpec, margins: np.ndarray) -> WhyCurve:
    hparams = spec.hyperparameters()
    term = spec.bind("loss", hparams)
    n = len(margins)
    m = torch.tensor(margins, dtype=torch.float64)
    # one sample per member ([N, 1, K]) so the member axis holds the per-sample values
    if spec.training.get("binary"):
        logits = m.view(n, 1, 1).clone().requires_grad_(True)
        targets = torch.ones(n, 1, dtype=torch.int64)
        label = _label(spec, hparams) + " [one logit m, label 1]"
    else:
        logits = torch.stack([m, torch.zeros_like(m), -m.abs() - 1.0], dim=1)
        logits = logits.view(n, 1, 3).requires_grad_(True)
        targets = torch.zeros(n, 1, dtype=torch.int64)
        label = _label(spec, hparams)
    extra = {}
    if spec.training.get("class_weights"):
        extra["class_weights"] = torch.ones(n, logits.shape[-1], dtype=torch.float64)
        label += " [uniform weights]"
    loss = term(logits=logits, targets=targets, **extra)
    (grad,) = torch.autograd.grad(loss.sum(), logits)
    return WhyCurve(margins, loss.detach().numpy(), grad.norm(dim=-1).squeeze(1).numpy(), label)


def _regression_curve(spec: LossSpec, residuals: np.ndarray) -> WhyCurve:
    hparams = spec.hyperparameters()
    term = spec.bind("loss", hparams)
    n = len(residuals)
    width = int(spec.training["outputs"])
    targets = torch.tensor(residuals, dtype=torch.float64).view(n, 1)
    prediction = torch.zeros(n, 1, width, dtype=torch.float64, requires_grad=True)
    label = _label(spec, hparams)
    if spec.training.get("predicts_variance"):
        label += " [log-variance 0]"
    loss = term(prediction=prediction, targets=targets)
    (grad,) = torch.autograd.grad(loss.sum(), prediction)
    return WhyCurve(residuals, loss.detach().numpy(), grad[:, 0, 0].abs().numpy(), label)


def why_curves(family: str, n_points: int = N_POINTS) -> dict[str, WhyCurve]:
    """Loss and gradient magnitude of every registered loss of ``family`` on the sweep."""
    if family == "classification":
        x = np.linspace(*MARGINS, n_points)
        return {s.name: _classification_curve(s, x) for s in all_losses(family)}
    if family == "regression":
        x = np.linspace(*RESIDUALS, n_points)
        return {s.name: _regression_curve(s, x) for s in all_losses(family)}
    raise ValueError(f"why-figures exist for 'classification' and 'regression', not {family!r}")


_TITLES = {
    "classification": (
        r"Classification losses against the margin $m = z_y - \max_{j\neq y} z_j$ "
        r"(3 classes, logits $(m, 0, -|m|-1)$, true class first)",
        "Cross-entropy keeps a gradient near 1 when confidently wrong; MSE on probabilities "
        "loses it there, focal loses it once right, and the hinge is exactly 0 past margin 1 "
        "(zeros not drawn on the log axis).",
        "margin m (negative: wrong class wins)",
        r"gradient norm $\|\partial\ell/\partial z\|_2$ (log scale)",
    ),
    "regression": (
        r"Regression losses against the residual $r = y - \hat y$",
        "The gradient is the pull a point exerts on the fit: MSE's grows without bound, so "
        "outliers dominate; MAE's and the quantile loss's are constant; Huber's and "
        "log-cosh's saturate.",
        r"residual $r = y - \hat y$",
        r"gradient magnitude $|\partial\ell/\partial\hat y|$",
    ),
}


def plot_why(family: str, out_path: Path) -> Path:
    """Two panels for every registered loss of ``family``: per-sample loss (left) and
    gradient magnitude (right) against the margin or residual; returns ``out_path``."""
    curves = why_curves(family)
    title, caption, xlabel, grad_label = _TITLES[family]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    styles = ["-", "--", "-.", ":"]
    for i, curve in enumerate(curves.values()):
        style = styles[i % len(styles)]
        (line,) = left.plot(curve.x, curve.loss, style, lw=1.6, label=curve.label)
        grad = curve.grad
        if family == "classification":
            grad = np.where(grad > 0, grad, np.nan)  # exact zeros cannot sit on a log axis
        right.plot(curve.x, grad, style, lw=1.6, color=line.get_color(), label=curve.label)
    left.set_ylabel(r"per-sample loss $\ell$")
    if family == "classification":
        right.set_yscale("log")
    else:
        left.set_ylim(0.0, REGRESSION_LOSS_TOP)
        left.set_ylabel(rf"per-sample loss $\ell$ (clipped at {REGRESSION_LOSS_TOP:g})")
    right.set_ylabel(grad_label)
    for ax in (left, right):
        ax.set_xlabel(xlabel)
        ax.axvline(0.0, color="black", lw=0.6)
        ax.grid(alpha=0.3)
    left.legend(fontsize=8)
    fig.suptitle(f"{title}\n" + textwrap.fill(caption, 130), fontsize=10)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out_path, dpi=DPI)
    plt.close(fig)
    return out_path
