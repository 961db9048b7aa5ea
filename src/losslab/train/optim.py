r"""Per-member optimisers for stacked ensemble parameters.

Every member has its own algorithm, learning rate and constants, and an update
can be masked per member (a member with fewer critic steps than its ensemble's
maximum skips the extra steps; a diverged member stops). A masked member's
parameters *and* optimiser state stay untouched, as if the step never happened.

Adam (Kingma & Ba 2015) and RMSProp (Tieleman & Hinton 2012, PyTorch's form,
no momentum, not centred) are one update with different constants:

.. math::

    m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\qquad
    v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\qquad
    \theta_t = \theta_{t-1} - \frac{\eta}{c_1}\,\frac{m_t}{\sqrt{v_t / c_2} + \epsilon}

Adam: :math:`c_1 = 1-\beta_1^t`, :math:`c_2 = 1-\beta_2^t` (bias correction).
RMSProp: :math:`\beta_1 = 0` (so :math:`m_t = g_t`), :math:`\beta_2 = \alpha`,
:math:`c_1 = c_2 = 1`. Both match ``torch.optim.Adam`` / ``torch.optim.RMSprop``
with default flags (tests hold this).

Weight decay :math:`\lambda` is *decoupled* (Loshchilov & Hutter 2019, "Decoupled
weight decay regularization", ICLR): before the update above,

.. math::  \theta_{t-1} \leftarrow (1 - \eta\lambda)\,\theta_{t-1},

for the members that step, so it shrinks weights at a rate that does not depend on
the gradient's scale (an L2 term added to the loss would be divided by Adam's
:math:`\sqrt{v_t}`). With Adam this is ``torch.optim.AdamW``; with RMSProp it is the
same decoupled step (torch's ``RMSprop(weight_decay=)`` is the coupled L2 form instead).
:math:`\lambda = 0` (the default) skips it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class OptimizerSettings:
    """One member's optimiser: ``adam`` (lr, betas, eps) or ``rmsprop`` (lr, alpha, eps),
    with decoupled ``weight_decay`` (see the module docstring)."""

    name: str
    lr: float
    betas: tuple[float, float] = (0.9, 0.999)
    alpha: float = 0.99
    eps: float = 1e-8
    weight_decay: float = 0.0

    def constants(self) -> tuple[float, float, float, float, bool]:
        """(lr, beta1, beta2, eps, bias_correction) of the unified update."""
        if self.name == "adam":
            return self.lr, self.betas[0], self.betas[1], self.eps, True
        if self.name == "rmsprop":
            return self.lr, 0.0, self.alpha, self.eps, False
        raise ValueError(f"unknown optimizer {self.name!r}")


class EnsembleOptimizer:
    """Adam/RMSProp over parameters shaped ``[S, ...]``, one setting per member."""

    def __init__(self, params: Sequence[torch.Tensor], settings: Sequence[OptimizerSettings]):
        self.params = list(params)
        n = len(settings)
        if any(p.shape[0] != n for p in self.params):
            raise ValueError("every parameter needs a leading member axis of len(settings)")
        device = self.params[0].device
        cols = list(zip(*(s.constants() for s in settings), strict=True))
        # float64 scalars per member: bias corrections are computed in double like torch does.
        self.lr = torch.tensor(cols[0], dtype=torch.float64, device=device)
        self.beta1 = torch.tensor(cols[1], dtype=torch.float64, device=device)
        self.beta2 = torch.tensor(cols[2], dtype=torch.float64, device=device)
        self.eps = torch.tensor(cols[3], dtype=torch.float32, device=device)
        self.bias_correction = torch.tensor(cols[4], dtype=torch.bool, device=device)
        # decoupled weight decay: the factor 1 - lr * lambda per member, as AdamW computes
        # it (in double, applied to float32 parameters); None when no member decays
        decay = [s.lr * s.weight_decay for s in settings]
        self.shrink = (
            torch.tensor([1.0 - d for d in decay], dtype=torch.float64, device=device)
            if any(d != 0 for d in decay) else None
        )
        self.step_count = torch.zeros(n, dtype=torch.float64, device=device)
        # consecutive parameters share one [S, P] buffer per moment (a bucket of at most
        # BUCKET numbers), so an update is a few large elementwise ops instead of a dozen
        # small ones per parameter tensor, while a bucket's buffers stay within cache;
        # exp_avg / exp_avg_sq are per-parameter views into them (checkpoints, restores)
        self.buckets: list[_Bucket] = []
        for p in self.params:
            size = p[0].numel()
            last = self.buckets[-1] if self.buckets else None
            if last is None or (last.total + size > BUCKET and last.total > 0):
                last = _Bucket()
                self.buckets.append(last)
            last.params.append(p)
            last.sizes.append(size)
            last.total += size
        self.exp_avg, self.exp_avg_sq = [], []
        for b in self.buckets:
            b.allocate(n)
            self.exp_avg += b.views(b.m)
            self.exp_avg_sq += b.views(b.v)

    def advance(
        self, mask: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        r"""Count one step for the members where ``mask`` is true (all if ``None``); return
        ``active`` and the update's per-member coefficients ``[S]`` in float32: the step
        size :math:`\eta / c_1`, :math:`1/\sqrt{c_2}`, and the moments' weights
        :math:`1-\beta_1`, :math:`1-\beta_2` (all 0 for a member that does not step)."""
        n = self.step_count.shape[0]
        active = torch.ones(n, dtype=torch.bool, device=self.lr.device) if mask is None else mask
        self.step_count += active
        t = self.step_count.clamp(min=1.0)  # a member that never stepped gets no NaN from 1/0
        one = torch.ones_like(t)
        c1 = torch.where(self.bias_correction, 1 - self.beta1**t, one)
        c2 = torch.where(self.bias_correction, 1 - self.beta2**t, one)
        on = active.to(torch.float64)
        step_size = (self.lr * on / c1).float()
        inv_sqrt_c2 = c2.rsqrt().float()
        w1 = ((1 - self.beta1) * on).float()
        w2 = ((1 - self.beta2) * on).float()
        return active, step_size, inv_sqrt_c2, w1, w2

    @torch.no_grad()
    def step(self, grads: Sequence[torch.Tensor], mask: torch.Tensor | None = None) -> None:
        """Apply one update to the members where ``mask`` (bool ``[S]``) is true."""
        n = self.step_count.shape[0]
        active, step_size, inv_sqrt_c2, w1, w2 = self.advance(mask)
        # one elementwise pass per bucket: the same operations on the same numbers as
        # one pass per parameter tensor (benchmarks/fused_optimiser.py: 0 difference)
        col = (n, 1)
        w1, w2, eps = w1.view(col), w2.view(col), self.eps.view(col)
        step_size, inv_sqrt_c2 = step_size.view(col), inv_sqrt_c2.view(col)
        grads = list(grads)
        if self.shrink is not None:  # decoupled weight decay, before the update
            factor = torch.where(active, self.shrink, torch.ones_like(self.shrink)).float()
            for p in self.params:
                p.mul_(factor.view((n,) + (1,) * (p.dim() - 1)))
        first = 0
        for b in self.buckets:
            mine = grads[first : first + len(b.params)]
            first += len(b.params)
            m, v, g, work = b.m, b.v, b.g, b.work
            torch.cat([x.reshape(n, -1) for x in mine], 1, out=g)
            m.lerp_(g, w1)
            v.lerp_(torch.mul(g, g, out=work), w2)
            denom = torch.sqrt(v, out=work).mul_(inv_sqrt_c2).add_(eps)
            update = torch.mul(step_size, m, out=g).div_(denom)  # g is spent
            for p, u in zip(b.params, b.views(update), strict=True):
                p.sub_(u)


#: Numbers (per member) one optimiser bucket holds at most: its four [S, P] buffers
#: stay in a core's cache at the ensemble sizes of the examples.
BUCKET = 16384


class _Bucket:
    """Consecutive parameters whose moments live in one ``[S, P]`` buffer each, with two
    work buffers reused by every step (a fresh temporary of this size per op is large
    enough for malloc to map and unmap it each time: page faults cost more than the
    arithmetic; measured in benchmarks/fused_optimiser.py)."""

    def __init__(self):
        self.params: list[torch.Tensor] = []
        self.sizes: list[int] = []
        self.total = 0

    def allocate(self, n: int) -> None:
        like = self.params[0]
        self.m, self.v, self.g, self.work = (
            torch.zeros(n, self.total, dtype=like.dtype, device=like.device) for _ in range(4)
        )

    def views(self, flat: torch.Tensor) -> list[torch.Tensor]:
        """``flat`` ``[S, P]`` cut into views shaped like the parameters."""
        parts = flat.split(self.sizes, 1)
        return [part.view(p.shape) for part, p in zip(parts, self.params, strict=True)]
