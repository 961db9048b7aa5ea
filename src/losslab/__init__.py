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
