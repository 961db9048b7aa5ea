"""Read the user's data file and validate it for ``losslab recommend``.

Formats (by file extension): CSV (``.csv``, ``.txt``), TSV (``.tsv``, ``.tab``),
NumPy (``.npy``, ``.npz``) and Parquet (``.parquet``, ``.pq``). A CSV/TSV whose
first line is all numbers has no header: its columns are named ``0, 1, ...``, as
are the columns of a plain ``.npy`` array. In an ``.npz`` every 1-D array is a
column named by its key and every 2-D array ``k`` gives columns ``k[0], k[1], ...``.

Every problem is one :class:`~losslab.errors.BadInput` line that names the file
and the row or column at fault (rows are counted from 1 over the data, the
header excluded). Nothing else escapes a reader: any failure to parse is bad
input, reported in one line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from losslab.errors import BadInput

FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".npy": "npy",
    ".npz": "npz",
    ".parquet": "parquet",
    ".pq": "parquet",
}
MIN_CLASS_ROWS = 3
"""Each class needs this many rows so that a stratified split can put one in training."""
MIN_ROWS = 10
"""Fewer rows cannot be split into training, validation and test parts."""
_SHOW = 5  # how many names / rows a message lists before "..."


@dataclass
class Table:
    """Validated data: ``x`` float64 ``[n, d]`` and, for supervised tasks, ``y`` ``[n]``
    (int64 class indices for ``classify``, float64 targets for ``regress``)."""

    source: str
    columns: list[str]
    x: np.ndarray
    y: np.ndarray | None = None
    target: str | None = None
    classes: list[str] = field(default_factory=list)  # class labels, index order
    dropped_rows: list[int] = field(default_factory=list)  # 1-based, with --drop-invalid
    dropped_columns: list[str] = field(default_factory=list)  # constant, with --drop-constant

    @property
    def n(self) -> int:
        return int(self.x.shape[0])

    @property
    def dim(self) -> int:
        return int(self.x.shape[1])


def _listed(items: list[Any]) -> str:
    shown = ", ".join(str(i) for i in items[:_SHOW])
    return shown + (f", ... ({len(items)} in all)" if len(items) > _SHOW else "")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


def read_frame(path: str | Path, fmt: str | None = None) -> pd.DataFrame:
    """The file as a DataFrame (no validation beyond "can it be read"); ``fmt`` (one of
    ``csv tsv npy npz parquet``) overrides the format the extension gives."""
    path = Path(path)
    if not path.exists():
        raise BadInput(f"{path}: no such file")
    if not path.is_file():
        raise BadInput(f"{path}: not a file")
    if fmt is not None and fmt not in _READERS:
        raise BadInput(f"{path}: unknown format {fmt!r} (known: {' '.join(_READERS)})")
    fmt = fmt or FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = " ".join(FORMATS)
        raise BadInput(
            f"{path}: unknown format {path.suffix or '(no extension)'!r} (known: {known})"
        )
    if path.stat().st_size == 0:
        raise BadInput(f"{path}: the file is empty")
    try:
        frame = _READERS[fmt](path)
    except BadInput:
        raise
    except Exception as exc:  # noqa: BLE001 - any parse failure is the file's problem
        raise BadInput(f"{path}: cannot read it as {fmt.upper()}: {_one_line(exc)}") from None
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise BadInput(f"{path}: the file is empty (no data rows)")
    return frame


def _read_text(path: Path, sep: str) -> pd.DataFrame:
    # the header as written: pandas renames a repeated name ("a", "a.1"), which would hide it
    first = pd.read_csv(path, sep=sep, header=None, nrows=1, dtype=str, skipinitialspace=True,
                        keep_default_na=False)
    header = [str(c).strip() for c in first.iloc[0]] if len(first) else []
    if header and not all(_is_number(c) for c in header):
        dup = [c for c in header if header.count(c) > 1]
        if dup:
            raise BadInput(f"{path}: duplicate column names: {_listed(sorted(set(dup)))}")
    frame = pd.read_csv(path, sep=sep, skipinitialspace=True)
    if all(_is_number(c) for c in frame.columns):  # the first line was data, not a header
        frame = pd.read_csv(path, sep=sep, header=None, skipinitialspace=True)
        frame.columns = [str(i) for i in range(frame.shape[1])]
    frame.columns = [str(c).strip() for c in frame.columns]
    if len(set(frame.columns)) != frame.shape[1]:
        dup = [c for c in frame.columns if list(frame.columns).count(c) > 1]
        raise BadInput(f"{path}: duplicate column names: {_listed(sorted(set(dup)))}")
    return frame


def _is_number(text: Any) -> bool:
    try:
        float(str(text))
    except ValueError:
        return False
    return True


def _array_frame(array: np.ndarray, prefix: str = "") -> pd.DataFrame:
    complex_fields = [n for n in (array.dtype.names or ()) if np.iscomplexobj(array[n])]
    if np.iscomplexobj(array) or complex_fields:
        where = f" (fields {_listed(complex_fields)})" if complex_fields else ""
        raise BadInput(
            f"complex values{where}: losslab reads real numbers; store the real and "
            "imaginary parts as separate columns"
        )
    if array.dtype.names:  # a structured array: one column per field
        return pd.DataFrame({name: array[name] for name in array.dtype.names})
    if array.ndim == 0:
        array = array.reshape(1, 1)
    if array.ndim == 1:
        return pd.DataFrame({prefix or "0": array})
    if array.ndim != 2:
        raise BadInput(f"expected a 1-D or 2-D array, got shape {array.shape}")
    names = [f"{prefix}[{i}]" if prefix else str(i) for i in range(array.shape[1])]
    return pd.DataFrame(array, columns=names)


def _read_npy(path: Path) -> pd.DataFrame:
    try:
        array = np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise BadInput(f"{path}: cannot read it as NPY: {_one_line(exc)}") from None
    if isinstance(array, np.lib.npyio.NpzFile):  # an .npz saved under .npy
        raise BadInput(f"{path}: is an NPZ archive; rename it to .npz")
    try:
        return _array_frame(array)
    except BadInput as exc:
        raise BadInput(f"{path}: {exc}") from None


def _read_npz(path: Path) -> pd.DataFrame:
    with np.load(path, allow_pickle=False) as archive:
        parts = []
        for key in archive.files:
            try:
                parts.append(_array_frame(archive[key], key))
            except BadInput as exc:
                raise BadInput(f"{path}: array {key!r}: {exc}") from None
    if not parts:
        raise BadInput(f"{path}: the archive holds no arrays")
    rows = {len(p) for p in parts}
    if len(rows) != 1:
        sizes = ", ".join(f"{k}: {len(p)}" for k, p in zip(archive.files, parts, strict=True))
        raise BadInput(f"{path}: arrays differ in length ({sizes})")
    return pd.concat(parts, axis=1) if len(parts) > 1 else parts[0]


_READERS = {
    "csv": lambda p: _read_text(p, ","),
    "tsv": lambda p: _read_text(p, "\t"),
    "npy": _read_npy,
    "npz": _read_npz,
    "parquet": pd.read_parquet,
}


def as_frame(data: Any) -> tuple[pd.DataFrame, str]:
    """An array, a DataFrame or a file path as ``(frame, name for messages)``."""
    if isinstance(data, str | Path):
        return read_frame(data), str(data)
    if isinstance(data, pd.DataFrame):
        frame = data.copy()
        frame.columns = [str(c) for c in frame.columns]
        return frame, "<DataFrame>"
    try:
        array = np.asarray(data)
    except Exception as exc:  # noqa: BLE001
        raise BadInput(f"<array>: cannot read it as an array: {_one_line(exc)}") from None
    try:
        return _array_frame(array), "<array>"
    except BadInput as exc:
        raise BadInput(f"<array>: {exc}") from None


def validate(
    frame: pd.DataFrame,
    source: str,
    task: str,
    target: str | None = None,
    columns: list[str] | None = None,
    drop_invalid: bool = False,
    drop_constant: bool = False,
) -> Table:
    """Check ``frame`` for ``task`` and return its numbers; BadInput names the problem."""
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise BadInput(f"{source}: the data is empty (no rows)")
    names = [str(c) for c in frame.columns]
    if len(set(names)) != len(names):
        dup = sorted({c for c in names if names.count(c) > 1})
        raise BadInput(f"{source}: duplicate column names: {_listed(dup)}")
    frame = frame.set_axis(names, axis=1)
    complex_cols = [c for c in names if pd.api.types.is_complex_dtype(frame[c])]
    if complex_cols:
        raise BadInput(
            f"{source}: complex values in column(s) {_listed(complex_cols)}; losslab reads "
            "real numbers: store the real and imaginary parts as separate columns"
        )
    frame = _big_integers_as_floats(frame)
    if task in ("classify", "regress") and target is None:
        raise BadInput(f"{source}: --task {task} needs --target COL (columns: {_listed(names)})")
    if target is not None and target not in names:
        raise BadInput(f"{source}: no target column {target!r} (columns: {_listed(names)})")
    if columns is not None:
        unknown = [c for c in columns if c not in names]
        if unknown:
            raise BadInput(
                f"{source}: --columns names unknown column(s) {_listed(unknown)} "
                f"(columns: {_listed(names)})"
            )
        features = [c for c in columns if c != target]
    else:
        features = [c for c in names if c != target]
    if not features:
        raise BadInput(f"{source}: no feature columns left (target {target!r} is the only one)")

    x_frame = frame[features]
    bad = [c for c in features if not _numeric(x_frame[c])]
    if bad:
        raise BadInput(
            f"{source}: non-numeric column(s) {_listed(bad)}; choose numeric "
            f"ones with --columns A,B,..."
        )
    x = np.array(x_frame.to_numpy(dtype=np.float64, na_value=np.nan))
    y_raw = frame[target] if target is not None else None
    invalid = ~np.isfinite(x).all(axis=1)
    if y_raw is not None:
        if task == "regress":
            if not _numeric(y_raw):
                raise BadInput(
                    f"{source}: target column {target!r} is not numeric; "
                    "--task regress needs numbers"
                )
            y_num = y_raw.to_numpy(dtype=np.float64, na_value=np.nan)
            invalid |= ~np.isfinite(y_num)
        else:
            invalid |= _missing(y_raw)
    if invalid.any():
        rows = (np.flatnonzero(invalid) + 1).tolist()
        if not drop_invalid:
            cols = [c for c, col in zip(features, x.T, strict=True) if not np.isfinite(col).all()]
            if y_raw is not None and bool(invalid[np.isfinite(x).all(axis=1)].any()):
                cols.append(str(target))
            raise BadInput(
                f"{source}: {len(rows)} row(s) with NaN, infinite or missing values "
                f"(rows {_listed(rows)}; columns {_listed(cols)}); "
                "pass --drop-invalid to drop them"
            )
        keep = ~invalid
        x = x[keep]
        y_raw = y_raw[keep] if y_raw is not None else None
    else:
        rows = []
    n = x.shape[0]
    if n == 0:
        raise BadInput(f"{source}: no valid rows left after dropping {len(rows)} invalid row(s)")
    if n == 1:
        raise BadInput(f"{source}: a single data row; losslab needs at least {MIN_ROWS} rows")
    if n < MIN_ROWS:
        raise BadInput(
            f"{source}: only {n} data rows; at least {MIN_ROWS} are needed to split "
            "into training, validation and test parts"
        )
    constant = [c for c, col in zip(features, x.T, strict=True) if np.ptp(col) == 0]
    if constant and not drop_constant:
        raise BadInput(
            f"{source}: constant column(s) {_listed(constant)} carry no information; "
            "pass --drop-constant or leave them out with --columns A,B,..."
        )
    if constant:
        if len(constant) == len(features):
            raise BadInput(f"{source}: every feature column is constant")
        keep_cols = [c not in constant for c in features]
        x = x[:, keep_cols]
        features = [c for c, k in zip(features, keep_cols, strict=True) if k]
    table = Table(
        source=source,
        columns=features,
        x=x,
        target=target,
        dropped_rows=rows,
        dropped_columns=constant,
    )
    if y_raw is not None:
        _set_target(table, y_raw, task)
    return table


def _big_integers_as_floats(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns of Python integers (what pandas makes of integers beyond 64 bits) as
    float64, so they count as numbers; a value beyond float64's range becomes +-inf
    (then reported as an infinite value)."""
    out = {}
    for c in frame.columns:
        col = frame[c]
        if col.dtype != object:
            continue
        values = col.dropna().to_numpy()
        if len(values) and all(
            isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)
            for v in values
        ):
            out[c] = np.array([_to_float(v) for v in col.to_numpy()], dtype=np.float64)
    return frame.assign(**out) if out else frame


def _to_float(v: Any) -> float:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return np.nan
    try:
        return float(v)
    except OverflowError:
        return np.inf if v > 0 else -np.inf


def _numeric(col: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)


def _missing(col: pd.Series) -> np.ndarray:
    miss = np.array(col.isna().to_numpy(), dtype=bool)
    if _numeric(col):
        miss |= ~np.isfinite(col.to_numpy(dtype=np.float64, na_value=np.nan))
    return miss


def _set_target(table: Table, y_raw: pd.Series, task: str) -> None:
    src, name = table.source, table.target
    if task == "regress":
        y = y_raw.to_numpy(dtype=np.float64)
        if np.ptp(y) == 0:
            raise BadInput(
                f"{src}: target column {name!r} is constant ({y[0]:g}); nothing to regress"
            )
        table.y = y
        return
    labels = y_raw.to_numpy()
    if _numeric(y_raw):
        values = labels.astype(np.float64)
        if not np.all(values == np.round(values)):
            raise BadInput(
                f"{src}: target column {name!r} has non-integer values "
                f"(e.g. {values[values != np.round(values)][0]:g}); --task classify "
                "needs class labels (use --task regress for a continuous target)"
            )
        keys = values.astype(np.int64)
    else:
        keys = labels.astype(str)
    uniques, y = np.unique(keys, return_inverse=True)
    if len(uniques) < 2:
        raise BadInput(
            f"{src}: target column {name!r} has a single class ({uniques[0]}); "
            "classification needs at least two"
        )
    counts = np.bincount(y)
    small = [str(uniques[k]) for k in np.flatnonzero(counts < MIN_CLASS_ROWS)]
    if small:
        raise BadInput(
            f"{src}: target column {name!r}: class(es) {_listed(small)} have fewer "
            f"than {MIN_CLASS_ROWS} rows; drop or merge them"
        )
    table.y = y.astype(np.int64)
    table.classes = [str(u) for u in uniques]


def load(
    data: Any,
    task: str,
    target: str | None = None,
    columns: list[str] | None = None,
    drop_invalid: bool = False,
    drop_constant: bool = False,
) -> Table:
    """Read ``data`` (a path, an array or a DataFrame) and validate it for ``task``."""
    if task not in ("generate", "classify", "regress"):
        raise BadInput(f"--task {task!r}: expected generate, classify or regress")
    frame, source = as_frame(data)
    return validate(frame, source, task, target, columns, drop_invalid, drop_constant)
