r"""The adversarial trainer: alternating discriminator/generator updates for an
ensemble whose members may differ in loss, hyper-parameters, ``n_critic`` and
optimiser, but share shapes.

One generator step of member s is

1. ``n_critic[s]`` discriminator steps, each on a fresh real batch and a fresh
   latent batch: minimise the loss's discriminator term plus ``weight * penalty`` for
   each penalty the loss declares (``training["penalties"]``, see
   :mod:`losslab.losses.penalties`), then clip the weights if the loss asks for it;
2. one generator step on a fresh latent batch: minimise the generator term. A generator
   term that takes ``real_scores`` (the relativistic losses) also gets the
   discriminator's scores on a fresh real batch.

The ensemble runs ``max(n_critic)`` discriminator steps; a member with fewer is
masked on the extra ones (no update, no optimiser state change, no draw from
its random streams), so member s reproduces its solo run.

The discriminator is an MLP scoring a sample, or, for losses whose card asks
for it (``training["discriminator"] == "autoencoder"``, EBGAN), an
:class:`~losslab.nets.EnsembleAutoencoder` whose reconstruction error is the
score (an energy), and whose codes of the generated batch reach the generator
term (the pulling-away term). One ensemble has one kind of discriminator.

Recorded per step and member (see :data:`SERIES`), and sample metrics at
checkpoints on ``eval_samples`` samples for every member.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from losslab import threads
from losslab.data import Dataset
from losslab.losses import get_loss
from losslab.losses.knobs import broadcast_knob
from losslab.losses.penalties import PENALTIES, declared_penalties
from losslab.nets import EnsembleAutoencoder, EnsembleMLP
from losslab.progress import resumed
from losslab.rng import torch_generator
from losslab.threads import evaluation_work
from losslab.train import checkpoint
from losslab.train.data import MemberData
from losslab.train.evaluate import SampleEvaluator, blocked
from losslab.train.knobs import group_key
from losslab.train.knobs import stacked as knob_values
from losslab.train.optim import EnsembleOptimizer, OptimizerSettings
from losslab.train.recorder import Recorder
from losslab.train.result import Divergence, MemberResult

SERIES = {
    "d_loss": "discriminator objective (with its penalty) at the member's last critic step",
    "g_loss": "generator objective",
    "d_real": "mean discriminator output on real samples (logit or critic score)",
    "d_fake": "mean discriminator output on generated samples (logit or critic score)",
    "d_accuracy": (
        "fraction of (real, fake) pairs the discriminator ranks correctly (real scored "
        "higher; for an energy discriminator, real given the lower energy)"
    ),
    "d_penalty": "sum of the weighted penalty terms (0 for losses without one)",
    "d_grad_norm": "L2 norm of the discriminator's parameter gradient",
    "g_grad_norm": "L2 norm of the generator's parameter gradient",
    "g_grad_mean": "signed mean of the generator's parameter gradient (the study group's graph)",
    "g_layer_grad_norm": "L2 norm of the generator's gradient per layer (weight and bias)",
    "d_hinge_active": (
        "fraction of generated samples whose energy is below the margin, i.e. where the "
        "discriminator's hinge [m - D(G(z))]^+ is active (losses with a margin: EBGAN)"
    ),
}

CHUNK = 64  # generator steps of random draws made at once per member (part of the RNG scheme)


@dataclass(frozen=True)
class NetShape:
    hidden: tuple[int, ...]
    activation: str
    batch_norm: bool = False
    maxout: int = 1
    init: str = "pytorch"
    init_std: float = 0.02

    def build(self, sizes: list[int], generators: list[torch.Generator]) -> EnsembleMLP:
        return EnsembleMLP(
            sizes, self.activation, generators, self.batch_norm, self.maxout, self.init,
            self.init_std,
        )

    def build_autoencoder(
        self, dim: int, code_dim: int, generators: list[torch.Generator]
    ) -> EnsembleAutoencoder:
        """An autoencoder ``dim -> hidden -> code_dim -> reversed(hidden) -> dim``."""
        return EnsembleAutoencoder(
            dim, self.hidden, code_dim, self.activation, generators,
            batch_norm=self.batch_norm, maxout=self.maxout, init=self.init,
            init_std=self.init_std,
        )


@dataclass(frozen=True)
class AdversarialMember:
    index: int  # position in the study
    label: str  # the loss as reports name it (registry name unless the config gives a label)
    loss: str
    hparams: dict[str, float]
    seed: int
    n_critic: int
    optimizer: OptimizerSettings

    def settings(self) -> dict[str, Any]:
        """Everything that configures this member's training, for the store."""
        return {**self.hparams, "n_critic": self.n_critic, "optimizer": vars(self.optimizer)}


@dataclass(frozen=True)
class AdversarialTask:
    """One ensemble: everything the trainer needs, nothing it must look up elsewhere."""

    study_seed: int
    dataset: Dataset
    latent_dim: int
    generator: NetShape
    discriminator: NetShape
    batch_size: int
    steps: int
    eval_every: int
    eval_samples: int
    record_every: int
    members: tuple[AdversarialMember, ...]
    device: str = "cpu"
    # None: a fresh sample every step (an infinite data set); N: each member draws a
    # training set of N points once and trains on minibatches drawn from it uniformly
    # with replacement.
    data_points: int | None = None
    # where to keep this ensemble's checkpoint (None: no checkpoints), and how often
    # (in generator steps, rounded up to the draw chunk)
    checkpoint_path: str | None = None
    checkpoint_every: int = 256


@dataclass
class _Group:
    """Contiguous members sharing one loss, its structural knobs and ``n_critic``; their
    real-valued knobs may differ (a number, or a per-member ``[S_g]`` tensor, see
    :mod:`losslab.train.knobs`)."""

    members: slice
    d_term: Callable[..., torch.Tensor]
    g_term: Callable[..., torch.Tensor]
    n_critic: int
    # (penalty name, weight, the penalty's own knobs), in declaration order
    penalties: tuple[tuple[str, float | torch.Tensor, dict[str, Any]], ...]
    clip: float | torch.Tensor | None
    margin: float | torch.Tensor | None  # the hinge margin of an energy discriminator (EBGAN)
    wants_codes: bool  # the generator term takes the discriminator's codes of the fakes
    wants_real: bool  # the generator term takes the discriminator's scores of real data


def _groups(members: tuple[AdversarialMember, ...], device: torch.device | str) -> list[_Group]:
    groups: list[_Group] = []
    start = 0
    for i in range(1, len(members) + 1):
        if i < len(members) and _same_group(members[i], members[start]):
            continue
        m = members[start]
        spec = get_loss(m.loss)
        knobs = knob_values(m.loss, [x.hparams for x in members[start:i]], device)
        clip_key = spec.training.get("weight_clip")
        generator_args = inspect.signature(spec.terms["generator"]).parameters
        margin_key = spec.training.get("hinge_margin")
        groups.append(
            _Group(
                members=slice(start, i),
                d_term=spec.bind("discriminator", knobs),
                g_term=spec.bind("generator", knobs),
                n_critic=m.n_critic,
                penalties=tuple(
                    (name, knobs[weight], {k: knobs[k] for k in PENALTIES[name].knobs()})
                    for name, weight in declared_penalties(spec.training).items()
                ),
                clip=knobs[clip_key] if clip_key else None,
                margin=knobs[margin_key] if margin_key else None,
                wants_codes="fake_codes" in generator_args,
                wants_real="real_scores" in generator_args,
            )
        )
        start = i
    return groups


def discriminator_key(m: AdversarialMember) -> tuple[str, int]:
    """The discriminator a member needs: ``("mlp", 0)`` or ``("autoencoder", code_dim)``."""
    kind = get_loss(m.loss).training.get("discriminator", "mlp")
    return (kind, int(m.hparams["code_dim"]) if kind == "autoencoder" else 0)


def _same_group(a: AdversarialMember, b: AdversarialMember) -> bool:
    return (group_key(a.loss, a.hparams), a.n_critic) == (group_key(b.loss, b.hparams), b.n_critic)


def training_passes(task: AdversarialTask, m: AdversarialMember) -> int:
    """Network passes (one forward or one backward of one network over one batch) that
    member ``m`` spends training; evaluation is not counted. Per generator step:
    ``n_critic`` critic steps of 5 passes (G forward on the latent batch; D forward on the
    real and on the fake batch; D backward on both) plus 4 for a gradient penalty (D forward
    on the penalised points, the input-gradient backward, and its double backward, counted
    2) per declared penalty, then the generator step's 4 (G forward, D forward, D and G
    backward) plus 1 (D forward on a real batch) for a generator term that takes
    ``real_scores``."""
    spec = get_loss(m.loss)
    penalties = len(declared_penalties(spec.training))
    real = "real_scores" in inspect.signature(spec.terms["generator"]).parameters
    return task.steps * (m.n_critic * (5 + 4 * penalties) + 4 + real)


class _Draws:
    """Each member's random draws, CHUNK generator steps at a time, stacked over members.

    Per chunk of ``k`` generator steps, member ``s`` with ``c = n_critic`` draws, in this
    order:

    * from its data stream: the critic's real batches ``[k, c, B, d]``, then, only if its
      generator term takes ``real_scores``, the generator steps' real batches ``[k, B, d]``;
    * from its ``latent`` stream: the critic's latents ``[k, c, B, z]``, then the generator
      steps' ``[k, B, z]``;
    * from its ``penalty`` stream: for each penalty its loss declares, in declaration
      order, each draw the penalty needs in the order of :attr:`Penalty.needs`, uniform on
      ``[0, 1)``: ``eps`` ``[k, c, B, 1]``, ``noise`` ``[k, c, B, d]``. A member without
      penalties draws nothing from it.

    A member draws nothing its loss does not use, so its numbers do not depend on the
    losses of the other members.
    """

    def __init__(self, task: AdversarialTask, groups: list[_Group]):
        self.task = task
        self.n_critic_max = max(m.n_critic for m in task.members)
        self.penalties: list[tuple[str, ...]] = [()] * len(task.members)
        self.wants_real = [False] * len(task.members)
        for g in groups:
            for s in range(g.members.start, g.members.stop):
                self.penalties[s] = tuple(name for name, _, _ in g.penalties)
                self.wants_real[s] = g.wants_real
        # every (penalty, draw) some member needs, in first-use order: one stacked tensor each
        self.penalty_keys = list(
            dict.fromkeys(
                f"{name}/{need}" for names in self.penalties for name in names
                for need in PENALTIES[name].needs
            )
        )
        seeds = [(task.study_seed, m.seed) for m in task.members]
        self.data = [MemberData(task.dataset, a, b, task.data_points) for a, b in seeds]
        self.data_rng = [m.rng for m in self.data]
        self.latent_rng = [torch_generator(a, b, "latent") for a, b in seeds]
        self.penalty_rng = [torch_generator(a, b, "penalty") for a, b in seeds]

    def chunk(self, k: int) -> dict[str, torch.Tensor]:
        """Draws for the next ``k`` generator steps, laid out ``[k, n_critic_max, S, B, ...]``
        (``real_g``, ``z_g``: ``[k, S, B, ...]``; a penalty's draw under ``"name/need"``)."""
        t, B, nc = self.task, self.task.batch_size, self.n_critic_max
        d, z = t.dataset.dim, t.latent_dim
        real, real_g, z_d, z_g = [], [], [], []
        pen: dict[str, list[torch.Tensor]] = {key: [] for key in self.penalty_keys}
        for s, m in enumerate(t.members):
            c = m.n_critic
            x = torch.from_numpy(self.data[s].sample(k * c * B)).view(k, c, B, d)
            real.append(_pad(x, nc))
            real_g.append(
                torch.from_numpy(self.data[s].sample(k * B)).view(k, B, d)
                if self.wants_real[s]
                else torch.zeros(k, B, d, dtype=x.dtype)
            )
            z_d.append(_pad(torch.randn(k, c, B, z, generator=self.latent_rng[s]), nc))
            z_g.append(torch.randn(k, B, z, generator=self.latent_rng[s]))
            mine = {}
            for name in self.penalties[s]:
                for need in PENALTIES[name].needs:
                    shape = (1,) if need == "eps" else (d,)
                    draw = torch.rand(k, c, B, *shape, generator=self.penalty_rng[s])
                    mine[f"{name}/{need}"] = _pad(draw, nc)
            for key, draws in pen.items():
                shape = (1,) if key.endswith("/eps") else (d,)
                draws.append(mine.get(key, torch.zeros(k, nc, B, *shape)))
        dev = t.device
        out = {
            "real": torch.stack(real, 2).to(dev),
            "z_d": torch.stack(z_d, 2).to(dev),
            "z_g": torch.stack(z_g, 1).to(dev),
        }
        if any(self.wants_real):
            out["real_g"] = torch.stack(real_g, 1).to(dev)
        return out | {key: torch.stack(v, 2).to(dev) for key, v in pen.items()}


def _pad(x: torch.Tensor, n: int) -> torch.Tensor:
    """Pad the critic-step axis (1) with zeros up to ``n`` (masked steps draw nothing)."""
    if x.shape[1] == n:
        return x
    return torch.cat([x, x.new_zeros(x.shape[0], n - x.shape[1], *x.shape[2:])], 1)


def _grad_stats(
    grads: list[torch.Tensor], layer_sizes: list[int]
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per member: total L2 norm, per-layer L2 norms ``[L, S]``, signed mean."""
    sq = [g.pow(2).sum((1, 2)) for g in grads]
    bounds = np.cumsum([0, *layer_sizes])
    layer_sq = torch.stack([sum(sq[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)])
    total = layer_sq.sum(0).sqrt()
    count = sum(g[0].numel() for g in grads)
    mean = sum(g.sum((1, 2)) for g in grads) / count
    return total, layer_sq.sqrt(), mean


def train_adversarial(
    task: AdversarialTask, progress: Callable[[int], Any] | None = None
) -> list[MemberResult]:
    """Train every member of ``task`` as one ensemble; one result per member, in order.

    Members are trained sorted by ``n_critic`` (largest first, stable), so the
    members still active at critic step j form a prefix and the discriminator
    work of step j runs on that prefix only.
    """
    order = sorted(range(len(task.members)), key=lambda i: -task.members[i].n_critic)
    task = replace(task, members=tuple(task.members[i] for i in order))
    results, _, _ = fit_adversarial(task, progress)
    back = {i: r for i, r in zip(order, results, strict=True)}
    return [back[i] for i in range(len(order))]


def fit_adversarial(
    task: AdversarialTask, progress: Callable[[int], Any] | None = None
) -> tuple[list[MemberResult], EnsembleMLP, EnsembleMLP]:
    """Train ``task`` (members already sorted by ``n_critic``, largest first); return the
    results and the trained generator and discriminator ensembles."""
    if any(a.n_critic < b.n_critic for a, b in zip(task.members, task.members[1:], strict=False)):
        raise ValueError("fit_adversarial needs members sorted by n_critic, largest first")
    members, S, B = task.members, len(task.members), task.batch_size
    dev = torch.device(task.device)
    groups = _groups(members, dev)
    seeds = [(task.study_seed, m.seed) for m in members]
    d_dim = task.dataset.dim
    G = task.generator.build(
        [task.latent_dim, *task.generator.hidden, d_dim],
        [torch_generator(a, b, "init-generator") for a, b in seeds],
    ).to(dev)
    kinds = {discriminator_key(m) for m in members}
    if len(kinds) != 1:
        raise ValueError(f"one ensemble needs one kind of discriminator, got {sorted(kinds)}")
    kind, code_dim = kinds.pop()
    d_gens = [torch_generator(a, b, "init-discriminator") for a, b in seeds]
    D = (
        task.discriminator.build_autoencoder(d_dim, code_dim, d_gens)
        if kind == "autoencoder"
        else task.discriminator.build([d_dim, *task.discriminator.hidden, 1], d_gens)
    ).to(dev)
    margins = torch.full((S,), float("nan"), device=dev)
    for g in groups:
        if g.margin is not None:
            margins[g.members] = g.margin
    has_margin = bool(torch.isfinite(margins).any())
    # +1: a higher score means "real"; -1: the score is an energy, low on real data
    sign = -1.0 if kind == "autoencoder" else 1.0
    wants_codes = any(g.wants_codes for g in groups)
    g_params, d_params = G.parameter_list(), D.parameter_list()
    g_layer_sizes = [len(group) for group in G.parameter_groups()]
    g_opt = EnsembleOptimizer(g_params, [m.optimizer for m in members])
    d_opt = EnsembleOptimizer(d_params, [m.optimizer for m in members])
    draws = _Draws(task, groups)
    # members active at critic step j: the prefix [0, prefix[j]) (members sorted by n_critic)
    prefix = [sum(m.n_critic > j for m in members) for j in range(draws.n_critic_max)]
    in_prefix = [torch.arange(S, device=dev) < k for k in prefix]
    divergence = Divergence(S, dev, unit="generator step")
    alive = divergence.alive
    rec = Recorder(task.steps, task.record_every, S)
    evaluator = _evaluator(task, G, D)
    evaluator.evaluate(0, alive)

    nan = torch.full((S,), float("nan"), device=dev)
    chunk: dict[str, torch.Tensor] = {}
    carried = {"G": G, "D": D, "g_opt": g_opt, "d_opt": d_opt, "draws": draws, "rec": rec,
               "evaluator": evaluator, "divergence": divergence}
    start = _restore(task, carried) + 1
    alive = divergence.alive
    if progress is not None and start > 1:
        resumed(progress, start - 1)
    every = -(-task.checkpoint_every // CHUNK) * CHUNK
    for step in range(start, task.steps + 1):
        c = (step - 1) % CHUNK
        if c == 0:
            chunk = draws.chunk(min(CHUNK, task.steps - step + 1))
        recording = rec.due(step)
        names = ("d_loss", "d_real", "d_fake", "d_acc", "d_pen", "d_gn", "d_hinge")
        last = {name: nan for name in names}
        for j, k in enumerate(prefix):
            sub = slice(0, k)
            active = alive & in_prefix[j]
            real = chunk["real"][c, j, :k]
            with torch.no_grad():
                fake = G(chunk["z_d"][c, j, :k], sub)
            scores = D(torch.cat([real, fake], 1), sub).squeeze(-1)
            real_s, fake_s = scores[:, :B], scores[:, B:]
            parts, pens = [], []
            for g in groups:
                if j >= g.n_critic:  # sorted: this group and all after it are past their steps
                    break
                sl = g.members
                loss = g.d_term(real_scores=real_s[sl], fake_scores=fake_s[sl])
                pen = torch.zeros_like(loss)
                for name, weight, knobs in g.penalties:
                    critic = lambda x, sl=sl: D(x, sl)  # noqa: E731
                    needs = PENALTIES[name].needs
                    drawn = {n: chunk[f"{name}/{n}"][c, j, sl] for n in needs}
                    value = PENALTIES[name].fn(critic, real[sl], fake[sl], **drawn, **knobs)
                    pen = pen + weight * value
                parts.append(loss + pen)
                pens.append(pen)
            d_loss = torch.cat(parts)
            grads = torch.autograd.grad(torch.where(alive[:k], d_loss, 0).sum(), d_params)
            d_opt.step(grads, active)
            with torch.no_grad():
                for g in groups[: len(parts)]:
                    if g.clip is not None:
                        for p in d_params:
                            bound = broadcast_knob(g.clip, p[g.members])
                            p[g.members].clamp_(min=-bound, max=bound)
                values = {"d_loss": d_loss.detach()}
                if recording:
                    values |= {
                        "d_real": real_s.mean(1),
                        "d_fake": fake_s.mean(1),
                        "d_acc": (sign * real_s > sign * fake_s).float().mean(1),
                        "d_pen": torch.cat(pens).detach(),
                        "d_gn": torch.stack([g.pow(2).sum((1, 2)) for g in grads])
                        .sum(0)
                        .sqrt()[:k],
                    }
                    if has_margin:
                        below = (fake_s < margins[:k, None]).float().mean(1)
                        values["d_hinge"] = torch.where(margins[:k].isnan(), nan[:k], below)
                for name, v in values.items():
                    padded = torch.cat([v.detach(), nan[k:]]) if k < S else v.detach()
                    last[name] = torch.where(active, padded, last[name])

        fake = G(chunk["z_g"][c])
        if wants_codes:
            fake_s, codes = D.energy_and_codes(fake)
        else:
            fake_s, codes = D(fake).squeeze(-1), None
        parts = []
        for g in groups:
            args = {"fake_scores": fake_s[g.members]}
            if g.wants_codes:
                args["fake_codes"] = codes[g.members]
            if g.wants_real:  # the relativistic losses: D's scores on a fresh real batch
                args["real_scores"] = D(chunk["real_g"][c, g.members], g.members).squeeze(-1)
            parts.append(g.g_term(**args))
        g_loss = torch.cat(parts)
        grads = torch.autograd.grad(torch.where(alive, g_loss, 0).sum(), g_params)
        g_opt.step(grads, alive)
        g_loss = g_loss.detach()

        divergence.check(step, last["d_loss"], g_loss)
        alive = divergence.alive
        if recording:
            g_norm, g_layers, g_mean = _grad_stats(list(grads), g_layer_sizes)
            if has_margin:
                rec.record(step, d_hinge_active=last["d_hinge"])
            rec.record(
                step,
                d_loss=last["d_loss"],
                g_loss=g_loss,
                d_real=last["d_real"],
                d_fake=last["d_fake"],
                d_accuracy=last["d_acc"],
                d_penalty=last["d_pen"],
                d_grad_norm=last["d_gn"],
                g_grad_norm=g_norm,
                g_grad_mean=g_mean,
                g_layer_grad_norm=g_layers,
            )
        if step % task.eval_every == 0 or step == task.steps:
            evaluator.evaluate(step, alive)
        if task.checkpoint_path and step % every == 0 and step < task.steps:
            _checkpoint(task, carried, step)
        threads.tick()  # under an automatic choice: the threads for the load now
        if progress is not None:
            progress(1)

    evaluator.field_grid()
    results = evaluator.member_results(members, divergence, rec)
    return results, G, D


def _checkpoint(task: AdversarialTask, parts: dict[str, Any], step: int) -> None:
    """Save everything the loop carries from one step to the next (see train.checkpoint)."""
    draws, rec, ev, div = parts["draws"], parts["rec"], parts["evaluator"], parts["divergence"]
    owner = parts.setdefault("task_hash", checkpoint.task_hash(task))
    checkpoint.save(
        task.checkpoint_path,
        {
            "step": step,
            "members": [m.index for m in task.members],
            "G": parts["G"].state_dict(),
            "D": parts["D"].state_dict(),
            "optimizers": {
                k: {"t": o.step_count, "m": o.exp_avg, "v": o.exp_avg_sq}
                for k, o in (("g", parts["g_opt"]), ("d", parts["d_opt"]))
            },
            "rng": {
                "data": [g.bit_generator.state for g in draws.data_rng],
                "latent": [g.get_state() for g in draws.latent_rng],
                "penalty": [g.get_state() for g in draws.penalty_rng],
            },
            "recorder": rec.buffers,
            "evaluator": ev.state(),
            "divergence": {"alive": div.alive, "step": [-1 if s is None else s for s in div.step]},
        },
        owner,
    )


def _restore(task: AdversarialTask, parts: dict[str, Any]) -> int:
    """Load the ensemble's checkpoint if there is one written for this very task (see
    :func:`checkpoint.task_hash`); return the last completed step (0: none usable, the
    ensemble trains from the start)."""
    owner = parts.setdefault("task_hash", checkpoint.task_hash(task))
    state = checkpoint.load_for(task.checkpoint_path, owner)
    if state is None:
        return 0
    problem = _unfit(state, parts)
    if problem is not None:  # checked before anything is loaded: nothing half-restored
        checkpoint.warn(f"checkpoint {task.checkpoint_path} does not fit this ensemble "
                        f"({problem}); ignored, the ensemble trains from the start")
        return 0
    parts["G"].load_state_dict(state["G"])
    parts["D"].load_state_dict(state["D"])
    for key in ("g", "d"):
        opt, saved = parts[f"{key}_opt"], state["optimizers"][key]
        opt.step_count.copy_(saved["t"])
        for mine, theirs in ((opt.exp_avg, saved["m"]), (opt.exp_avg_sq, saved["v"])):
            for a, b in zip(mine, theirs, strict=True):
                a.copy_(b)
    draws = parts["draws"]
    for g, st in zip(draws.data_rng, state["rng"]["data"], strict=True):
        g.bit_generator.state = st
    for gens, key in ((draws.latent_rng, "latent"), (draws.penalty_rng, "penalty")):
        for g, st in zip(gens, state["rng"][key], strict=True):
            g.set_state(st)
    parts["rec"].buffers = dict(state["recorder"])
    parts["evaluator"].load_state(state["evaluator"], checkpoint.to_numpy)
    div = parts["divergence"]
    div.alive = state["divergence"]["alive"]
    div.step = [None if s < 0 else s for s in state["divergence"]["step"]]
    return int(state["step"])


def _unfit(state: dict[str, Any], parts: dict[str, Any]) -> str | None:
    """Why ``state`` cannot be loaded into ``parts`` (shapes, lengths), or None."""
    try:
        for net in ("G", "D"):
            mine = {k: tuple(v.shape) for k, v in parts[net].state_dict().items()}
            if {k: tuple(v.shape) for k, v in state[net].items()} != mine:
                return f"{net}'s parameters differ"
        for key in ("g", "d"):
            opt, saved = parts[f"{key}_opt"], state["optimizers"][key]
            for mine, theirs in ((opt.exp_avg, saved["m"]), (opt.exp_avg_sq, saved["v"])):
                if [tuple(a.shape) for a in mine] != [tuple(b.shape) for b in theirs]:
                    return "the optimiser state differs"
        draws = parts["draws"]
        for gens, key in ((draws.data_rng, "data"), (draws.latent_rng, "latent"),
                          (draws.penalty_rng, "penalty")):
            if len(gens) != len(state["rng"][key]):
                return "the random streams differ"
        if len(state["divergence"]["step"]) != len(parts["divergence"].step):
            return "the members differ"
        rows = len(parts["rec"].steps)
        if any(len(b) != rows for b in state["recorder"].values()):
            return "the recorded steps differ"
        int(state["step"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _evaluator(task: AdversarialTask, G: EnsembleMLP, D: torch.nn.Module) -> SampleEvaluator:
    """Each member generates from a fixed latent sample of its ``eval`` stream, in eval
    mode (batch norm uses its running statistics); the field is the critic's score."""

    @torch.no_grad()
    def generate(generators: list[torch.Generator]) -> torch.Tensor:
        z = [torch.randn(task.eval_samples, task.latent_dim, generator=g) for g in generators]
        G.eval()
        out = blocked(G, torch.stack(z).to(task.device))
        G.train()
        return out

    return SampleEvaluator(
        task.dataset, task.study_seed, [m.seed for m in task.members], task.eval_samples,
        generate, field=lambda x: D(x).squeeze(-1), device=task.device,
        work=evaluation_work(task),
    )
