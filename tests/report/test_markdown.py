"""report.md: GitHub tables, figures by relative path, every user string escaped.

Rendered back with markdown-it-py (CommonMark + tables, raw HTML allowed) as the
independent check: an unescaped tag would come out as a tag."""

import re
from pathlib import Path

import pytest

from losslab.cli import main
from losslab.report import build_report
from losslab.report.markdown import md_escape, render_markdown

EVIL = "<script>alert(1)</script>"


def _render(text):
    markdown_it = pytest.importorskip("markdown_it", reason="markdown-it-py is in the test extra")
    return markdown_it.MarkdownIt("commonmark", {"html": True}).enable("table").render(text)


@pytest.fixture(scope="module")
def evil_run(tmp_path_factory, make_study_store):
    tmp_path = tmp_path_factory.mktemp("md")
    store, sid = make_study_store(tmp_path, name=f"study {EVIL}", labels=(EVIL, "a|b*_[x]`"))
    out = tmp_path / "out"
    summary = build_report(store, sid, out)
    store.close()
    assert main(["report", str(out), "--format", "md"]) == 0
    return out, summary, (out / "report.md").read_text(encoding="utf-8")


def _unescaped_pipes(line):
    return len(re.findall(r"(?<!\\)\|", line))


def test_markdown_escapes_user_strings(evil_run):
    _, _, md = evil_run
    assert not re.search(r"(?<!\\)<", md)  # every "<" in the file is escaped
    assert r"\<script\>alert(1)\</script\>" in md
    assert md.startswith(r"# losslab report: study \<script\>alert(1)\</script\>")
    html = _render(md)
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "a|b*_[x]`" in html  # the label comes back verbatim, as text


def test_tables_are_github_tables_with_intact_columns(evil_run):
    _, summary, md = evil_run
    tables = re.findall(r"(?:^\|.*\|$\n?)+", md, flags=re.M)
    assert len(tables) >= len(summary["verdicts"]) + 3  # config, rankings, members, problems
    for table in tables:
        lines = table.strip().splitlines()
        assert re.fullmatch(r"\|( -{3}:? \|)+", lines[1].replace("---:", "---:"))
        assert len({_unescaped_pipes(line) for line in lines}) == 1, table
    html = _render(md)
    assert html.count("<table>") == len(tables)
    assert "<th>Holm-adjusted p</th>" in html.replace(' style="text-align:right"', "")


def test_figures_are_referenced_by_relative_path(evil_run):
    out, summary, md = evil_run
    refs = re.findall(r"!\[[^\n]*?\]\((figures/[^)]+)\)", md)
    assert refs == [f["file"] for f in summary["figures"]]
    assert all((out / ref).is_file() for ref in refs)
    assert "data:image" not in md


def test_rankings_and_conclusions_match_the_summary(evil_run):
    _, summary, md = evil_run
    assert "paired t" in md and "Holm" in md
    for e in summary["ranking"]:
        if e["mean"] is not None:
            assert f"{e['mean']:.4g}" in md
    assert "Diverged and failed members" in md and "loss became NaN" in md


def test_markdown_diagnoses_escaped_and_linked(evil_run):
    _, summary, _ = evil_run
    diagnosed = {
        **summary,
        "diagnoses": [
            {"loss": EVIL, "seed": 0, "kind": "oscillation", "verdict": True, "explanation": EVIL}
        ],
    }
    md = render_markdown(diagnosed, [])
    section = md.split("## Diagnoses", 1)[1].split("\n## ", 1)[0]
    assert not re.search(r"(?<!\\)<", section)
    assert "(docs/site/adversarial.html#nonsaturating-bce)" in section
    assert "| detected |" in section
    assert "<script" not in _render(md)


@pytest.mark.parametrize("char", list("\\`*_[]<>|&~#!"))
def test_md_escape_backslashes_each_special_character(char):
    assert md_escape(f"a{char}b") == f"a\\{char}b"


def test_md_escape_keeps_one_line():
    assert md_escape("two\nlines\r\n  and\ttabs") == "two lines and tabs"
    assert md_escape(3) == "3"


def test_markdown_file_sits_beside_figures(evil_run):
    out, _, _ = evil_run
    assert Path(out / "report.md").parent == Path(out / "figures").parent
