"""Where commands write: checked before any work starts (DESIGN.md, "What the store and
the outputs own").

An output folder must be a folder (or creatable as one) that this process can write
in, and must not be one of the command's inputs; an output file must have a
writable folder and must not be a folder, a device or an input. Each problem is one
:class:`~losslab.errors.BadInput` line naming the path.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from losslab.errors import BadInput


def _same(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _probe_writable(folder: Path, what: str) -> None:
    try:
        with tempfile.TemporaryFile(dir=folder, prefix=".losslab-write-check-"):
            pass
    except OSError as exc:
        raise BadInput(f"{what} {folder}: cannot write there ({exc.strerror or exc})") from None


def _make_folder(folder: Path, what: str) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise BadInput(f"{what} {folder}: a file of that name is in the way") from None
    except OSError as exc:
        raise BadInput(f"{what} {folder}: cannot create it ({exc.strerror or exc})") from None


def check_out_dir(path: str | Path, what: str = "--out", inputs: Iterable[str | Path] = ()) -> Path:
    """``path`` as a folder to write into: created if missing, checked writable.

    Refused: an existing file (the config itself, ``/dev/null``, ...), a folder that
    cannot be created or written, and any of ``inputs``.
    """
    path = Path(path)
    for given in inputs:
        if _same(path, Path(given)):
            raise BadInput(f"{what} {path}: is the input {given}; choose an output folder")
    if path.exists() and not path.is_dir():
        kind = "a file" if path.is_file() else "not a folder (a device or special file)"
        raise BadInput(f"{what} {path}: is {kind}; give a folder to write into")
    _make_folder(path, what)
    _probe_writable(path, what)
    return path


def check_out_file(
    path: str | Path, what: str = "--out", inputs: Iterable[str | Path] = ()
) -> Path:
    """``path`` as a file to write: not a folder, device or input; its folder writable."""
    path = Path(path)
    for given in inputs:
        if _same(path, Path(given)):
            raise BadInput(f"{what} {path}: is the input {given}; choose another file")
    if path.is_dir():
        raise BadInput(f"{what} {path}: is a folder; give a file name")
    if path.exists() and not path.is_file():
        raise BadInput(f"{what} {path}: not a regular file (a device or special file)")
    if path.exists() and not os.access(path, os.W_OK):
        raise BadInput(f"{what} {path}: the file is not writable")
    folder = path.parent
    _make_folder(folder, what)
    _probe_writable(folder, what)
    return path
