"""The small data-file problems of issue 14: complex numbers are refused (not silently
made real), integers beyond 64 bits are numbers, and a repeated CSV header is caught
(pandas would rename it)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from losslab.data.files import load
from losslab.errors import BadInput


def test_complex_npy_is_refused(tmp_path):
    path = tmp_path / "c.npy"
    np.save(path, (np.arange(40) + 1j * np.arange(40)).reshape(20, 2))
    with pytest.raises(BadInput, match="complex values"):
        load(str(path), "generate")


def test_complex_field_in_a_structured_npy_is_refused(tmp_path):
    path = tmp_path / "s.npy"
    a = np.zeros(20, dtype=[("re", "f8"), ("z", "c16")])
    a["re"] = np.arange(20)
    a["z"] = np.arange(20) * 1j
    np.save(path, a)
    with pytest.raises(BadInput, match="complex values .*z"):
        load(str(path), "generate")


def test_complex_npz_and_dataframe_are_refused(tmp_path):
    path = tmp_path / "c.npz"
    np.savez(path, a=np.arange(20.0), b=np.arange(20) * (1 + 1j))
    with pytest.raises(BadInput, match="complex"):
        load(str(path), "generate")
    frame = pd.DataFrame({"a": np.arange(20.0), "b": np.arange(20) * (1 + 2j)})
    with pytest.raises(BadInput, match="complex values in column"):
        load(frame, "generate")


def test_integers_beyond_64_bits_are_numbers(tmp_path):
    big = [2**64 + 10**6 * i for i in range(12)]  # float64 spacing there is 4096
    path = tmp_path / "big.csv"
    path.write_text("a,b\n" + "".join(f"{i},{v}\n" for i, v in enumerate(big)))
    data = load(str(path), "generate")
    assert data.columns == ["a", "b"]
    assert data.x[:, 1].tolist() == [float(v) for v in big]


def test_an_integer_beyond_float_range_is_an_infinite_value(tmp_path):
    path = tmp_path / "huge.csv"
    rows = [f"{i},{i * 2}\n" for i in range(11)] + [f"11,{10**400}\n"]
    path.write_text("a,b\n" + "".join(rows))
    with pytest.raises(BadInput, match="NaN, infinite or missing.*rows 12"):
        load(str(path), "generate")


@pytest.mark.parametrize("header", ["a,a,b", "a, a,b", "x,y,x"])
def test_a_repeated_csv_header_is_caught(tmp_path, header):
    path = tmp_path / "d.csv"
    path.write_text(header + "\n" + "".join(f"{i},{i + 1},{i * 3 % 7}\n" for i in range(12)))
    with pytest.raises(BadInput, match="duplicate column names"):
        load(str(path), "generate")


def test_a_headerless_csv_with_repeated_numbers_is_data(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("".join(f"1,1,{i}\n" for i in range(12)).replace("1,1,0", "1,1,0", 1))
    rows = [f"{i % 3},{i % 3},{i}\n" for i in range(12)]
    path.write_text("".join(rows))
    data = load(str(path), "generate")
    assert data.columns == ["0", "1", "2"] and data.n == 12
