"""The report page: paired tests in summary.json and on the page, diagnoses, regeneration."""

import re

import pytest
from scipy import stats

from losslab.cli import main
from losslab.report import build_report
from losslab.report.html import render_html
from losslab.report.rundir import figure_files

EVIL = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def built(tmp_path_factory, make_study_store):
    tmp_path = tmp_path_factory.mktemp("html")
    store, sid = make_study_store(tmp_path, labels=("bce", "wgan-gp"))
    out = tmp_path / "out"
    summary = build_report(store, sid, out)
    store.close()
    return out, summary


def _finals(summary, loss, metric):
    return {
        m["seed"]: m["metrics"][metric]
        for m in summary["members"]
        if m["loss"] == loss and m["status"] == "ok"
    }


def test_summary_ranking_has_paired_p_values_checked_against_scipy(built):
    _, summary = built
    for metric in ("w1", "ks"):
        entries = [e for e in summary["ranking"] if e["metric"] == metric]
        best, other = entries
        assert best["p_vs_best"] is None and best["p_vs_best_holm"] is None
        a, b = _finals(summary, best["loss"], metric), _finals(summary, other["loss"], metric)
        seeds = sorted(set(a) & set(b))
        assert seeds == [0, 1] and other["n_pairs"] == 2
        p = stats.ttest_rel([a[s] for s in seeds], [b[s] for s in seeds]).pvalue
        assert other["p_vs_best"] == pytest.approx(p)
        assert other["p_vs_best_holm"] == pytest.approx(p)  # one comparison: Holm is a no-op
        assert {"loss", "metric", "mean", "ci95", "n", "rank"} <= set(other)


def test_page_names_the_test_and_the_correction_and_concludes_carefully(built):
    out, summary = built
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "paired t-test" in html and "ttest_rel" in html and "Holm" in html
    assert "Holm-adjusted p" in html  # the column
    for metric, v in summary["verdicts"].items():
        if v["significant"]:
            expected = f"{v['best']} is best on {metric} (paired t-test vs each other loss"
        else:
            expected = f"no significant difference between {v['best']} and {v['runner_up']}"
        assert expected in html
    ranking = html.split("<h2>Rankings</h2>", 1)[1].split("<h2>", 1)[0]
    assert ranking.count('<table class="ranking">') == len(summary["verdicts"])


def test_page_order_rankings_members_problems_figures_then_config(built):
    """The answer first; the configuration, for the reader who wants to check it, last
    (issue 13: "At a glance" opens with the answer, the configuration moves to the end)."""
    out, summary = built
    html = (out / "report.html").read_text(encoding="utf-8")
    heads = re.findall(r"<h2>([^<]+)</h2>", html)
    assert heads == [
        "At a glance",
        "Rankings",
        "Diagnoses",
        "Members",
        "Diverged and failed members",
        "Figures",
        "Study configuration",
    ]
    assert summary["diagnoses"]  # the synthetic adversarial members were diagnosed


def test_no_diagnoses_section_without_diagnoses(built, tmp_path):
    from losslab.report.html import write_html

    _, summary = built
    bare = {k: v for k, v in summary.items() if k != "diagnoses"}
    write_html(tmp_path / "r.html", bare, [], {})
    heads = re.findall(r"<h2>([^<]+)</h2>", (tmp_path / "r.html").read_text(encoding="utf-8"))
    assert "Diagnoses" not in heads


def test_diagnoses_are_rendered_escaped_with_catalogue_links(built):
    out, summary = built
    diagnosed = dict(summary)
    diagnosed["diagnoses"] = [
        {
            "loss": "wgan-gp",
            "seed": 1,
            "kind": "vanishing <gradients>",
            "verdict": "critic too strong",
            "explanation": f"The generator's gradient fell to ~0 {EVIL}",
        },
        {
            "loss": "bce",
            "kind": "mode-collapse",
            "verdict": False,
            "explanation": "all modes covered",
            "summary": "8/8 modes, reverse KL 0.01",
        },
    ]
    html = render_html(diagnosed, figure_files(out, summary), {})
    section = html.split("<h2>Diagnoses</h2>", 1)[1].split("<h2>", 1)[0]
    assert "vanishing &lt;gradients&gt;" in section and EVIL not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in section
    # each loss links to its catalogue card and shows its registry name
    assert '<a href="docs/site/adversarial.html#wgan-gp">wgan-gp</a>' in section
    assert '<a href="docs/site/adversarial.html#nonsaturating-bce">bce</a>' in section
    assert "<code>nonsaturating-bce</code>" in section
    assert ">not detected</td>" in section and "8/8 modes, reverse KL 0.01" in section
    empty = render_html({**summary, "diagnoses": []}, [], {})
    assert "No diagnosis was raised." in empty


def test_cli_report_regenerates_the_page_from_summary_json(built, capsys):
    out, summary = built
    before = (out / "report.html").read_text(encoding="utf-8")
    (out / "report.html").unlink()
    (out.parent / "losslab.db").unlink()  # regenerating needs no store
    assert main(["report", str(out)]) == 0
    assert "report.html" in capsys.readouterr().out
    after = (out / "report.html").read_text(encoding="utf-8")
    assert after.count('src="data:image/png;base64,') == len(summary["figures"])
    strip = re.compile(r'<p class="note">Run store[^<]*</p>')
    assert strip.sub("", after) == strip.sub("", before)


def test_cli_report_without_summary_is_bad_input(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "no summary.json" in capsys.readouterr().err
    assert main(["report"]) == 2
