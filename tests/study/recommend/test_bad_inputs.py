"""Every bad input: exit code 2, one line on stderr naming the problem, no traceback."""

from __future__ import annotations

import numpy as np
import pandas as pd

from losslab.cli import main


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(["recommend", *argv, "--quiet", "--budget", "10"])
    err = capsys.readouterr().err.strip()
    return code, err


def check(capsys, argv, *needles: str) -> str:
    code, err = run(capsys, *argv)
    assert code == 2, err
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, (needle, err)
    return err


def csv(tmp_path, text: str, name: str = "d.csv") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_missing_file(tmp_path, capsys):
    check(capsys, [str(tmp_path / "nope.csv"), "--task", "generate"], "nope.csv", "no such file")


def test_directory_is_not_a_file(tmp_path, capsys):
    check(capsys, [str(tmp_path), "--task", "generate"], "not a file")


def test_unknown_format(tmp_path, capsys):
    check(
        capsys,
        [csv(tmp_path, "a,b\n1,2\n", "d.xlsx"), "--task", "generate"],
        "d.xlsx",
        "unknown format '.xlsx'",
    )


def test_empty_file(tmp_path, capsys):
    check(capsys, [csv(tmp_path, ""), "--task", "generate"], "d.csv", "empty")


def test_header_only_is_empty(tmp_path, capsys):
    check(capsys, [csv(tmp_path, "a,b\n"), "--task", "generate"], "d.csv", "empty")


def test_unreadable_npy(tmp_path, capsys):
    path = tmp_path / "d.npy"
    path.write_bytes(b"\x93NUMPY garbage")
    check(capsys, [str(path), "--task", "generate"], "d.npy", "cannot read")


def test_unreadable_parquet(tmp_path, capsys):
    path = tmp_path / "d.parquet"
    path.write_bytes(b"not parquet at all")
    check(capsys, [str(path), "--task", "generate"], "d.parquet", "cannot read it as PARQUET")


def test_single_row(tmp_path, capsys):
    check(capsys, [csv(tmp_path, "a,b\n1,2\n"), "--task", "generate"], "d.csv", "single data row")


def test_non_numeric_columns_are_listed(tmp_path, capsys):
    rows = "".join(f"{i},{i * 2},x{i},y\n" for i in range(20))
    err = check(
        capsys,
        [csv(tmp_path, "a,b,name,tag\n" + rows), "--task", "generate"],
        "non-numeric",
        "name",
        "tag",
        "--columns",
    )
    assert "a," not in err.split("column(s)")[1].split(";")[0]


def test_nan_and_inf_count_and_rows(tmp_path, capsys):
    rows = [f"{i},{i * 0.5}" for i in range(20)]
    rows[3] = "nan,1"
    rows[7] = "2,inf"
    text = "a,b\n" + "\n".join(rows) + "\n"
    check(
        capsys,
        [csv(tmp_path, text), "--task", "generate"],
        "2 row(s)",
        "rows 4, 8",
        "--drop-invalid",
    )


def test_drop_invalid_drops_them(tmp_path):
    from losslab.data.files import load

    rng = np.random.default_rng(0)
    x = rng.standard_normal((30, 2))
    x[[2, 5], 1] = np.nan
    table = load(pd.DataFrame(x, columns=["a", "b"]), "generate", drop_invalid=True)
    assert table.n == 28 and table.dropped_rows == [3, 6]


def test_constant_column(tmp_path, capsys):
    rows = "".join(f"{i},5,{i % 3}\n" for i in range(20))
    check(
        capsys,
        [csv(tmp_path, "a,c,b\n" + rows), "--task", "generate"],
        "constant column(s) c",
        "--drop-constant",
    )


def test_target_missing(tmp_path, capsys):
    rows = "".join(f"{i},{i % 3}\n" for i in range(20))
    check(
        capsys,
        [csv(tmp_path, "a,b\n" + rows), "--task", "classify", "--target", "label"],
        "no target column 'label'",
    )


def test_target_not_given(tmp_path, capsys):
    rows = "".join(f"{i},{i % 3}\n" for i in range(20))
    check(capsys, [csv(tmp_path, "a,b\n" + rows), "--task", "regress"], "needs --target")


def test_single_class(tmp_path, capsys):
    rows = "".join(f"{i},{i * i},1\n" for i in range(20))
    check(
        capsys,
        [csv(tmp_path, "a,b,y\n" + rows), "--task", "classify", "--target", "y"],
        "target column 'y'",
        "single class",
    )


def test_unknown_columns(tmp_path, capsys):
    rows = "".join(f"{i},{i % 3}\n" for i in range(20))
    check(
        capsys,
        [csv(tmp_path, "a,b\n" + rows), "--task", "generate", "--columns", "a,zz"],
        "unknown column(s) zz",
    )


def test_too_many_columns_for_the_budget(tmp_path, capsys):
    rng = np.random.default_rng(0)
    path = tmp_path / "wide.npy"
    np.save(path, rng.standard_normal((40, 20000)))
    check(
        capsys,
        [str(path), "--task", "regress", "--target", "0"],
        "wide.npy",
        "19999 columns",
        "--budget of 10 s can serve",
    )


def test_budget_below_minimum(tmp_path, capsys):
    rows = "".join(f"{i},{i % 3}\n" for i in range(20))
    code = main(
        [
            "recommend",
            csv(tmp_path, "a,b\n" + rows),
            "--task",
            "generate",
            "--budget",
            "1",
            "--quiet",
        ]
    )
    assert code == 2
    assert "--budget 1" in capsys.readouterr().err


def test_bad_schedule(tmp_path, capsys):
    rows = "".join(f"{i},{i % 3}\n" for i in range(20))
    check(
        capsys,
        [csv(tmp_path, "a,b\n" + rows), "--task", "generate", "--schedule", "ax2"],
        "--schedule",
    )
