"""`losslab compare`: two studies' rankings side by side, from run folders or the store."""

import re

import pytest

from losslab.cli import main
from losslab.report import build_report

EVIL = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def two_studies(tmp_path_factory, make_study_store):
    root = tmp_path_factory.mktemp("compare")
    out = {}
    for key, name, labels in (("a", "study-a", ("bce", "wgan-gp")), ("b", EVIL, ("bce", "hinge"))):
        store, sid = make_study_store(root / key, name=name, labels=labels)
        out[key] = (root / key / "out", build_report(store, sid, root / key / "out"))
        store.close()
    return root, out


def _entry(summary, loss, metric):
    return next(e for e in summary["ranking"] if e["loss"] == loss and e["metric"] == metric)


def test_compare_run_dirs_prints_side_by_side_tables(two_studies, capsys):
    _, studies = two_studies
    (a_dir, a), (b_dir, b) = studies["a"], studies["b"]
    assert main(["compare", str(a_dir), str(b_dir)]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"A = study-a  ({a_dir})\nB = {EVIL}  ({b_dir})")
    block = text.split("\nw1 (lower is better)\n", 1)[1].split("\n\n", 1)[0]
    head, rule, *rows = block.splitlines()
    assert (
        head.split()
        == "loss A rank A mean A 95% CI A Holm p B rank B mean B 95% CI B Holm p".split()
    )
    by_loss = {
        row.split()[0]: row for row in rows if not row.startswith(("A:", "B:", "95% CI:"))
    }
    assert "95% CI: modified Cox interval on the log scale" in block  # w1 is in [0, inf)
    assert set(by_loss) == {"bce", "wgan-gp", "hinge"}
    assert f"{_entry(a, 'wgan-gp', 'w1')['mean']:.4g}" in by_loss["wgan-gp"]
    assert f"{_entry(b, 'hinge', 'w1')['mean']:.4g}" in by_loss["hinge"]
    assert by_loss["hinge"].split()[1] == "—"  # not in study A
    assert "A: " in block and "B: " in block  # each study's conclusion
    shared = {e["metric"] for e in a["ranking"]} & {e["metric"] for e in b["ranking"]}
    assert all(f"\n{m} (lower is better)\n" in text for m in shared)
    assert "config differences (A vs B):" in text and "losses[1].name: wgan-gp vs hinge" in text


def test_compare_by_name_in_the_store_and_one_metric(two_studies, capsys):
    root, studies = two_studies
    db = root / "a" / "losslab.db"
    assert (
        main(["compare", "study-a", str(studies["b"][0]), "--db", str(db), "--metric", "ks"]) == 0
    )
    text = capsys.readouterr().out
    assert f"A = study-a  ({db} #1)" in text
    assert "\nks (lower is better)\n" in text and "\nw1 (lower" not in text
    a = studies["a"][1]
    assert f"{_entry(a, 'bce', 'ks')['mean']:.4g}" in text


def test_compare_writes_markdown_and_html(two_studies, tmp_path, capsys):
    _, studies = two_studies
    dirs = [str(studies[k][0]) for k in "ab"]
    md, html = tmp_path / "c.md", tmp_path / "c.html"
    assert main(["compare", *dirs, "--out", str(md)]) == 0
    assert main(["compare", *dirs, "--out", str(html)]) == 0
    text = md.read_text(encoding="utf-8")
    assert not re.search(r"(?<!\\)<", text) and r"\<script\>" in text
    assert "| loss | A rank | A mean |" in text
    page = html.read_text(encoding="utf-8")
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("<table>") >= 2


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--metric", "nope"], "not ranked in both"),
        (["--out", "x.txt"], "expected a .md or .html"),
    ],
)
def test_compare_bad_arguments_exit_2(two_studies, capsys, extra, message):
    _, studies = two_studies
    assert main(["compare", str(studies["a"][0]), str(studies["b"][0]), *extra]) == 2
    assert message in capsys.readouterr().err


def test_compare_unknown_study_names_what_the_store_holds(two_studies, capsys):
    root, studies = two_studies
    db = root / "a" / "losslab.db"
    assert main(["compare", "missing", str(studies["a"][0]), "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert "no study 'missing'" in err and "'study-a'" in err
    assert main(["compare", "missing", "other", "--db", str(root / "none.db")]) == 2
    assert not (root / "none.db").exists()  # a lookup never creates a store


def test_report_db_lists_the_studies(two_studies, capsys, make_study_store, tmp_path):
    root, _ = two_studies
    store, sid = make_study_store(tmp_path, name="finished one", finish=True)
    store.close()
    assert main(["report", "--db", str(tmp_path / "losslab.db")]) == 0
    head, row = capsys.readouterr().out.splitlines()
    assert head.split() == ["id", "name", "out_dir", "members", "finished"]
    assert row.split()[0] == "1" and "finished one" in row and str(tmp_path / "out") in row
    assert re.search(r"\b6\s+\d{4}-\d\d-\d\d \d\d:\d\d$", row)
    assert main(["report", "--db", str(root / "a" / "losslab.db")]) == 0
    assert capsys.readouterr().out.splitlines()[1].rstrip().endswith("no")
