"""Sizes checked before any work starts: what a study (or a probe) would need of this
machine's memory, from the config's numbers alone (nothing is planned or drawn), and the
sizes that must agree with each other (datasets' dimensions, batch vs data).

The memory estimate is deliberately rough -- the order of magnitude is what matters:
it refuses ``seeds = 10**9`` or ``eval_samples = 10**7`` in milliseconds, with the
estimate in the message, instead of letting the run grow until the kernel kills it.
What it counts:

* per member, kept until the report is built: its planned objects and store rows
  (:data:`MEMBER_OBJECT` bytes), its recorded series (``steps / record_every`` rows of
  every series), its checkpoint metrics (``steps / eval_every`` evaluations) and its
  final samples (``eval_samples x dim`` floats);
* per ensemble (``max_ensemble`` members at once), while it trains: parameters with
  their gradient and Adam moments, activations of a batch, the random draws of a chunk
  of steps, a fixed training set (``data_points``) or supervised splits, the recorder's
  buffers and the sample evaluation (with the ``eval_samples^2`` cost matrix of the exact
  W1 in two or more dimensions, and the samples-to-modes distances).

The limit is the machine's physical memory (or the cgroup's limit, if lower).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from losslab.errors import BadInput

MEMBER_OBJECT = 4096  # bytes: a member's planned objects, store rows and report entries
POINT = 64  # bytes: one recorded value as the report loads it (Python float in a list)
ROW_INDEX = 200  # bytes: one recorded step in the recorder's index (set and dict entries)
MAX_MEMBERS = 10_000_000  # above this a study is refused whatever the memory
CHUNK = 64  # steps of random draws made at once (train.adversarial.CHUNK)
N_CRITIC_MAX = 5
METRICS = 12  # sample metrics per evaluation (w1, ks, energy, modes, ...)


def memory_limit() -> int:
    """Bytes this process may use: physical memory, or the cgroup limit if lower."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = 16 * 2**30
    for cgroup in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(cgroup).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < total:
            total = int(text)
    return int(total)


def human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if abs(n) < 1024 or unit == "PB":
            return f"{n:.3g} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return f"{n:.3g} PB"  # pragma: no cover


def _modes(dataset: Any) -> int:
    """The number of mode centres, from the dataset's knobs (never by building them)."""
    if isinstance(getattr(dataset, "modes", None), int):
        return int(dataset.modes)
    if isinstance(getattr(dataset, "side", None), int):
        return int(dataset.side) ** 2
    return 0


def _mlp(sizes: list[int]) -> int:
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=True))


def _training_rows(dataset: Any) -> int | None:
    """About how many rows a supervised dataset puts in its training split."""
    n = getattr(dataset, "n", None)
    if not isinstance(n, int):
        return None
    return n - round(n * dataset.test_fraction) - round(n * dataset.val_fraction)


def member_count(
    n_losses: int, n_datasets: int, seeds: int, trials: int = 0, search_seeds: int = 1
) -> int:
    """Members a study plans at most: every loss on every dataset on the study's seeds
    (twice when tuned: at the defaults and at the best trial), plus the tuning trials."""
    return n_datasets * n_losses * (seeds * (2 if trials else 1) + trials * search_seeds)


def check_raw_counts(raw: dict[str, Any], source: str) -> None:
    """The member count alone, from the config file's raw table, before anything heavy is
    imported: a study beyond :data:`MAX_MEMBERS` is refused at once, with the least
    memory its members would need. Anything malformed is left to full validation."""

    def integer(table: Any, key: str, default: int) -> int | None:
        value = table.get(key, default) if isinstance(table, dict) else default
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    data, losses = raw.get("data", {}), raw.get("losses", [])
    seeds = integer(raw.get("study", {}), "seeds", 8)
    trials = integer(raw.get("tune", {}), "trials", 0)
    search_seeds = integer(raw.get("tune", {}), "search_seeds", 1)
    if None in (seeds, trials, search_seeds) or not isinstance(losses, list):
        return
    n_data = len(data) if isinstance(data, list) else 1
    count = member_count(len(losses), n_data, seeds, trials, search_seeds)
    if count > MAX_MEMBERS:
        raise BadInput(
            f"{source}: the study would plan {count:,} members (over {MAX_MEMBERS:,}), and "
            f"would need at least {human(count * MEMBER_OBJECT)} of memory for their records "
            f"alone (this machine has {human(memory_limit())}); lower study.seeds or "
            "tune.trials"
        )


def study_memory(config: Any) -> tuple[float, dict[str, float]]:
    """``(bytes, parts)``: the estimate for the whole study, and its largest parts
    (``members``: kept per member until the report, ``ensemble``: one ensemble training)."""
    t, m = config.train, config.model
    datasets = config.datasets
    n_losses = len(config.losses)
    tune = getattr(config, "tune", None)
    trials = int(getattr(tune, "trials", 0) or 0)
    search_seeds = int(getattr(tune, "search_seeds", 1) or 1)
    per_dataset = member_count(n_losses, 1, config.study.seeds, trials, search_seeds)
    members = per_dataset * len(datasets)
    ensemble = min(t.max_ensemble, per_dataset)
    rows = t.steps // t.record_interval + 2
    evaluations = t.steps // t.eval_every + 2
    hidden = [*m.generator.hidden, *m.discriminator.hidden, *m.network.hidden]
    series = 16 + 2 * (max(len(m.generator.hidden), len(m.network.hidden)) + 1)
    worst_member = worst_ensemble = 0.0
    for ds in datasets:
        dim = int(ds.dim)
        supervised = hasattr(ds, "splits")
        member = (
            MEMBER_OBJECT
            + rows * series * POINT
            + evaluations * METRICS * POINT
            + (0 if supervised else 2 * t.eval_samples * dim * 4)
        )
        params = _mlp([m.latent_dim, *m.generator.hidden, dim]) * m.generator.maxout
        params += _mlp([dim, *m.discriminator.hidden, dim]) * m.discriminator.maxout
        params += _mlp([dim + 1, *m.network.hidden, max(dim, 2)])
        width = max(hidden) * max(m.generator.maxout, m.discriminator.maxout)
        per = (
            4 * params * 4  # parameters, gradients, two Adam moments
            + 6 * t.batch_size * width * len(hidden) * 4  # activations, backward, penalty
            + 2 * CHUNK * t.batch_size * (N_CRITIC_MAX + 1) * (dim + m.latent_dim) * 4
            + (t.data_points or 0) * dim * 4
            + rows * series * 4
            + evaluations * METRICS * 8
        )
        if supervised:
            per += 2 * (getattr(ds, "n", None) or 2000) * (dim + 1) * 4
        else:
            per += 3 * t.eval_samples * dim * 4 + _modes(ds) * t.eval_samples * 16
        shared = rows * ROW_INDEX
        if not supervised and dim >= 2:  # the exact W1's cost matrix and its solver
            shared += 3 * t.eval_samples**2 * 8
        worst_member = max(worst_member, member)
        worst_ensemble = max(worst_ensemble, ensemble * per + shared)
    parts = {"members": members * worst_member, "ensemble": worst_ensemble}
    return sum(parts.values()), {**parts, "count": members, "per_member": worst_member,
                                 "ensemble_size": ensemble}


def check_study(config: Any, source: str) -> None:
    """Dimensions, batch sizes and memory of a validated study config; BadInput if not."""
    _check_dimensions(config, source)
    _check_batches(config, source)
    total, parts = study_memory(config)
    limit = memory_limit()
    count = int(parts["count"])
    if count > MAX_MEMBERS or total > limit:
        raise BadInput(
            f"{source}: the study would need about {human(total)} of memory "
            f"({count:,} members x ~{human(parts['per_member'])} kept for the report, plus "
            f"~{human(parts['ensemble'])} for an ensemble of {int(parts['ensemble_size'])}), "
            f"more than this machine's {human(limit)}"
            + (f" (and over {MAX_MEMBERS:,} members)" if count > MAX_MEMBERS else "")
            + "; lower study.seeds, train.steps / record_every / eval_every, "
            "train.eval_samples, train.max_ensemble or the dataset's size"
        )


def _check_dimensions(config: Any, source: str) -> None:
    """Generative datasets of one study share a dimension (the report compares samples
    across them); supervised ones may differ (each has its own network)."""
    generative = [(k, ds) for k, ds in enumerate(config.datasets) if not hasattr(ds, "splits")]
    if len(generative) < 2:
        return
    k0, first = generative[0]
    for k, ds in generative[1:]:
        if ds.dim != first.dim:
            raise BadInput(
                f"{source}: data[{k}] = {ds.name!r} has {ds.dim} dimension(s) but data[{k0}] = "
                f"{first.name!r} has {first.dim}; the datasets of one study must share a "
                "dimension (run one study per dimension)"
            )


def _check_batches(config: Any, source: str) -> None:
    """A batch no larger than the data it is drawn from."""
    t = config.train
    many = len(config.datasets) > 1
    for k, ds in enumerate(config.datasets):
        where = f"data[{k}]" if many else "data"
        if hasattr(ds, "splits"):
            n_train = _training_rows(ds)
            if n_train is None:
                n_train = _bundled_training_rows(ds)
            if n_train is not None and t.batch_size > n_train:
                raise BadInput(
                    f"{source}: train.batch_size = {t.batch_size} is larger than the about "
                    f"{n_train} training rows of {where} = {ds.name!r}; lower the batch size"
                )
        elif t.data_points is not None and t.batch_size > t.data_points:
            raise BadInput(
                f"{source}: train.batch_size = {t.batch_size} is larger than train.data_points "
                f"= {t.data_points}, the fixed training set each member draws its batches from;"
                " lower the batch size or raise data_points"
            )


def _bundled_training_rows(ds: Any) -> int | None:
    """Training rows of a bundled dataset (its rows are read; they are small)."""
    import numpy as np

    try:
        x, _ = ds.draw(np.random.default_rng(0))
    except Exception:  # noqa: BLE001 - the size check is skipped, training will say more
        return None
    n = len(x)
    return n - round(n * ds.test_fraction) - round(n * ds.val_fraction)


def check_finite_knobs(name: str, hparams: dict[str, Any], where: str) -> None:
    """Every real-valued knob finite (``nan`` and ``inf`` make members diverge at step 1)."""
    for knob, value in hparams.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise BadInput(f"{where}.{knob} = {value}: must be a finite number ({name})")

