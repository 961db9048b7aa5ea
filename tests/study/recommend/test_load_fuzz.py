"""Fuzzing the loaders: any bytes or CSV-like text gives a table or BadInput, nothing else."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from losslab.data.files import Table, load
from losslab.errors import BadInput

FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
TASKS = st.sampled_from(["generate", "classify", "regress"])


def _try(path: Path, task: str, target: str | None) -> None:
    try:
        out = load(path, task, target=target)
    except BadInput as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(out, Table)
    assert np.isfinite(out.x).all() and out.n >= 2


@FUZZ
@given(
    data=st.binary(max_size=400),
    ext=st.sampled_from([".csv", ".tsv", ".npy", ".npz", ".parquet"]),
    task=TASKS,
)
def test_random_bytes(data, ext, task):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"f{ext}"
        path.write_bytes(data)
        _try(path, task, None if task == "generate" else "0")


CELL = st.one_of(
    st.integers(-5, 5).map(str),
    st.floats(allow_nan=True).map(repr),
    st.sampled_from(["", "nan", "inf", "-inf", "a", "x y", '"q"', "1e999"]),
)


@FUZZ
@given(
    rows=st.lists(st.lists(CELL, min_size=1, max_size=4), max_size=25),
    header=st.booleans(),
    sep=st.sampled_from([",", "\t", ";"]),
    task=TASKS,
)
def test_random_csv_text(rows, header, sep, task):
    lines = ([sep.join(f"c{i}" for i in range(4))] if header else []) + [sep.join(r) for r in rows]
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / ("f.tsv" if sep == "\t" else "f.csv")
        path.write_text("\n".join(lines))
        _try(path, task, None if task == "generate" else ("c0" if header else "0"))


@FUZZ
@given(
    values=st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=0, max_size=60),
    cols=st.integers(1, 3),
    task=TASKS,
)
def test_random_arrays_and_frames(values, cols, task):
    n = len(values) // cols
    arr = np.asarray(values[: n * cols], dtype=np.float64).reshape(n, cols)
    target = None if task == "generate" else "0"
    for data in (arr, pd.DataFrame(arr, columns=[str(i) for i in range(cols)])):
        try:
            load(data, task, target=target)
        except BadInput:
            pass
