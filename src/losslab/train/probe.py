r"""The optimal-discriminator probe of Arjovsky & Bottou (2017, Figs. 2 and 3).

Take the generator after ``0`` and after ``N`` training steps, freeze it, train
a *fresh* discriminator against it, and after every discriminator iteration
measure the norm of the generator's gradient under the two generator costs:

.. math::

    \text{minimax: } \nabla_\theta\, \mathbb{E}_z \log(1 - D(G_\theta(z))), \qquad
    \text{-log D: } \nabla_\theta\, -\mathbb{E}_z \log D(G_\theta(z)).

As the discriminator approaches optimality on (nearly) disjoint supports, the
minimax gradient vanishes (the paper: up to 5 orders of magnitude within
~4,000 iterations) while the -log D gradient does not (it grows and turns
noisy). The discriminator trains with the BCE loss and the optimiser of
``nonsaturating-bce``; each member (seed) uses its own random streams.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import torch

from losslab.losses import get_loss
from losslab.rng import torch_generator
from losslab.train.adversarial import AdversarialTask, _Draws, _groups, fit_adversarial
from losslab.train.optim import EnsembleOptimizer

COSTS = ("minimax-bce", "nonsaturating-bce")  # the generator terms compared


def probe_vanishing(
    task: AdversarialTask,
    after: list[int],
    d_iters: int,
    record_every: int = 10,
    progress: Callable[[int], Any] | None = None,
) -> dict[str, Any]:
    """For each generator age in ``after`` (generator steps of ordinary training with
    the task's loss), train a fresh discriminator for ``d_iters`` iterations and record
    the generator gradient norm under both costs, per member.

    Returns ``{"iterations": [...], "curves": {age: {cost: [[S] per record]}},
    "accuracy": {age: [[S] per record]}}``.
    """
    bce = get_loss("nonsaturating-bce")
    d_term = bce.bind("discriminator", {})
    g_terms = {c: get_loss(c).bind("generator", {}) for c in COSTS}
    iterations = [i for i in range(1, d_iters + 1) if i % record_every == 0 or i == 1]
    out: dict[str, Any] = {"iterations": iterations, "curves": {}, "accuracy": {}}
    for age in after:
        # the generator after `age` steps of ordinary training (0: at initialisation)
        trained = replace(task, steps=max(age, 1), eval_every=max(age, 1))
        G = fit_adversarial(trained)[1] if age > 0 else _fresh(task)[0]
        for p in G.parameters():
            p.requires_grad_(False)
        G.eval()
        D = _fresh(task)[1]
        d_params = D.parameter_list()
        d_opt = EnsembleOptimizer(d_params, [m.optimizer for m in task.members])
        g_params = G.parameter_list()
        probe_task = replace(task, steps=d_iters)
        draws = _Draws(probe_task, _groups(task.members, task.device))
        curves: dict[str, list[np.ndarray]] = {c: [] for c in COSTS}
        accuracy: list[np.ndarray] = []
        B = task.batch_size
        for it in range(1, d_iters + 1):
            c = (it - 1) % 64
            if c == 0:
                chunk = draws.chunk(min(64, d_iters - it + 1))
            real = chunk["real"][c, 0]
            with torch.no_grad():
                fake = G(chunk["z_d"][c, 0])
            scores = D(torch.cat([real, fake], 1)).squeeze(-1)
            loss = d_term(real_scores=scores[:, :B], fake_scores=scores[:, B:])
            d_opt.step(torch.autograd.grad(loss.sum(), d_params))
            if it in iterations:
                for p in g_params:
                    p.requires_grad_(True)
                fake_scores = D(G(chunk["z_g"][c])).squeeze(-1)
                for cost, term in g_terms.items():
                    grads = torch.autograd.grad(
                        term(fake_scores=fake_scores).sum(), g_params, retain_graph=True
                    )
                    norm = torch.sqrt(sum(g.pow(2).flatten(1).sum(1) for g in grads))
                    curves[cost].append(norm.detach().cpu().numpy())
                for p in g_params:
                    p.requires_grad_(False)
                acc = (scores[:, :B].detach() > 0).float().mean(1) / 2 + (
                    scores[:, B:].detach() < 0
                ).float().mean(1) / 2
                accuracy.append(acc.cpu().numpy())
            if progress is not None:
                progress(1)
        out["curves"][age] = {c: np.stack(v) for c, v in curves.items()}
        out["accuracy"][age] = np.stack(accuracy)
    return out


def _fresh(task: AdversarialTask):
    """Freshly initialised generator and discriminator ensembles of ``task``."""
    seeds = [(task.study_seed, m.seed) for m in task.members]
    dim = task.dataset.dim
    G = task.generator.build(
        [task.latent_dim, *task.generator.hidden, dim],
        [torch_generator(a, b, "init-generator") for a, b in seeds],
    ).to(task.device)
    D = task.discriminator.build(
        [dim, *task.discriminator.hidden, 1],
        [torch_generator(a, b, "init-discriminator") for a, b in seeds],
    ).to(task.device)
    return G, D
