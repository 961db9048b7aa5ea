r"""The trainer of the likelihood-style generative families: energy-based models
trained by maximum likelihood with Langevin MCMC or by noise-contrastive estimation,
denoising and sliced score matching, DDPM and flow matching. One network per member,
trained on data alone; a sampler turns it into samples. They differ only in a
:class:`Method`:

``ebm`` (``contrastive-divergence``)
    An energy :math:`E_\theta(x)` (MLP ``d -> hidden -> 1``). Each step takes
    ``B`` chains from the member's persistent replay buffer (each re-initialised
    with probability ``reinit_prob`` from uniform noise over the data's bounding
    box), runs ``langevin_steps`` Langevin updates
    :math:`x \leftarrow x - \text{step\_size}\,\mathrm{clip}(\nabla_x E) + \text{noise}\,\xi`
    on them (:func:`~losslab.sampling.langevin.langevin`), writes them back, and
    minimises :math:`\bar E(x^+) - \bar E(x^-)` plus the energy-magnitude
    regulariser. Evaluation samples come from a long chain (``eval_steps``) started
    from uniform noise over the box; the 2-D field is the energy.
``dsm`` (``dsm``, ``dsm-annealed``)
    A noise-conditional score :math:`s_\theta(\tilde x, \sigma_i) =
    \mathrm{MLP}([\tilde x, \mathrm{emb}(i)]) / \sigma_i` (Song & Ermon 2020,
    technique 3); each sample draws a level ``i`` uniformly and
    :math:`\tilde x = x + \sigma_i z`. Evaluation: annealed Langevin from uniform
    noise over the box, with the final denoising step.
``ddpm`` (``ddpm-eps``, ``ddpm-x0``, ``ddpm-v``)
    A network :math:`f_\theta([x_t, \mathrm{emb}(t)])` predicting the noise, the
    clean sample or the velocity; each sample draws ``t`` uniformly from
    ``0..T-1``. Evaluation: the ancestral sampler from :math:`x_T \sim N(0, I)`.
``nce`` (``nce``)
    The EBM's energy network fitted by logistic regression of data against
    ``noise_ratio * B`` samples of a Gaussian fitted to the member's data (mean and
    covariance of 2,000 of its points). Evaluation: the EBM's Langevin chain.
``ssm`` (``sliced-score-matching``)
    An unconditional score network ``d -> hidden -> d`` fitted by the sliced Fisher
    divergence on clean data. Evaluation: Langevin from uniform noise over the box.
``flow`` (``flow-matching``)
    A velocity network :math:`v_\theta([x_t, \mathrm{emb}(1000\,t)])` regressed on the
    straight noise-to-data path's velocity, :math:`t \sim U[0, 1]` per sample.
    Evaluation: the Euler or Heun ODE solver from :math:`x_0 \sim N(0, I)`.

Every member of one task has the same loss and knobs (the planner groups them
so); they differ in seed (and may differ in optimiser). Member s draws its data
batches from its ``data`` stream and every other training draw (chain starts,
Langevin noise, buffer picks, noise levels, time steps, noise) from its
``sampler`` stream, so it reproduces its solo run; sampling at checkpoints uses
its ``eval`` stream (:class:`~losslab.train.evaluate.SampleEvaluator`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from losslab import threads
from losslab.data import Dataset
from losslab.losses import get_loss
from losslab.nets import EnsembleMLP
from losslab.rng import numpy_generator, per_member, torch_generator
from losslab.sampling.diffusion import (
    alphas_bar,
    ancestral_sample,
    beta_schedule,
    prediction_target,
    q_sample,
    timestep_embedding,
)
from losslab.sampling.flow import flow_path, flow_target, sample_flow
from losslab.sampling.langevin import annealed_langevin, energy_score, langevin
from losslab.threads import evaluation_work
from losslab.train.adversarial import NetShape
from losslab.train.data import MemberData
from losslab.train.evaluate import SampleEvaluator, blocked
from losslab.train.optim import EnsembleOptimizer, OptimizerSettings
from losslab.train.recorder import Recorder
from losslab.train.result import Divergence, MemberResult

SERIES = {
    "loss": "the member's training objective on its batch",
    "grad_norm": "L2 norm of the member's parameter gradient",
    "data_energy": "mean energy of the data batch (energy-based models)",
    "sample_energy": "mean energy of the batch's Langevin samples (energy-based models)",
    "langevin_grad_norm": (
        "per-sample L2 norm of the energy's gradient along the training chains, "
        "mean over the batch and the Langevin steps (energy-based models); the array "
        "langevin_grad_by_step keeps it per Langevin step at every recorded step"
    ),
}

CHUNK = 64  # steps of data drawn at once per member (part of the RNG scheme)


@dataclass(frozen=True)
class GenerativeMember:
    index: int
    label: str
    loss: str
    hparams: dict[str, Any]
    seed: int
    optimizer: OptimizerSettings

    def settings(self) -> dict[str, Any]:
        return {**self.hparams, "optimizer": vars(self.optimizer)}


@dataclass(frozen=True)
class GenerativeTask:
    study_seed: int
    dataset: Dataset
    network: NetShape
    batch_size: int
    steps: int
    eval_every: int
    eval_samples: int
    record_every: int
    members: tuple[GenerativeMember, ...]
    device: str = "cpu"
    data_points: int | None = None


def training_passes(task: GenerativeTask, m: GenerativeMember) -> int:
    """Network passes spent training: a forward and a backward per step, plus, for the
    Langevin EBM, a forward and a backward per Langevin step of the negative chains and a
    second forward and backward for the negatives' energies; NCE's noise batch counts
    ``noise_ratio`` passes, and sliced score matching two more per projection (the
    Jacobian-vector product and the backward through it)."""
    spec = get_loss(m.loss)
    method, h = spec.training["method"], m.hparams
    per_step = 2
    if method == "ebm":
        per_step = 4 + 2 * int(h["langevin_steps"])
    elif method == "nce":  # a forward and a backward on the data and on nu times as much noise
        per_step = 2 * (1 + int(h["noise_ratio"]))
    elif method == "ssm":  # a backward per projection for v^T J v, then back through each
        per_step = 2 + 2 * int(h["n_projections"])
    return task.steps * per_step


class Method:
    """How one family turns a network into a loss and into samples."""

    extra_inputs = 0  # width added to the data at the network's input
    outputs = 1

    def __init__(self, task: GenerativeTask, hparams: dict[str, Any], sample: torch.Tensor):
        # sample: [S, n, d] data points per member from its sampler stream (_data_sample)
        self.task, self.h, self.sample = task, hparams, sample
        self.box = torch.stack([sample.amin(1), sample.amax(1)], dim=1)  # [S, 2, d] low, high
        self.spec = get_loss(task.members[0].loss)

    def uniform(self, gens: list[torch.Generator], n: int) -> torch.Tensor:
        """``n`` points per member, uniform over its data box: ``[S, n, d]``."""
        d = self.task.dataset.dim
        u = per_member(gens, lambda g: torch.rand(n, d, generator=g), self.box.device)
        low, high = self.box[:, :1], self.box[:, 1:]
        return low + u * (high - low)

    def loss(self, net: EnsembleMLP, x: torch.Tensor, gens) -> tuple[torch.Tensor, dict]:
        raise NotImplementedError

    def generate(self, net: EnsembleMLP, gens: list[torch.Generator]) -> torch.Tensor:
        raise NotImplementedError

    def field(self, net: EnsembleMLP) -> Callable[[torch.Tensor], torch.Tensor] | None:
        return None


class EnergyMethod(Method):
    ROLE = "energy"  # the card's term this method calls

    def __init__(self, task, hparams, sample):
        super().__init__(task, hparams, sample)
        self.term = self.spec.bind(self.ROLE, hparams)
        self.buffer: torch.Tensor | None = None
        self.clip = float(hparams["grad_clip"]) or None

    def _energy(self, net: EnsembleMLP) -> Callable[[torch.Tensor], torch.Tensor]:
        return lambda x: net(x).squeeze(-1)

    def _chains(self, net, x, steps, gens):
        h = self.h
        return langevin(
            energy_score(self._energy(net)), x, steps, h["step_size"], h["noise"], gens, self.clip
        )

    def loss(self, net, x, gens):
        S, B = x.shape[:2]
        size = int(self.h["buffer_size"])
        if self.buffer is None:
            self.buffer = self.uniform(gens, size)
        pick = per_member(gens, lambda g: torch.randint(size, (B,), generator=g), x.device)
        fresh = self.uniform(gens, B)
        reinit = per_member(gens, lambda g: torch.rand(B, generator=g), x.device)
        reinit = (reinit < self.h["reinit_prob"]).unsqueeze(-1)
        rows = torch.arange(S, device=x.device).unsqueeze(1)
        start = torch.where(reinit, fresh, self.buffer[rows, pick])
        negatives, grad_norms = self._chains(net, start, int(self.h["langevin_steps"]), gens)
        self.buffer[rows, pick] = negatives
        energy = self._energy(net)
        data_e, sample_e = energy(x), energy(negatives)
        loss = self.term(data_energy=data_e, sample_energy=sample_e)
        return loss, {
            "data_energy": data_e.detach().mean(1),
            "sample_energy": sample_e.detach().mean(1),
            "langevin_grad_norm": grad_norms.mean(0),
            "langevin_grad_by_step": grad_norms,
        }

    def generate(self, net, gens):
        x = self.uniform(gens, self.task.eval_samples)
        return self._chains(net, x, int(self.h["eval_steps"]), gens)[0]

    def field(self, net):
        energy = self._energy(net)
        return lambda x: energy(x).detach()


class _Conditional(Method):
    """A network conditioned on a level or time step through a sinusoidal embedding."""

    def __init__(self, task, hparams, sample):
        super().__init__(task, hparams, sample)
        self.embed_dim = int(hparams.get("embedding_dim", 32))
        self.extra_inputs = self.embed_dim
        self.outputs = task.dataset.dim

    def run(self, net: EnsembleMLP, x: torch.Tensor, level: torch.Tensor) -> torch.Tensor:
        """``net([x, emb(level)])`` for ``x [S, B, d]`` and ``level [S, B]`` (or a scalar)."""
        level = torch.as_tensor(level, dtype=torch.float32, device=x.device).expand(x.shape[:2])
        return net(torch.cat([x, timestep_embedding(level, self.embed_dim)], -1))


class ScoreMethod(_Conditional):
    def __init__(self, task, hparams, sample):
        super().__init__(task, hparams, sample)
        self.term = self.spec.bind("score", hparams)
        self.sigmas = [float(s) for s in self.spec.training["sigma_levels"](hparams)]
        self.sigma_t = torch.tensor(self.sigmas, device=sample.device)

    def score(self, net, x, level):
        sigma = self.sigma_t[level] if torch.is_tensor(level) else self.sigmas[level]
        if torch.is_tensor(sigma):
            sigma = sigma.unsqueeze(-1)
        return self.run(net, x, level) / sigma

    def loss(self, net, x, gens):
        S, B, d = x.shape
        L = len(self.sigmas)
        level = per_member(gens, lambda g: torch.randint(L, (B,), generator=g), x.device)
        z = per_member(gens, lambda g: torch.randn(B, d, generator=g), x.device)
        sigma = self.sigma_t[level].unsqueeze(-1)
        scores = self.score(net, x + sigma * z, level)
        return self.term(scores=scores, noise=z, sigmas=sigma), {}

    def generate(self, net, gens):
        x = self.uniform(gens, self.task.eval_samples)
        with torch.no_grad():
            return annealed_langevin(
                lambda y, i: blocked(lambda b: self.score(net, b, i), y),
                x,
                self.sigmas,
                int(self.h["steps_per_level"]),
                float(self.h["step_eps"]),
                gens,
            )


class DiffusionMethod(_Conditional):
    def __init__(self, task, hparams, sample):
        super().__init__(task, hparams, sample)
        self.term = self.spec.bind("denoise", hparams)
        self.kind = self.spec.training["prediction"]
        self.T = int(hparams["timesteps"])
        self.betas = beta_schedule(hparams["schedule"], self.T)
        self.ab = alphas_bar(self.betas).to(sample.device)

    def loss(self, net, x, gens):
        S, B, d = x.shape
        t = per_member(gens, lambda g: torch.randint(self.T, (B,), generator=g), x.device)
        eps = per_member(gens, lambda g: torch.randn(B, d, generator=g), x.device)
        x_t = q_sample(x, t, eps, self.ab)
        target = prediction_target(self.kind, x, eps, t, self.ab)
        return self.term(prediction=self.run(net, x_t, t), target=target), {}

    def generate(self, net, gens):
        shape = (len(gens), self.task.eval_samples, self.task.dataset.dim)
        model = lambda x, t: blocked(lambda b: self.run(net, b, t), x)  # noqa: E731
        return ancestral_sample(model, shape, self.kind, self.betas, gens, self.box.device)


class FlowMethod(_Conditional):
    """Flow matching: ``t ~ U[0, 1]`` per sample, the straight path's velocity as target;
    the network sees ``[x_t, emb(1000 t)]``. Evaluation: the Euler or Heun ODE solver from
    ``N(0, I)``."""

    TIME_SCALE = 1000.0  # continuous t spread over the DDPM embedding's frequencies at T=1000

    def __init__(self, task, hparams, sample):
        super().__init__(task, hparams, sample)
        self.term = self.spec.bind("denoise", hparams)
        self.sigma_min = float(hparams["sigma_min"])

    def velocity(self, net, x, t):
        if torch.is_tensor(t):
            return self.run(net, x, t * self.TIME_SCALE)
        return self.run(net, x, float(t) * self.TIME_SCALE)

    def loss(self, net, x, gens):
        S, B, d = x.shape
        t = per_member(gens, lambda g: torch.rand(B, generator=g), x.device)
        noise = per_member(gens, lambda g: torch.randn(B, d, generator=g), x.device)
        x_t = flow_path(noise, x, t, self.sigma_min)
        target = flow_target(noise, x, self.sigma_min)
        return self.term(prediction=self.velocity(net, x_t, t), target=target), {}

    def generate(self, net, gens):
        shape = (len(gens), self.task.eval_samples, self.task.dataset.dim)
        field = lambda x, t: blocked(lambda b: self.velocity(net, b, t), x)  # noqa: E731
        steps = int(self.h["sampling_steps"])
        return sample_flow(field, shape, steps, str(self.h["sampler"]), gens, self.box.device)


class NCEMethod(EnergyMethod):
    """Noise-contrastive estimation: an energy ``d -> hidden -> 1`` classified against
    ``noise_ratio * B`` samples per step of a Gaussian fitted once per member to its data
    (mean and covariance of 2,000 points of its ``sampler`` stream, standard deviations
    scaled by ``noise_scale``). Evaluation: the energy's Langevin chain, as for the EBM."""

    ROLE = "contrast"

    def __init__(self, task, hparams, sample):
        super().__init__(task, hparams, sample)
        self.ratio = int(hparams["noise_ratio"])
        mean = sample.mean(1, keepdim=True)
        centred = sample - mean
        cov = centred.transpose(1, 2) @ centred / (sample.shape[1] - 1)
        cov = cov + 1e-6 * torch.eye(sample.shape[2], device=sample.device)  # degenerate data
        scale = float(hparams["noise_scale"])
        self.noise = torch.distributions.MultivariateNormal(
            mean, scale_tril=scale * torch.linalg.cholesky(cov).unsqueeze(1)
        )

    def loss(self, net, x, gens):
        S, B, d = x.shape
        z = per_member(gens, lambda g: torch.randn(self.ratio * B, d, generator=g), x.device)
        y = self.noise.loc + (self.noise.scale_tril @ z.unsqueeze(-1)).squeeze(-1)
        energy = self._energy(net)
        data_e, noise_e = energy(x), energy(y)
        loss = self.term(
            data_log_ratio=-data_e - self.noise.log_prob(x),
            noise_log_ratio=-noise_e - self.noise.log_prob(y),
        )
        return loss, {
            "data_energy": data_e.detach().mean(1),
            "sample_energy": noise_e.detach().mean(1),
        }


class SlicedScoreMethod(Method):
    """Sliced score matching: a score network ``d -> hidden -> d`` on clean data, with
    ``n_projections`` Gaussian or Rademacher directions per sample. Evaluation: Langevin
    from uniform noise over the box, driven by the network's score."""

    def __init__(self, task, hparams, sample):
        super().__init__(task, hparams, sample)
        self.term = self.spec.bind("score", hparams)
        self.outputs = task.dataset.dim
        self.clip = float(hparams["grad_clip"]) or None

    def loss(self, net, x, gens):
        S, B, d = x.shape
        M = int(self.h["n_projections"])
        if self.h["projection"] == "rademacher":
            draw = lambda g: torch.randint(2, (M, B, d), generator=g).float() * 2 - 1  # noqa: E731
        else:
            draw = lambda g: torch.randn(M, B, d, generator=g)  # noqa: E731
        v = per_member(gens, draw, x.device)
        inputs = x.detach().requires_grad_(True)
        return self.term(scores=net(inputs), inputs=inputs, projections=v), {}

    def generate(self, net, gens):
        x = self.uniform(gens, self.task.eval_samples)
        h = self.h
        score = lambda y: blocked(net, y).detach()  # noqa: E731
        with torch.no_grad():
            return langevin(
                score, x, int(h["eval_steps"]), h["step_size"], h["noise"], gens, self.clip
            )[0]


METHODS: dict[str, type[Method]] = {
    "ebm": EnergyMethod,
    "dsm": ScoreMethod,
    "ddpm": DiffusionMethod,
    "flow": FlowMethod,
    "nce": NCEMethod,
    "ssm": SlicedScoreMethod,
}


def _data_sample(task: GenerativeTask, n: int = 2000) -> torch.Tensor:
    """Per member, ``n`` data points of its ``sampler`` stream: ``[S, n, d]``."""
    xs = [
        task.dataset.sample(n, numpy_generator(task.study_seed, m.seed, "sampler"))
        for m in task.members
    ]
    return torch.from_numpy(np.stack(xs)).float().to(task.device)



def train_generative(
    task: GenerativeTask, progress: Callable[[int], Any] | None = None
) -> list[MemberResult]:
    """Train every member of ``task`` as one ensemble; one result per member, in order."""
    members, S, B, d = task.members, len(task.members), task.batch_size, task.dataset.dim
    first = members[0]
    if any((m.loss, m.hparams) != (first.loss, first.hparams) for m in members):
        raise ValueError("a generative ensemble needs one loss with one set of knobs")
    dev = torch.device(task.device)
    spec = get_loss(first.loss)
    method = METHODS[spec.training["method"]](task, first.hparams, _data_sample(task))
    net = task.network.build(
        [d + method.extra_inputs, *task.network.hidden, method.outputs],
        [torch_generator(task.study_seed, m.seed, "init-network") for m in members],
    ).to(dev)
    params = net.parameter_list()
    opt = EnsembleOptimizer(params, [m.optimizer for m in members])
    data = [MemberData(task.dataset, task.study_seed, m.seed, task.data_points) for m in members]
    gens = [torch_generator(task.study_seed, m.seed, "sampler") for m in members]
    divergence = Divergence(S, dev)
    rec = Recorder(task.steps, task.record_every, S)
    evaluator = SampleEvaluator(
        task.dataset, task.study_seed, [m.seed for m in members], task.eval_samples,
        lambda g: method.generate(net, g), method.field(net), dev, evaluation_work(task),
    )
    evaluator.evaluate(0, divergence.alive)

    def draw(k: int) -> torch.Tensor:
        out = [torch.from_numpy(np.ascontiguousarray(m.sample(k * B))).view(k, B, d) for m in data]
        return torch.stack(out, 1).to(dev)  # [k, S, B, d]

    profiles: list[tuple[int, torch.Tensor]] = []  # (step, [K, S]) Langevin gradient by step
    chunk = torch.empty(0)
    for step in range(1, task.steps + 1):
        c = (step - 1) % CHUNK
        if c == 0:
            chunk = draw(min(CHUNK, task.steps - step + 1))
        alive = divergence.alive
        loss, stats = method.loss(net, chunk[c], gens)
        grads = torch.autograd.grad(torch.where(alive, loss, 0).sum(), params)
        opt.step(grads, alive)
        loss = loss.detach()
        divergence.check(step, loss)
        if rec.due(step):
            norm = torch.stack([g.pow(2).sum((1, 2)) for g in grads]).sum(0).sqrt()
            if "langevin_grad_by_step" in stats:
                profiles.append((step, stats.pop("langevin_grad_by_step").cpu()))
            rec.record(step, loss=loss, grad_norm=norm, **stats)
        if step % task.eval_every == 0 or step == task.steps:
            evaluator.evaluate(step, divergence.alive)
        threads.tick()  # under an automatic choice: the threads for the load now
        if progress is not None:
            progress(1)

    evaluator.field_grid()
    if profiles:  # [records, K] per member: how the chains' gradient evolves along a chain
        steps_at = np.array([st for st, _ in profiles], dtype=np.float32)
        for s in range(S):
            by_step = np.stack([p[:, s].numpy() for _, p in profiles]).astype(np.float32)
            evaluator.arrays[s]["langevin_grad_by_step"] = by_step
            evaluator.arrays[s]["langevin_grad_by_step_at"] = steps_at
    results = evaluator.member_results(members, divergence, rec)
    return results
