"""The planner: a validated study config -> members -> ensembles (trainer tasks).

A member is one (loss, hyper-parameters, seed) on the study's dataset. Members
that share shapes train together as one ensemble; in an adversarial study every
member has the same data and networks, so the plan is the member list cut into
ensembles of at most ``train.max_ensemble``, kept in loss order so each loss's
members are contiguous (the trainer relies on that to slice them).
"""

from __future__ import annotations

from losslab.losses import get_loss
from losslab.study.config import LossEntry, OptimizerConfig, StudyConfig
from losslab.train.adversarial import AdversarialMember, AdversarialTask, NetShape
from losslab.train.optim import OptimizerSettings


def plan_members(config: StudyConfig) -> list[AdversarialMember]:
    members = []
    for entry in config.losses:
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
    members = plan_members(config)
    size = config.train.max_ensemble
    t, m = config.train, config.model
    return [
        AdversarialTask(
            study_seed=config.study.seed,
            dataset=config.data,
            latent_dim=m.latent_dim,
            generator=NetShape(tuple(m.generator.hidden), m.generator.activation),
            discriminator=NetShape(tuple(m.discriminator.hidden), m.discriminator.activation),
            batch_size=t.batch_size,
            steps=t.steps,
            eval_every=t.eval_every,
            eval_samples=t.eval_samples,
            record_every=t.record_interval,
            members=tuple(members[i : i + size]),
            device=t.device,
        )
        for i in range(0, len(members), size)
    ]


def _optimizer(entry: LossEntry, study_wide: OptimizerConfig | None, paper) -> OptimizerSettings:
    chosen = entry.optimizer or study_wide
    if chosen is None:
        return OptimizerSettings(paper.name, paper.lr, tuple(paper.betas), paper.alpha, paper.eps)
    return OptimizerSettings(chosen.name, chosen.lr, tuple(chosen.betas), chosen.alpha, chosen.eps)
