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
    supervised = is_supervised(config)
    members: list[Any] = []
    for _dataset, entry in ((d, e) for d in config.datasets for e in config.losses):
        spec = get_loss(entry.name)
        hparams = spec.hyperparameters(entry.hparam_overrides)
        optimizer = _optimizer(entry, config.optimizer, spec.optimizer)
        n_critic = entry.n_critic or int(spec.training.get("n_critic", 1))
        for seed in range(config.study.seeds):
            common = dict(
                index=len(members), label=entry.display, loss=entry.name, hparams=hparams,
                seed=seed, optimizer=optimizer,
            )
            if supervised:
                members.append(SupervisedMember(**common))
            elif spec.family == "adversarial":
                members.append(AdversarialMember(**common, n_critic=n_critic))
            else:
                members.append(GenerativeMember(**common))
    return members


def plan(config: StudyConfig) -> list[AdversarialTask | GenerativeTask | SupervisedTask]:
    """The ensembles of the study, dataset by dataset."""
    members = plan_members(config)
    per_dataset = len(members) // len(config.datasets)
    size = config.train.max_ensemble
    tasks: list[Any] = []
    for k, dataset in enumerate(config.datasets):
        mine = members[k * per_dataset : (k + 1) * per_dataset]
        if is_supervised(config):
            width = {m.index: output_width(m.loss, dataset) for m in mine}
            for _, same in groupby(sorted(mine, key=lambda m: width[m.index]),
                                   key=lambda m: width[m.index]):
                same = list(same)
                tasks += [_supervised(config, dataset, same[i : i + size])
                          for i in range(0, len(same), size)]
        else:
            for key, same in _generative_groups(mine):
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


def _optimizer(entry: LossEntry, study_wide: OptimizerConfig | None, paper) -> OptimizerSettings:
    chosen = entry.optimizer or study_wide
    if chosen is None:
        return OptimizerSettings(paper.name, paper.lr, tuple(paper.betas), paper.alpha, paper.eps)
    return OptimizerSettings(chosen.name, chosen.lr, tuple(chosen.betas), chosen.alpha, chosen.eps)
