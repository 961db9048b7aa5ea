"""Diagnoses of a training run, each a verdict with the numbers behind it.

The thresholds are the module constants below; the report states them.

* **Vanishing gradient** (Arjovsky & Bottou 2017): the discriminator wins and
  the generator stops receiving signal. Verdict when the generator's gradient
  norm at the end (median of the last ``TAIL`` of the record) is at least
  ``VANISH_ORDERS`` orders of magnitude below its peak (maximum of a running
  median over ``SMOOTH`` records, so one spike is not a peak) *and* the
  discriminator ranks real above fake in at least ``ACCURACY`` of pairs at the
  end.
* **Mode collapse** (Srivastava et al. 2017; Lin et al. 2018): fewer modes
  captured than the data has, or a reverse KL of the mode histogram above
  ``REVERSE_KL`` nats (uneven coverage), from
  :func:`losslab.metrics.mode_coverage`.
* **Oscillation**: the loss keeps swinging instead of settling. Verdict when
  the variance of the discriminator loss over the last quarter of training is
  at least ``OSCILLATION_RATIO`` times its variance over the second tenth to
  third tenth of training (after the initial transient): the variance did not
  decay.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

TAIL = 0.1
SMOOTH = 5
VANISH_ORDERS = 2.0
ACCURACY = 0.95
REVERSE_KL = 0.1
OSCILLATION_RATIO = 0.5


@dataclass(frozen=True)
class Diagnosis:
    kind: str  # "vanishing-gradient" | "mode-collapse" | "oscillation"
    verdict: bool
    summary: str  # one line with the numbers
    evidence: dict[str, float] = field(default_factory=dict)


def _tail(values: np.ndarray) -> np.ndarray:
    values = values[np.isfinite(values)]
    return values[-max(1, int(round(len(values) * TAIL))) :]


def _running_median(values: np.ndarray, window: int) -> np.ndarray:
    if len(values) < window:
        return values
    windows = np.lib.stride_tricks.sliding_window_view(values, window)
    return np.median(windows, axis=1)


def vanishing_gradient(g_grad_norm: np.ndarray, d_accuracy: np.ndarray) -> Diagnosis:
    """Did the generator's gradient vanish while the discriminator won?"""
    norms = np.asarray(g_grad_norm, dtype=float)
    norms = norms[np.isfinite(norms)]
    if norms.size == 0:
        return Diagnosis("vanishing-gradient", False, "no finite gradient record")
    peak = float(np.max(_running_median(norms, SMOOTH)))
    end = float(np.median(_tail(norms)))
    acc = float(np.mean(_tail(np.asarray(d_accuracy, dtype=float))))
    orders = float(np.log10(peak / end)) if end > 0 else float("inf")
    verdict = orders >= VANISH_ORDERS and acc >= ACCURACY
    summary = (
        f"generator gradient norm fell {orders:.1f} orders of magnitude from its peak "
        f"({peak:.3g} -> {end:.3g}); discriminator accuracy at the end {acc:.2f}"
    )
    return Diagnosis(
        "vanishing-gradient", verdict, summary,
        {"peak": peak, "end": end, "orders": orders, "accuracy": acc},
    )


def mode_collapse(modes: float, n_modes: int, reverse_kl: float) -> Diagnosis:
    """Are modes missing or covered very unevenly?"""
    verdict = modes < n_modes or reverse_kl > REVERSE_KL
    summary = f"{int(modes)} of {n_modes} modes captured, reverse KL {reverse_kl:.3f}"
    return Diagnosis(
        "mode-collapse", bool(verdict), summary,
        {"modes": float(modes), "n_modes": float(n_modes), "reverse_kl": float(reverse_kl)},
    )


def oscillation(loss: np.ndarray) -> Diagnosis:
    """Does the loss keep swinging as much late in training as early on?"""
    values = np.asarray(loss, dtype=float)
    values = values[np.isfinite(values)]
    n = len(values)
    if n < 20:
        return Diagnosis("oscillation", False, "too short a record to judge")
    early = values[int(0.1 * n) : int(0.3 * n)]
    late = values[int(0.75 * n) :]
    v_early, v_late = float(np.var(early)), float(np.var(late))
    ratio = v_late / v_early if v_early > 0 else (float("inf") if v_late > 0 else 0.0)
    verdict = ratio >= OSCILLATION_RATIO and v_late > 0
    summary = f"loss variance late / early = {ratio:.2f} ({v_late:.3g} vs {v_early:.3g})"
    return Diagnosis("oscillation", bool(verdict), summary, {"ratio": ratio})
