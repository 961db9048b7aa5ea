"""The catalogue: every registered card is complete, explained, runnable and rendered.

These tests walk the registry, so a new family's cards are checked as soon as the
family is imported in ``registry._load_families``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import inspect
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from losslab.catalogue import build_docs, list_table
from losslab.catalogue.guide import GUIDE, family_file
from losslab.catalogue.markup import block_html, card_math_problems, inline_html, math_html
from losslab.cli import main
from losslab.losses import all_losses, get_loss

SPECS = all_losses()
NAMES = [s.name for s in SPECS]
FAMILIES = list(dict.fromkeys(s.family for s in SPECS))
REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")


def squash(text: str) -> str:
    return " ".join(text.split())


def no_space(text: str) -> str:
    return "".join(text.split())


# --- the cards ---------------------------------------------------------------------------


def _knob_parameters(spec) -> set[str]:
    """Parameters of the loss's terms that are knobs (a number, or a per-member ``Knob``),
    not data tensors."""
    knobs = set()
    for fn in spec.terms.values():
        for p in inspect.signature(fn).parameters.values():
            if p.annotation in (float, int, "float", "int", "Knob"):
                knobs.add(p.name)
    return knobs


@pytest.mark.parametrize("name", NAMES)
def test_card_has_no_empty_field(name):
    spec = get_loss(name)
    card = spec.card
    for field in dataclasses.fields(card):
        value = getattr(card, field.name)
        if isinstance(value, str):
            assert value.strip(), f"{name}: {field.name} is empty"
        elif isinstance(value, tuple):
            assert value, f"{name}: {field.name} is empty"
            assert all(str(v).strip() for v in value), f"{name}: empty item in {field.name}"
    for ref in card.references:
        assert ref.authors.strip() and ref.title.strip() and ref.year > 1600
    for knob_name, knob in card.hyperparameters.items():
        assert knob.doc.strip(), f"{name}: hyper-parameter {knob_name} has no doc"
    # {} only if the loss truly has none: no term takes a knob, the trainer reads none
    # (``training`` names the knobs it reads under these keys, see LossSpec).
    trainer_knobs = {
        spec.training[k]
        for k in ("weight_clip", "gradient_penalty", "quantile")
        if k in spec.training
    }
    used = _knob_parameters(spec) | trainer_knobs
    assert used <= set(card.hyperparameters), f"{name}: undocumented knobs {used}"
    if not card.hyperparameters:
        assert not used


@pytest.mark.parametrize("name", NAMES)
def test_card_math_converts_to_mathml(name):
    assert card_math_problems(get_loss(name).card) == []


@pytest.mark.parametrize("name", NAMES)
def test_card_example_runs(name):
    example = get_loss(name).card.example
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(example, f"<example of {name}>", "exec"), {"__name__": "__example__"})
    assert out.getvalue().strip()


# --- the command line --------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "md"])
@pytest.mark.parametrize("name", NAMES)
def test_explain_prints_formula_and_every_step(name, fmt, capsys):
    card = get_loss(name).card
    assert main(["explain", name, "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert no_space(card.formula) in no_space(out.replace("│", ""))
    flat = squash(out)
    for i, step in enumerate(card.derivation, start=1):
        assert f"{i}. {squash(step)}" in flat
    for text in (card.optimum_or_divergence, card.why, *card.pros, *card.cons, *card.used_by):
        assert squash(text) in flat
    assert squash(card.example) in flat
    if fmt == "md":
        assert f"$$\n{card.formula}\n$$" in out


def _searched(knob) -> str:
    return "not tuned" if knob.search is None else f"searched: {knob.search.describe()}"


@pytest.mark.parametrize("name", [s.name for s in SPECS if s.card.hyperparameters])
def test_explain_shows_each_knobs_search_range_in_its_row(name, capsys):
    card = get_loss(name).card
    assert main(["explain", name]) == 0
    text = capsys.readouterr().out
    assert main(["explain", name, "--format", "md"]) == 0
    md = capsys.readouterr().out
    header = next(
        line for line in text.splitlines() if line.split() == ["name", "default", "range", "search"]
    )
    rows = text.splitlines()[text.splitlines().index(header) :]
    assert "| name | default | range | search | effect |" in md
    for knob_name, knob in card.hyperparameters.items():
        row = next(line for line in rows if line.split()[:1] == [knob_name])
        assert row.rstrip().endswith(_searched(knob)), row
        md_row = next(line for line in md.splitlines() if line.startswith(f"| `{knob_name}` |"))
        assert md_row.split(" | ")[3] == _searched(knob), md_row
        # the effect follows, wrapped under the row
        assert squash(knob.doc) in squash(text)


def test_docs_show_each_knobs_search_range(tmp_path, project):
    build_docs(tmp_path / "site", project_root=project)
    for spec in SPECS:
        page = (tmp_path / "site" / family_file(spec.family)).read_text(encoding="utf-8")
        for knob_name, knob in spec.card.hyperparameters.items():
            assert re.search(
                rf"<tr><td><code>{knob_name}</code></td><td>[^<]*</td><td>[^<]*</td>"
                rf"<td>{re.escape(_searched(knob))}</td>",
                page,
            ), (spec.name, knob_name)
        if spec.card.hyperparameters:
            assert "<th>range</th><th>search</th><th>effect</th>" in page


def test_list_shows_every_name(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in NAMES:
        assert re.search(rf"^{re.escape(name)} ", out, re.M), name


def test_list_names_prints_exactly_the_registered_names(capsys):
    assert main(["list", "--names"]) == 0
    assert capsys.readouterr().out.splitlines() == NAMES


@pytest.mark.parametrize("family", FAMILIES)
def test_list_family(family, capsys):
    assert main(["list", "--family", family, "--names"]) == 0
    assert capsys.readouterr().out.splitlines() == [s.name for s in all_losses(family)]


def test_list_unknown_family_names_the_known_ones(capsys):
    assert main(["list", "--family", "adversarail"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert all(f in err for f in FAMILIES)


def test_misspelt_name_exits_2_with_the_close_match(capsys):
    assert main(["explain", "wgan-pg"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "wgan-gp" in lines[0]


def test_misspelt_name_from_a_real_process():
    proc = subprocess.run(
        [sys.executable, "-m", "losslab.cli", "explain", "lsgn"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "'lsgan'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_list_table_truncates_at_a_word_and_keeps_names():
    # wide enough for the one-line layout (narrower: see test_list_width.py)
    table = list_table(SPECS, width=140)
    lines = table.splitlines()[2:]
    assert len(lines) == len(SPECS)
    for spec, line in zip(SPECS, lines, strict=True):
        assert line.startswith(spec.name + " ")
        assert len(line) <= 140
        why = line.rsplit(" | ", 1)[1]
        whole = squash(spec.card.why)
        if why.endswith("…"):
            assert whole.startswith(why[:-1]) and whole[len(why) - 1] in " ,;:."
        else:
            assert whole.startswith(why)


def test_help_texts_teach(capsys):
    for command in (["--help"], ["explain", "--help"], ["docs", "--help"], ["list", "--help"]):
        with pytest.raises(SystemExit) as exc:
            main(command)
        assert exc.value.code == 0
        assert "losslab " in capsys.readouterr().out  # an example command line


# --- markup ------------------------------------------------------------------------------


def test_inline_markup_keeps_math_out_of_emphasis_and_escapes_the_rest():
    out = inline_html(r"**Bold $D^*$.** *it* `a<b` $x^*$ and <script> & more")
    assert out.startswith("<strong>Bold <math")
    assert "<em>it</em>" in out and "<code>a&lt;b</code>" in out
    assert "&lt;script&gt; &amp; more" in out and "<script" not in out
    assert out.count("<math") == 2


def test_blocks_paragraphs_and_lists():
    out = block_html("First para.\n\n- one\n- two $x$\n\n1. a\n2. b")
    assert out.startswith("<p>First para.</p>")
    assert "<ul><li>one</li><li>two <math" in out and "<ol><li>a</li><li>b</li></ol>" in out


def test_aligned_becomes_a_table_and_bad_latex_falls_back_to_escaped_source():
    assert "<mtable" in math_html(r"\begin{aligned}a &= b \\ c &= d\end{aligned}", display=True)
    assert math_html(r"\nosuchcommand{x} < 1") == (
        '<code class="tex">\\nosuchcommand{x} &lt; 1</code>'
    )
    assert math_html(r"x^{").startswith('<code class="tex">')


# --- the static site ---------------------------------------------------------------------

_ATTR = re.compile(r"<(\w+)\b[^>]*?\s(src|href)\s*=\s*[\"']([^\"']*)[\"']", re.I)


def _check_self_contained(text: str, page: str) -> None:
    assert "<script" not in text.lower(), page
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", text), page
    for tag, attr, value in _ATTR.findall(text):
        if re.match(r"(https?:)?//", value):
            assert (tag.lower(), attr.lower()) == ("a", "href"), f"{page}: <{tag} {attr}={value}>"
    assert "<math" in text, page


@pytest.fixture()
def project(tmp_path):
    root = tmp_path / "project"
    (root / "examples").mkdir(parents=True)
    shutil.copy(REPO / "examples" / "seed-1d.toml", root / "examples" / "seed-1d.toml")
    return root


def test_docs_build_index_family_pages_and_guide(tmp_path, project):
    pages = build_docs(tmp_path / "site", project_root=project)
    names = {p.name for p in pages}
    assert pages[0].name == "index.html"
    assert names == {"index.html", "guide.html", *(family_file(f) for f in FAMILIES)}
    for page in pages:
        _check_self_contained(page.read_text(encoding="utf-8"), page.name)
    index = pages[0].read_text(encoding="utf-8")
    for spec in SPECS:
        assert f'href="{family_file(spec.family)}#{spec.name}"' in index
        family_page = (tmp_path / "site" / family_file(spec.family)).read_text(encoding="utf-8")
        assert f'id="{spec.name}"' in family_page
        for ref in spec.card.references:
            assert not ref.url or f'<a href="{ref.url}">' in family_page


def test_guide_links_only_registered_losses(tmp_path, project):
    build_docs(tmp_path / "site", project_root=project)
    guide = (tmp_path / "site" / "guide.html").read_text(encoding="utf-8")
    linked = re.findall(r'href="[\w-]+\.html#([\w-]+)"', guide)
    assert linked and set(linked) <= set(NAMES)
    assert "losslab run examples/seed-1d.toml --out runs/seed-1d" in guide
    assert 'href="../project/examples/seed-1d.toml"' in guide


def test_guide_is_consistent_with_the_registry():
    """Candidates are registered; a 'to come' name whose family has arrived must be too.

    If this fails after a new family lands, update ``GUIDE`` in catalogue/guide.py.
    """
    for row in GUIDE:
        for name, family in row.candidates:
            if family in FAMILIES:
                assert name in NAMES, f"guide ({row.characteristic}): {name!r} not registered"
                assert get_loss(name).family == family, name


def test_guide_shows_measured_ranking_when_a_summary_exists(tmp_path, project):
    run_dir = project / "runs" / "seed-1d"
    run_dir.mkdir(parents=True)
    members = [
        {
            "loss": n,
            "registry_name": n,
            "dataset": "gaussian",
            "seed": 0,
            "status": "ok",
            "metrics": {"w1": 0.1},
        }
        for n in ("wgan-gp", "minimax-bce")
    ]
    ranking = [
        {
            "loss": "wgan-gp",
            "metric": "w1",
            "mean": 0.0421,
            "ci95": [0.03, 0.05],
            "n": 8,
            "rank": 1,
        },
        {
            "loss": "minimax-bce",
            "metric": "w1",
            "mean": 0.311,
            "ci95": [None, None],
            "n": 1,
            "rank": 2,
        },
    ]
    summary = {"study": "seed-1d", "config": {}, "members": members, "ranking": ranking}
    (run_dir / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    (run_dir / "report.html").write_text("<html></html>", encoding="utf-8")
    build_docs(tmp_path / "site", project_root=project)
    guide = (tmp_path / "site" / "guide.html").read_text(encoding="utf-8")
    assert "Not measured yet" not in guide
    row = re.search(r"<tr><td>1</td><td>(.*?)</tr>", guide).group(1)
    assert 'href="adversarial.html#wgan-gp"' in row and "0.0421" in row and "[0.03, 0.05]" in row
    assert 'href="../project/runs/seed-1d/report.html"' in guide


def test_docs_command_prints_the_index_path(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    out = tmp_path / "site"
    assert main(["docs", "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out / "index.html")
    assert (out / "guide.html").exists()


_BROWSER_MISSING = (
    "playwright is not installed"
    if importlib.util.find_spec("playwright") is None
    else f"{CHROMIUM} is missing"
    if not CHROMIUM.exists()
    else ""
)


@pytest.mark.skipif(bool(_BROWSER_MISSING), reason=_BROWSER_MISSING or "browser available")
def test_math_renders_in_a_real_browser_offline(tmp_path, project):
    from playwright.sync_api import sync_playwright

    build_docs(tmp_path / "site", project_root=project)
    page_path = tmp_path / "site" / family_file("adversarial")
    args = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=args)
        try:
            page = browser.new_page()
            errors: list[str] = []
            requests: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_path.as_uri())
            heights = page.eval_on_selector_all(
                "math", "els => els.map(e => e.getBoundingClientRect().height)"
            )
            page.screenshot(path=str(tmp_path / "adversarial.png"), full_page=True)
        finally:
            browser.close()
    assert errors == []
    assert [u for u in requests if not u.startswith("file:")] == []
    assert heights and max(heights) > 0
    assert sum(h > 0 for h in heights) == len(heights)  # every formula is laid out
    assert (tmp_path / "adversarial.png").stat().st_size > 10_000
