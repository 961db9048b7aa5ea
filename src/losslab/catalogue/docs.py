"""Static HTML docs generated from the loss cards: ``losslab docs``.

:func:`build_docs` writes ``index.html`` (every loss, by family), one page per
registered family with every card in full, and ``guide.html`` (data
characteristics to candidate losses, with the example studies' results). Pages
are self-contained: inline CSS, math as MathML, no scripts, no fetched
resources; only references to papers link outward. They open from ``file://``
with no network.
"""

from __future__ import annotations

import html
from pathlib import Path

from losslab.catalogue.guide import family_file, guide_body, loss_href
from losslab.catalogue.markup import block_html, inline_html, math_html
from losslab.catalogue.render import (
    first_sentence,
    knob_default,
    knob_range,
    knob_search,
    training_line,
)
from losslab.losses.registry import LossSpec, all_losses

CSS = """
body{font:16px/1.55 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d1d1f;
  max-width:62rem;margin:0 auto;padding:0 1.2rem 4rem}
nav{display:flex;flex-wrap:wrap;gap:1rem;padding:.8rem 0;border-bottom:1px solid #ddd}
nav a{text-decoration:none;font-weight:600}
a{color:#0b5cad}
h1{font-size:1.8rem;margin-top:1.4rem}
h2{margin-top:2.2rem;border-bottom:1px solid #eee;padding-bottom:.2rem}
h3{font-size:1.05rem;margin:1.4rem 0 .4rem}
code,pre{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:.9em}
pre{background:#f6f8fa;padding:.8rem;overflow-x:auto;border-radius:6px}
math{font-family:"Latin Modern Math","STIX Two Math","Cambria Math",math;font-size:1.08em}
mtd[columnalign=left]{text-align:left}
mtd[columnalign=right]{text-align:right}
.formula{overflow-x:auto;padding:.6rem 0;margin:.4rem 0;background:#fbfbfd;
  border-left:3px solid #0b5cad}
.card{margin-bottom:3rem}
.entry{margin:1.2rem 0 1.6rem}
.entry h3{margin:0}
.entry p{margin:.2rem 0}
.entry .formula{font-size:.92em}
.family{font-size:.8rem;font-weight:400;color:#666;border:1px solid #ccc;
  border-radius:1rem;padding:.05rem .6rem;vertical-align:middle}
.steps li{margin-bottom:.6rem}
.proscons{display:grid;grid-template-columns:1fr 1fr;gap:1.5rem}
table{border-collapse:collapse;margin:.6rem 0;width:100%}
th,td{border:1px solid #ddd;padding:.35rem .55rem;text-align:left;vertical-align:top}
thead th{background:#f3f4f6}
.to-come{color:#666}
:not(pre)>code{white-space:nowrap}
.tex{white-space:pre-wrap;color:#8a1f11}
footer{margin-top:3rem;color:#666;font-size:.85rem}
"""


def page(title: str, body: str, families: list[str]) -> str:
    """A complete, self-contained HTML page with the site's navigation."""
    links = [("index.html", "All losses")]
    links += [(family_file(f), f.capitalize()) for f in families]
    links.append(("guide.html", "Choosing a loss"))
    nav = "".join(f'<a href="{href}">{html.escape(text)}</a>' for href, text in links)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} · losslab</title><style>{CSS}</style></head>"
        f"<body><nav>{nav}</nav><main>{body}</main>"
        "<footer>Generated from the loss cards in <code>src/losslab/losses/</code> by "
        "<code>losslab docs</code>; edit a card, not this page.</footer></body></html>\n"
    )


def _item(text: str) -> str:
    """A list item: inline markup, or blocks when the text has paragraphs or lists."""
    return block_html(text) if "\n\n" in text or "\n-" in text else inline_html(text)


def _list(items: tuple[str, ...], tag: str = "ul", cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<{tag}{attr}>" + "".join(f"<li>{_item(i)}</li>" for i in items) + f"</{tag}>"


def card_html(spec: LossSpec) -> str:
    """One card in full, as an HTML ``<section id=NAME>``."""
    card = spec.card
    name = html.escape(card.name)
    if card.hyperparameters:
        rows = "".join(
            f"<tr><td><code>{html.escape(n)}</code></td><td>{knob_default(k)}</td>"
            f"<td>{html.escape(knob_range(k))}</td><td>{html.escape(knob_search(k))}</td>"
            f"<td>{inline_html(k.doc)}</td></tr>"
            for n, k in card.hyperparameters.items()
        )
        knobs = (
            "<table><thead><tr><th>name</th><th>default</th><th>range</th><th>search</th>"
            f"<th>effect</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    else:
        knobs = "<p>None.</p>"
    refs = "".join(
        f"<li>{html.escape(r.authors)} ({r.year}). "
        + (
            f'<a href="{html.escape(r.url)}">{html.escape(r.title)}</a>'
            if r.url
            else html.escape(r.title)
        )
        + ".</li>"
        for r in card.references
    )
    source = f" ({html.escape(spec.optimizer.source)})" if spec.optimizer.source else ""
    return f"""<section class="card" id="{name}">
<h2><a href="#{name}">{name}</a> <span class="family">{html.escape(card.family)}</span></h2>
{math_html(card.formula, display=True)}
<h3>What it optimises</h3>
{block_html(card.optimum_or_divergence)}
<h3>Derivation</h3>
{_list(card.derivation, "ol", "steps")}
<h3>Used by</h3>
{_list(card.used_by)}
<h3>Why</h3>
{block_html(card.why)}
<div class="proscons"><div><h3>Pros</h3>{_list(card.pros)}</div>
<div><h3>Cons</h3>{_list(card.cons)}</div></div>
<h3>Hyper-parameters</h3>
{knobs}
<p><em>Training defaults:</em> {html.escape(training_line(spec))}{source}</p>
<h3>References</h3>
<ul>{refs}</ul>
<h3>Example</h3>
<pre><code>{html.escape(card.example.rstrip())}</code></pre>
</section>"""


def _index_body(by_family: dict[str, list[LossSpec]]) -> str:
    parts = [
        "<h1>losslab: the loss catalogue</h1>"
        "<p>Every loss with its formula, its derivation, what it optimises, who uses it and "
        "why, pros and cons, hyper-parameters, references and a runnable example. Not sure "
        'which loss fits your data? Start with <a href="guide.html">Choosing a loss</a>.</p>'
    ]
    for family, specs in by_family.items():
        entries = "".join(
            f'<div class="entry"><h3><a href="{loss_href(s)}"><code>{html.escape(s.name)}'
            f"</code></a></h3><p>{inline_html(first_sentence(s.card.why))}</p>"
            f"{math_html(s.card.formula, display=True)}</div>"
            for s in specs
        )
        parts.append(
            f'<h2><a href="{family_file(family)}">{html.escape(family.capitalize())}</a>'
            f" ({len(specs)})</h2>{entries}"
        )
    return "\n".join(parts)


def default_project_root() -> Path:
    """Where ``examples/`` and ``runs/`` live: the working directory, else the source tree."""
    cwd = Path.cwd()
    if (cwd / "examples").is_dir():
        return cwd
    source_tree = Path(__file__).resolve().parents[3]
    return source_tree if (source_tree / "examples").is_dir() else cwd


def build_docs(out_dir: Path, project_root: Path | None = None) -> list[Path]:
    """Write the site into ``out_dir``; returns the pages written, ``index.html`` first.

    ``project_root`` holds ``examples/`` (study configs) and ``runs/`` (their results)
    for the guide; by default the working directory or the source checkout.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    root = Path(project_root) if project_root is not None else default_project_root()
    by_family: dict[str, list[LossSpec]] = {}
    for spec in all_losses():
        by_family.setdefault(spec.family, []).append(spec)
    families = list(by_family)
    registry = {s.name: s for specs in by_family.values() for s in specs}

    pages = {"index.html": page("Loss catalogue", _index_body(by_family), families)}
    for family, specs in by_family.items():
        body = f"<h1>{html.escape(family.capitalize())} losses</h1>" + "\n".join(
            card_html(s) for s in specs
        )
        pages[family_file(family)] = page(f"{family.capitalize()} losses", body, families)
    pages["guide.html"] = page("Choosing a loss", guide_body(registry, root, out_dir), families)
    written = []
    for filename, text in pages.items():
        path = out_dir / filename
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
