"""The planner: a validated study config -> members -> ensembles (trainer tasks).

A member is one (loss, hyper-parameters, seed) on the study's dataset. Members
that share shapes train together as one ensemble; in an adversarial study every
member has the same data and networks, so the plan is the member list cut into
ensembles of at most ``train.max_ensemble``, kept in loss order so each loss's
members are contiguous (the trainer relies on that to slice them).
"""

from __future__ import annotations

from losslab.losses import get_loss
from losslab.study.config import LossEntry, NetConfig, OptimizerConfig, StudyConfig
from losslab.train.adversarial import AdversarialMember, AdversarialTask, NetShape
from losslab.train.optim import OptimizerSettings


def plan_members(config: StudyConfig) -> list[AdversarialMember]:
    """Every (dataset, loss, seed), dataset-major then loss then seed."""
    members = []
    for _dataset, entry in ((d, e) for d in config.datasets for e in config.losses):
        spec = get_loss(entry.name)
        hparams = spec.hyperparameters(entry.hparam_overrides)
        optimizer = _optimizer(entry, config.optimizer, spec.optimizer)
        n_critic = entry.n_critic or int(spec.training.get("n_critic", 1))
        for seed in range(config.study.seeds):
            members.append(
                AdversarialMember(
                    index=len(members),
                    label=entry.display,
                    loss=entry.name,
                    hparams=hparams,
                    seed=seed,
                    n_critic=n_critic,
                    optimizer=optimizer,
                )
            )
    return members


def plan(config: StudyConfig) -> list[AdversarialTask]:
    """Ensembles: per dataset, the members cut into groups of at most ``max_ensemble``."""
    per_dataset = plan_members(config)
    size = config.train.max_ensemble
    t, m = config.train, config.model
    tasks = []
    start = 0
    for dataset in config.datasets:
        members = per_dataset[start : start + len(per_dataset) // len(config.datasets)]
        start += len(members)
        tasks += [
            AdversarialTask(
                study_seed=config.study.seed,
                dataset=dataset,
                latent_dim=m.latent_dim,
                generator=_shape(m.generator),
                discriminator=_shape(m.discriminator),
                batch_size=t.batch_size,
                steps=t.steps,
                eval_every=t.eval_every,
                eval_samples=t.eval_samples,
                record_every=t.record_interval,
                members=tuple(members[i : i + size]),
                device=t.device,
                data_points=t.data_points,
            )
            for i in range(0, len(members), size)
        ]
    return tasks


def _shape(net: NetConfig) -> NetShape:
    return NetShape(
        tuple(net.hidden), net.activation, net.batch_norm, net.maxout, net.init, net.init_std
    )


def _optimizer(entry: LossEntry, study_wide: OptimizerConfig | None, paper) -> OptimizerSettings:
    chosen = entry.optimizer or study_wide
    if chosen is None:
        return OptimizerSettings(paper.name, paper.lr, tuple(paper.betas), paper.alpha, paper.eps)
    return OptimizerSettings(chosen.name, chosen.lr, tuple(chosen.betas), chosen.alpha, chosen.eps)
