"""losslab: which loss function fits my data, and why?

Explain each loss (``losslab explain``), compare losses in controlled multi-seed
studies where only the loss changes (``losslab run``), and recommend one for
your data with the evidence.
"""

__version__ = "0.1.0"



def recommend(data, task, **options):
    """Which loss fits ``data``? Profile it, race the candidate losses, recommend one.

    ``data``: a file path (CSV/TSV, NPY/NPZ, Parquet), a NumPy array or a pandas
    DataFrame; ``task``: ``"generate"``, ``"classify"`` or ``"regress"``; ``options``:
    those of :func:`losslab.study.recommend.recommend` (``target``, ``columns``,
    ``budget``, ``out``, ...). Returns a result whose ``.table`` is a pandas DataFrame.
    Imported on first use, so ``import losslab`` stays light.
    """
    from losslab.study.recommend import recommend as run

    return run(data, task, **options)


def loss(name, **knobs):
    """The registered loss ``name`` on plain batch tensors, knobs over the card's defaults:
    ``losslab.loss("huber", delta=0.5)(input, target)`` (torch.nn.functional's order, the
    batch mean); adversarial losses have ``.discriminator(real_scores, fake_scores)`` and
    ``.generator(fake_scores)``. See :mod:`losslab.functional`. Imported on first use.
    """
    from losslab.functional import loss as make

    return make(name, **knobs)


def register_loss(*args, **kwargs):
    """Register a plug-in loss (its terms and a short card); see :mod:`losslab.plugins`.
    Imported on first use."""
    from losslab.plugins import register_loss as register

    return register(*args, **kwargs)


def run(config, out=None, seeds=None, steps=None, **options):
    """Run a study (a TOML config file or a dict of its tables) and return a
    :class:`losslab.api.Study`: ``.members``, ``.series(name)``, ``.ranking(metric)`` as
    pandas DataFrames, ``.verdict(metric)``, ``.report()``. ``options``: those of
    :func:`losslab.api.run` (``db``, ``tune``, ``device``, ``overwrite``, ...).
    Imported on first use, so ``import losslab`` stays light."""
    from losslab.api import run as run_study

    return run_study(config, out, seeds, steps, **options)


def load(run_dir, **options):
    """Open a finished study (its ``out`` folder) read-only as a :class:`losslab.api.Study`;
    ``options``: ``db``, the run store (default ``<run_dir>/../losslab.db``)."""
    from losslab.api import load as load_study

    return load_study(run_dir, **options)
