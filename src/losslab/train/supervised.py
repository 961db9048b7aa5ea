r"""The supervised trainer: classification and regression losses on an ensemble
of MLPs that share one dataset and one output width.

Member s draws everything from its own streams (:mod:`losslab.rng`):

* ``split``: its train / validation / test split (:meth:`SupervisedDataset.splits`),
  so members with the same seed see the same split whatever their loss;
* ``init-network``: the initial weights of its MLP ``[F, *hidden, outputs]``;
* ``batch``: its minibatches, epoch by epoch (a fresh permutation of the
  training split each epoch), drawn :data:`CHUNK` steps at a time.

One step minimises the *sum* over members of each member's loss on its own
minibatch (never the average, which would rescale each member's gradient); a
member whose loss turns NaN/inf is recorded as ``diverged`` at that step and
masked from then on, the others go on.

Recorded per step (:data:`SERIES`): ``loss`` and ``grad_norm``. At step 0, every
``eval_every`` steps and at the last step, metrics on the validation split,
prefixed ``val_`` (``val_loss`` is the member's own loss on the whole split). At
the end, metrics on the clean test split become :attr:`MemberResult.metrics`
(see :mod:`losslab.metrics.supervised`):

* classification: ``accuracy, balanced_accuracy, macro_f1, nll, ece`` of the
  logits (``[0, z]`` for ``sigmoid-bce``'s one logit z): the NLL by log-softmax of the
  logits, the ECE of the probabilities ``softmax(logits)``;
* regression: ``mse, mae, median_ae, coverage, nll`` of the point prediction
  (first output); the variance is the predicted one for ``gaussian-nll`` and, for
  every other loss, the mean squared residual on the validation split (a constant
  variance, the maximum-likelihood one for ``N(prediction, var)``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from losslab import threads
from losslab.data.supervised import Splits, SupervisedDataset
from losslab.errors import BadInput
from losslab.losses import get_loss
from losslab.losses.classification import inverse_frequency_weights, training_class_priors
from losslab.metrics.supervised import classification_metrics, regression_metrics
from losslab.nets import EnsembleMLP
from losslab.rng import numpy_generator, torch_generator
from losslab.train.data import EpochSampler
from losslab.train.knobs import group_key
from losslab.train.knobs import stacked as knob_values
from losslab.train.optim import EnsembleOptimizer, OptimizerSettings
from losslab.train.recorder import Recorder
from losslab.train.result import Divergence, MemberResult, member_results

SERIES = {
    "loss": "the member's training loss on its minibatch",
    "grad_norm": "L2 norm of the member's parameter gradient",
}

CHUNK = 64  # steps of minibatch indices drawn at once per member (part of the RNG scheme)

_FAMILY_OF_TASK = {"classify": "classification", "regress": "regression"}


@dataclass(frozen=True)
class SupervisedMember:
    index: int  # position in the study
    label: str  # the loss as reports name it (registry name unless the config gives a label)
    loss: str
    hparams: dict[str, float]
    seed: int
    optimizer: OptimizerSettings

    def settings(self) -> dict[str, Any]:
        """Everything that configures this member's training, for the store."""
        return {**self.hparams, "optimizer": vars(self.optimizer)}


@dataclass(frozen=True)
class SupervisedTask:
    """One ensemble: everything the trainer needs, nothing it must look up elsewhere."""

    study_seed: int
    dataset: SupervisedDataset
    hidden: tuple[int, ...]
    activation: str
    batch_size: int
    steps: int
    eval_every: int
    record_every: int
    members: tuple[SupervisedMember, ...]
    device: str = "cpu"
    # early stopping (off when None): see :class:`BestCheckpoint`
    patience: int | None = None


def output_width(loss: str, dataset: SupervisedDataset) -> int:
    """Width of the network's last layer for ``loss`` on ``dataset``.

    Raises :class:`BadInput` when the loss does not fit the data (a regression
    loss on labels, ``sigmoid-bce`` on more than two classes, ...). The planner
    groups members into ensembles by this width.
    """
    spec = get_loss(loss)
    family = _FAMILY_OF_TASK.get(getattr(dataset, "task", ""))
    if spec.family != family:
        raise BadInput(
            f"loss {loss!r} ({spec.family}) does not fit dataset {dataset.name!r} "  # type: ignore[attr-defined]
            f"({family or 'not supervised'})"
        )
    outputs = spec.training["outputs"]
    if outputs == "classes":
        return dataset.n_classes
    if spec.training.get("binary") and dataset.n_classes != 2:
        raise BadInput(
            f"loss {loss!r} is binary but dataset {dataset.name!r} has "  # type: ignore[attr-defined]
            f"{dataset.n_classes} classes"
        )
    return int(outputs)


def training_passes(task: SupervisedTask, m: SupervisedMember) -> int:
    """Network passes spent training: one forward and one backward per step."""
    return 2 * task.steps


@dataclass
class _Group:
    """Contiguous members sharing one loss configuration."""

    members: slice
    term: Callable[..., torch.Tensor]
    class_weights: bool
    class_priors: bool
    binary: bool
    predicts_variance: bool
    log_link: bool  # the first output is log(mean) (count losses): the point is exp of it
    progress: bool  # the term takes the fraction of training done (a schedule, e.g. LDAM-DRW)


def _groups(members: tuple[SupervisedMember, ...], device: torch.device | str) -> list[_Group]:
    """Contiguous members of one loss and structural knobs; real-valued knobs may differ per
    member (:mod:`losslab.train.knobs`)."""
    groups: list[_Group] = []
    start = 0
    for i in range(1, len(members) + 1):
        key = group_key(members[start].loss, members[start].hparams)
        if i < len(members) and group_key(members[i].loss, members[i].hparams) == key:
            continue
        spec = get_loss(members[start].loss)
        knobs = knob_values(members[start].loss, [m.hparams for m in members[start:i]], device)
        groups.append(
            _Group(
                members=slice(start, i),
                term=spec.bind("loss", knobs),
                class_weights=spec.training.get("class_weights") == "inverse-frequency",
                class_priors=spec.training.get("class_priors") is True,
                binary=bool(spec.training.get("binary", False)),
                predicts_variance=bool(spec.training.get("predicts_variance", False)),
                log_link=spec.training.get("link") == "log",
                progress=spec.training.get("progress") is True,
            )
        )
        start = i
    return groups


_EpochSampler = EpochSampler  # minibatch indices, epoch by epoch (train.data)


def _stack(arrays: list[np.ndarray], what: str, device: torch.device) -> torch.Tensor:
    if len({a.shape for a in arrays}) != 1:
        raise ValueError(f"members' {what} splits differ in shape: {[a.shape for a in arrays]}")
    return torch.from_numpy(np.stack(arrays)).to(device)


class _Data:
    """Every member's split, stacked on the member axis."""

    def __init__(self, task: SupervisedTask, device: torch.device):
        ds = task.dataset
        splits: list[Splits] = [
            ds.splits(numpy_generator(task.study_seed, m.seed, "split")) for m in task.members
        ]

        def stack(part: str) -> torch.Tensor:
            return _stack([getattr(s, part) for s in splits], part, device)

        self.x_train, self.y_train = stack("x_train"), stack("y_train")
        self.x_val, self.y_val = stack("x_val"), stack("y_val")
        self.x_test, self.y_test = stack("x_test"), stack("y_test")
        self.classify = ds.task == "classify"
        if self.classify:
            k = ds.n_classes
            self.class_weights = _stack(
                [inverse_frequency_weights(s.y_train, k) for s in splits], "class weight", device
            )
            self.class_priors = _stack(
                [training_class_priors(s.y_train, k) for s in splits], "class prior", device
            )
        else:
            # A count loss (training["targets"] == "non-negative") has no meaning for y < 0.
            for m in task.members:
                if get_loss(m.loss).training.get("targets") != "non-negative":
                    continue
                parts = ("train", "val", "test")
                low = min(float(np.min(getattr(s, f"y_{p}"))) for s in splits for p in parts)
                if low < 0:
                    raise BadInput(
                        f"loss {m.loss!r} needs non-negative targets (counts), but dataset "
                        f"{ds.name!r} has targets down to {low:g}"  # type: ignore[attr-defined]
                    )
        self.n_train = splits[0].y_train.shape[0]


def _loss(
    groups: list[_Group],
    out: torch.Tensor,
    y: torch.Tensor,
    data: _Data,
    progress: float | None = None,
) -> torch.Tensor:
    """Every group's term on its members' batch; ``progress`` = (step - 1) / steps, the
    fraction of training done, for terms whose card asks for it (None at evaluation: the
    term's unscheduled form, e.g. LDAM without its deferred weights)."""
    parts = []
    for g in groups:
        sl = g.members
        if data.classify:
            extra: dict[str, Any] = (
                {"class_weights": data.class_weights[sl]} if g.class_weights else {}
            )
            if g.class_priors:
                extra["class_priors"] = data.class_priors[sl]
            if g.progress and progress is not None:
                extra["progress"] = progress
            parts.append(g.term(logits=out[sl], targets=y[sl], **extra))
        else:
            parts.append(g.term(prediction=out[sl], targets=y[sl]))
    return torch.cat(parts)


def train_supervised(
    task: SupervisedTask, progress: Callable[[int], Any] | None = None
) -> list[MemberResult]:
    """Train every member of ``task`` as one ensemble; one result per member, in order."""
    members, S = task.members, len(task.members)
    if S == 0:
        return []
    widths = {output_width(m.loss, task.dataset) for m in members}
    if len(widths) != 1:
        raise ValueError(f"an ensemble needs one output width, got {sorted(widths)}")
    dev = torch.device(task.device)
    data = _Data(task, dev)
    groups = _groups(members, dev)
    seeds = [(task.study_seed, m.seed) for m in members]
    net = EnsembleMLP(
        [task.dataset.n_features, *task.hidden, widths.pop()],
        task.activation,
        [torch_generator(a, b, "init-network") for a, b in seeds],
    ).to(dev)
    params = net.parameter_list()
    opt = EnsembleOptimizer(params, [m.optimizer for m in members])
    samplers = [_EpochSampler(numpy_generator(a, b, "batch"), data.n_train) for a, b in seeds]
    rows = torch.arange(S, device=dev).unsqueeze(1)
    divergence = Divergence(S, dev)
    alive = divergence.alive
    rec = Recorder(task.steps, task.record_every, S)
    evaluator = _Evaluator(task, net, groups, data)
    val_loss = evaluator.evaluate(0, alive)
    best = None if task.patience is None else BestCheckpoint(params, task.patience)
    if best is not None:
        best.update(0, val_loss)

    idx = torch.zeros(0)
    B = task.batch_size
    for step in range(1, task.steps + 1):
        c = (step - 1) % CHUNK
        if c == 0:
            k = min(CHUNK, task.steps - step + 1)
            idx = torch.from_numpy(np.stack([s.take(k * B) for s in samplers])).to(dev)
            idx = idx.view(S, k, B)
        batch = idx[:, c]
        out = net(data.x_train[rows, batch])
        loss = _loss(groups, out, data.y_train[rows, batch], data, (step - 1) / task.steps)
        grads = torch.autograd.grad(torch.where(alive, loss, 0).sum(), params)
        opt.step(grads, alive if best is None else alive & ~best.stopped)
        loss = loss.detach()

        divergence.check(step, loss)
        alive = divergence.alive
        if rec.due(step):
            grad_norm = torch.stack([g.pow(2).flatten(1).sum(1) for g in grads]).sum(0).sqrt()
            rec.record(step, loss=loss, grad_norm=grad_norm)
        if step % task.eval_every == 0 or step == task.steps:
            val_loss = evaluator.evaluate(step, alive)
            if best is not None:
                best.update(step, val_loss)
        threads.tick()  # under an automatic choice: the threads for the load now
        if progress is not None:
            progress(1)

    if best is not None:
        best.restore()
    final = evaluator.test_metrics(alive)
    # with early stopping (recommend's race), regression members also return their test
    # predictions for the report's predicted-vs-true figure; studies store no arrays here
    outputs = None
    if best is not None and not data.classify:
        with torch.no_grad():
            predicted = evaluator._points(net(data.x_test)).cpu().double().numpy()
        target = data.y_test.cpu().double().numpy()
        outputs = lambda s, ok: {  # noqa: E731
            "arrays": {"test_prediction": predicted[s], "test_target": target[s]} if ok else {}
        }
    return member_results(
        members, divergence, rec, evaluator.steps, evaluator.member_checkpoints,
        lambda s: final[s], outputs,
    )


class BestCheckpoint:
    """Validation-based early stopping, per member (opt-in: ``SupervisedTask.patience``).

    At every evaluation (step 0, every ``eval_every`` steps, the last step) each member's
    own loss on the validation split is compared with its lowest so far; where it is
    lower, the member's parameters are copied aside. A member whose validation loss has
    not improved for ``patience`` evaluations in a row stops training (its updates are
    masked, like a diverged member's). At the end every member's parameters at its lowest
    validation loss are restored, and the test metrics are those of that checkpoint.
    A non-finite validation loss never counts as an improvement.
    """

    def __init__(self, params: list[torch.Tensor], patience: int):
        self.params, self.patience = params, int(patience)
        self.saved = [p.detach().clone() for p in params]
        n, dev = params[0].shape[0], params[0].device
        self.best = torch.full((n,), float("inf"), dtype=torch.float64, device=dev)
        self.best_step = torch.zeros(n, dtype=torch.long, device=dev)
        self.since = torch.zeros(n, dtype=torch.long, device=dev)
        self.stopped = torch.zeros(n, dtype=torch.bool, device=dev)

    @torch.no_grad()
    def update(self, step: int, val_loss: torch.Tensor) -> None:
        v = val_loss.to(self.best)
        better = torch.isfinite(v) & (v < self.best) & ~self.stopped
        for p, keep in zip(self.params, self.saved, strict=True):
            keep[better] = p[better]
        self.best = torch.where(better, v, self.best)
        self.best_step = torch.where(better, step, self.best_step)
        self.since = torch.where(better, 0, self.since + 1)
        self.stopped |= self.since >= self.patience

    @torch.no_grad()
    def restore(self) -> None:
        for p, keep in zip(self.params, self.saved, strict=True):
            p.copy_(keep)


class _Evaluator:
    """Validation metrics at checkpoints and test metrics at the end, per member."""

    def __init__(self, task: SupervisedTask, net: EnsembleMLP, groups: list[_Group], data: _Data):
        self.net, self.groups, self.data = net, groups, data
        self.binary = [False] * len(task.members)
        self.predicts_variance = [False] * len(task.members)
        log_link = [False] * len(task.members)
        for g in groups:
            for s in range(g.members.start, g.members.stop):
                self.binary[s] = g.binary
                self.predicts_variance[s] = g.predicts_variance
                log_link[s] = g.log_link
        self.log_link = torch.tensor(log_link, device=next(net.parameters()).device)
        self.steps: list[int] = []
        self.values: list[list[dict[str, float]]] = []

    @torch.no_grad()
    def _metrics(
        self, x: torch.Tensor, y: torch.Tensor, alive: torch.Tensor, val_var: list[float] | None
    ) -> tuple[list[dict[str, float]], torch.Tensor, np.ndarray]:
        """Metrics of every alive member on one split; also the loss and the outputs."""
        out = self.net(x)
        loss = _loss(self.groups, out, y, self.data)
        out_np, y_np = out.cpu().double().numpy(), y.cpu().numpy()
        points = self._points(out).cpu().double().numpy()
        rows: list[dict[str, float]] = []
        for s in range(out_np.shape[0]):
            if not bool(alive[s]) or not np.isfinite(out_np[s]).all():
                rows.append({})
                continue
            if self.data.classify:
                rows.append(classification_metrics(y_np[s], self._logits(out_np[s], s)))
                continue
            point = points[s]
            if self.predicts_variance[s]:
                var: np.ndarray | float = np.exp(out_np[s, :, 1])
            elif val_var is None:  # on the validation split itself
                var = float(np.mean((y_np[s] - point) ** 2))
            else:
                var = val_var[s]
            rows.append(regression_metrics(y_np[s], point, var))
        return rows, loss, out_np

    def _points(self, out: torch.Tensor) -> torch.Tensor:
        """Each member's point prediction ``[S, B]``: the first output, or its exp where
        that output is a log-mean (a count loss's log link)."""
        first = out[..., 0]
        if not bool(self.log_link.any()):
            return first
        return torch.where(self.log_link[:, None], first.clamp(max=80.0).exp(), first)

    def _logits(self, out: np.ndarray, s: int) -> np.ndarray:
        """Member ``s``'s class logits ``[n, K]``: its outputs, or for a one-logit binary
        loss the logits ``[0, z]`` (their softmax is ``[1 - sigmoid(z), sigmoid(z)]``, their
        log-softmax ``[log sigmoid(-z), log sigmoid(z)]``), so metrics need no probability."""
        if self.binary[s]:
            return np.stack([np.zeros_like(out[:, 0]), out[:, 0]], axis=1)
        return out

    def evaluate(self, step: int, alive: torch.Tensor) -> torch.Tensor:
        """Record the validation metrics at ``step``; returns each member's loss on the
        validation split ``[S]``."""
        rows, loss, _ = self._metrics(self.data.x_val, self.data.y_val, alive, None)
        for s, row in enumerate(rows):
            if row:
                rows[s] = {"val_loss": float(loss[s]), **{f"val_{k}": v for k, v in row.items()}}
        self.steps.append(step)
        self.values.append(rows)
        return loss.detach()

    def test_metrics(self, alive: torch.Tensor) -> list[dict[str, float]]:
        val_var = None
        if not self.data.classify:
            with torch.no_grad():
                point = self._points(self.net(self.data.x_val))
                val_var = ((self.data.y_val - point) ** 2).mean(1).cpu().double().tolist()
        rows, _, _ = self._metrics(self.data.x_test, self.data.y_test, alive, val_var)
        return rows

    def member_checkpoints(self, s: int) -> dict[str, list[float]]:
        names = sorted({k for row in self.values for k in row[s]})
        return {n: [row[s].get(n, float("nan")) for row in self.values] for n in names}
