"""The planner: a validated study config -> members -> ensembles (trainer tasks).

A member is one (dataset, loss, hyper-parameters, seed). Members that share
shapes train together as one ensemble:

* adversarial studies: per dataset, every member has the same data and
  networks, so the member list is cut into ensembles of at most
  ``train.max_ensemble``, kept in loss order so each loss's members are
  contiguous (the trainer slices them);
* supervised studies (classification, regression): per dataset, members are
  grouped by the width of the network's output (``K`` logits, one value, or a
  mean and a log-variance), then cut the same way;
* generative studies may mix families: adversarial members are grouped by the
  discriminator they need (an MLP, or EBGAN's autoencoder with its code size);
  energy and diffusion members by loss and knobs (one network, one sampler per
  ensemble); each group is cut into ensembles of at most ``max_ensemble``.

Member indices run dataset-major, then loss, then seed.
"""

from __future__ import annotations

import json
from dataclasses import replace
from itertools import groupby
from typing import Any

from losslab.data.supervised import SupervisedDataset
from losslab.losses import get_loss
from losslab.study.config import LossEntry, NetConfig, OptimizerConfig, StudyConfig
from losslab.train.adversarial import (
    AdversarialMember,
    AdversarialTask,
    NetShape,
    discriminator_key,
)
from losslab.train.generative import GenerativeMember, GenerativeTask
from losslab.train.optim import OptimizerSettings
from losslab.train.supervised import SupervisedMember, SupervisedTask, output_width


def is_supervised(config: StudyConfig) -> bool:
    return isinstance(config.datasets[0], SupervisedDataset)


def plan_members(config: StudyConfig) -> list[Any]:
    """Every (dataset, loss, seed), dataset-major then loss then seed."""
    return [
        member(config, entry, seed, index)
        for index, (entry, seed) in enumerate(
            (e, seed) for _ in config.datasets for e in config.losses
            for seed in range(config.study.seeds)
        )
    ]


def member(
    config: StudyConfig,
    entry: LossEntry,
    seed: int,
    index: int,
    params: dict[str, Any] | None = None,
) -> Any:
    """One member of ``entry`` on ``seed``; ``params`` (a tuning trial's values, see
    :mod:`losslab.study.space`) replace the loss's knobs, its ``lr``/``beta1``/
    ``weight_decay`` and its ``n_critic``."""
    spec = get_loss(entry.name)
    params = dict(params or {})
    lr, beta1 = params.pop("lr", None), params.pop("beta1", None)
    n_critic, weight_decay = params.pop("n_critic", None), params.pop("weight_decay", None)
    hparams = spec.hyperparameters({**entry.hparam_overrides, **params})
    optimizer = optimizer_settings(entry, config.optimizer, spec.optimizer)
    if lr is not None:
        optimizer = replace(optimizer, lr=float(lr))
    if beta1 is not None:
        optimizer = replace(optimizer, betas=(float(beta1), optimizer.betas[1]))
    if weight_decay is not None:
        optimizer = replace(optimizer, weight_decay=float(weight_decay))
    common = dict(
        index=index, label=entry.display, loss=entry.name, hparams=hparams, seed=seed,
        optimizer=optimizer,
    )
    if is_supervised(config):
        return SupervisedMember(**common)
    if spec.family == "adversarial":
        n_critic = int(n_critic or entry.n_critic or spec.training.get("n_critic", 1))
        return AdversarialMember(**common, n_critic=n_critic)
    return GenerativeMember(**common)


def plan(config: StudyConfig) -> list[AdversarialTask | GenerativeTask | SupervisedTask]:
    """The ensembles of the study, dataset by dataset."""
    return plan_ensembles(config, plan_members(config))


def index_bases(config: StudyConfig) -> tuple[int, int]:
    """Where a study's member indices start: ``(first trial, first tuned member)``. The
    members at the defaults come first (``0 ..``), then the tuning trials, then each loss's
    best setting on the study's seeds; each block runs dataset-major, then loss."""
    n_entries = len(config.datasets) * len(config.losses)
    finals = n_entries * config.study.seeds
    return finals, finals + n_entries * config.tune.trials * config.tune.search_seeds


def dataset_of(config: StudyConfig, index: int) -> int:
    """The dataset (position in ``[[data]]``) of member ``index`` (see :func:`index_bases`)."""
    n_losses = len(config.losses)
    trials, tuned = index_bases(config)
    if index < trials:
        return index // (n_losses * config.study.seeds)
    if index < tuned:
        return (index - trials) // (n_losses * config.tune.trials * config.tune.search_seeds)
    return (index - tuned) // (n_losses * config.study.seeds)


def plan_ensembles(config: StudyConfig, members: list[Any]) -> list[Any]:
    """``members`` cut into ensembles, dataset by dataset."""
    return [
        task
        for k, dataset in enumerate(config.datasets)
        for task in ensembles(
            config, dataset, [m for m in members if dataset_of(config, m.index) == k]
        )
    ]


def ensembles(config: StudyConfig, dataset: Any, members: list[Any]) -> list[Any]:
    """``members`` (all on ``dataset``) cut into the ensembles that train them."""
    size = config.train.max_ensemble
    tasks: list[Any] = []
    if is_supervised(config):
        width = {m.index: output_width(m.loss, dataset) for m in members}
        for _, same in groupby(sorted(members, key=lambda m: width[m.index]),
                               key=lambda m: width[m.index]):
            same = list(same)
            tasks += [_supervised(config, dataset, same[i : i + size])
                      for i in range(0, len(same), size)]
    else:
        for key, same in _generative_groups(members):
            build = _adversarial if key[0] == "adversarial" else _generative
            tasks += [build(config, dataset, same[i : i + size])
                      for i in range(0, len(same), size)]
    return tasks


def _generative_groups(members: list[Any]) -> list[tuple[tuple, list[Any]]]:
    """Members that can share one ensemble, in order of first appearance."""
    groups: dict[tuple, list[Any]] = {}
    for m in members:
        if isinstance(m, AdversarialMember):
            key: tuple = ("adversarial", *discriminator_key(m))
        else:
            key = ("generative", m.loss, json.dumps(m.hparams, sort_keys=True))
        groups.setdefault(key, []).append(m)
    return list(groups.items())


def _common(config: StudyConfig, dataset: Any, members: list[Any]) -> dict[str, Any]:
    """What every trainer task takes from the study config."""
    t = config.train
    return dict(
        study_seed=config.study.seed,
        dataset=dataset,
        batch_size=t.batch_size,
        steps=t.steps,
        eval_every=t.eval_every,
        record_every=t.record_interval,
        members=tuple(members),
        device=t.device,
    )


def _adversarial(config: StudyConfig, dataset: Any, members: list[Any]) -> AdversarialTask:
    m = config.model
    return AdversarialTask(
        **_common(config, dataset, members),
        latent_dim=m.latent_dim,
        generator=_shape(m.generator),
        discriminator=_shape(m.discriminator),
        eval_samples=config.train.eval_samples,
        data_points=config.train.data_points,
    )


def _generative(config: StudyConfig, dataset: Any, members: list[Any]) -> GenerativeTask:
    return GenerativeTask(
        **_common(config, dataset, members),
        network=_shape(config.model.network),
        eval_samples=config.train.eval_samples,
        data_points=config.train.data_points,
    )


def _supervised(config: StudyConfig, dataset: Any, members: list[Any]) -> SupervisedTask:
    net = config.model.network
    return SupervisedTask(
        **_common(config, dataset, members),
        hidden=tuple(net.hidden),
        activation=net.activation,
    )


def _shape(net: NetConfig) -> NetShape:
    return NetShape(
        tuple(net.hidden), net.activation, net.batch_norm, net.maxout, net.init, net.init_std
    )


def optimizer_settings(
    entry: LossEntry, study_wide: OptimizerConfig | None, paper
) -> OptimizerSettings:
    """The loss's own ``[losses.optimizer]``, else the study's ``[optimizer]``, else the
    optimiser of the loss's paper."""
    chosen = entry.optimizer or study_wide
    if chosen is None:
        return OptimizerSettings(paper.name, paper.lr, tuple(paper.betas), paper.alpha, paper.eps)
    return OptimizerSettings(
        chosen.name, chosen.lr, tuple(chosen.betas), chosen.alpha, chosen.eps,
        chosen.weight_decay,
    )
