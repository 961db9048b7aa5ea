"""The diagnoses a report states, per loss, from the stored series and final metrics.

Each member is diagnosed with :mod:`losslab.metrics.diagnostics` (thresholds
documented there); a loss's verdict is "detected" when at least half of its
seeds show it, and the line says in how many and gives the median seed's numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from losslab.metrics import diagnostics as dx
from losslab.metrics.baselines import SCORED

EXPLANATIONS = {
    "vanishing-gradient": (
        "The discriminator tells real from generated almost perfectly and the generator's "
        "gradient has shrunk by orders of magnitude, so the generator stops learning. This "
        "is the failure of the saturating minimax loss that the -log D trick and the "
        "Wasserstein losses were designed to avoid."
    ),
    "mode-collapse": (
        "The generator covers only some of the data's modes, or covers them very unevenly: "
        "its samples may look right while whole regions of the data are never produced."
    ),
    "oscillation": (
        "The discriminator's loss keeps swinging as much late in training as early on "
        "instead of settling: the two players chase each other rather than converge."
    ),
}
THRESHOLDS = (
    f"vanishing gradient: norm down >= {dx.VANISH_ORDERS:g} orders of magnitude from its "
    f"peak with discriminator accuracy >= {dx.ACCURACY:g}; mode collapse: fewer modes than "
    f"the data or reverse KL > {dx.REVERSE_KL:g}; oscillation: late/early loss variance >= "
    f"{dx.OSCILLATION_RATIO:g}. A loss is flagged when at least half of its seeds are."
)


def diagnose(
    members: Sequence[dict[str, Any]],
    series: Callable[[int], dict[str, tuple[np.ndarray, np.ndarray]]],
    n_modes: dict[str, int | None],
) -> list[dict[str, Any]]:
    """Diagnoses per (dataset, loss) of a generative study: vanishing gradients and
    oscillation for adversarial losses, mode collapse for every generative loss.

    ``series(member_id)`` gives a member's stored series; ``n_modes[dataset]`` the
    number of modes of each dataset (``None``: no known modes).
    """
    found: dict[tuple[str, str, str], list[dx.Diagnosis]] = {}
    registry: dict[str, str] = {}
    for m in members:
        if m["status"] not in SCORED:
            continue
        s = series(m["member_id"])
        registry[m["loss"]] = m["registry_name"]
        key = (m["dataset"], m["loss"])
        results = []
        if "g_grad_norm" in s:  # the adversarial diagnoses
            results += [
                dx.vanishing_gradient(s["g_grad_norm"][1], s["d_accuracy"][1]),
                dx.oscillation(s["d_loss"][1]),
            ]
        k = n_modes.get(m["dataset"])
        if k and "modes" in m["metrics"]:
            results.append(dx.mode_collapse(m["metrics"]["modes"], k, m["metrics"]["reverse_kl"]))
        for d in results:
            found.setdefault((*key, d.kind), []).append(d)
    several = len({k[0] for k in found}) > 1
    out = []
    for (dataset, loss, kind), ds in found.items():
        hits = [d for d in ds if d.verdict]
        pick = hits or ds
        median = pick[len(pick) // 2]
        out.append(
            {
                "loss": loss,
                "registry_name": registry[loss],
                "dataset": dataset,
                "kind": kind if not several else f"{kind} ({dataset})",
                "verdict": 2 * len(hits) >= len(ds),
                "seeds_detected": len(hits),
                "seeds": len(ds),
                "summary": f"in {len(hits)} of {len(ds)} seeds; e.g. {median.summary}",
                "explanation": EXPLANATIONS[kind],
            }
        )
    return out
