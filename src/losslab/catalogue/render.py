"""A loss card for people: plain text for the terminal, Markdown for documents.

``losslab explain NAME`` prints :func:`render_text`; ``--format md`` prints
:func:`render_markdown`; ``losslab list`` prints :func:`list_table`. Everything
comes from the card, so a card edit shows up everywhere at once. The terminal
cannot typeset, so the LaTeX is shown as written, in a box.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from losslab.losses.registry import Hyperparameter, LossSpec

WIDTH = 88  # text width of ``explain``; the boxed formula and the example are not wrapped


def knob_range(knob: Hyperparameter) -> str:
    """The valid range of a knob as an interval, e.g. ``[0, inf)`` or ``any``; for a
    knob with choices, the choices (``linear | cosine``)."""
    if knob.choices is not None:
        return " | ".join(knob.choices)
    if knob.low is None and knob.high is None:
        text = "any"
    else:
        lo = "(-inf" if knob.low is None else f"[{knob.low:g}"
        hi = "inf)" if knob.high is None else f"{knob.high:g}]"
        text = f"{lo}, {hi}"
    return f"{text}, integer" if knob.integer else text


def knob_search(knob: Hyperparameter) -> str:
    """Where a study searches the knob when it is tuned: ``searched: log-uniform [0.01, 100]``,
    ``searched: one of linear, cosine``, or ``not tuned``."""
    return "not tuned" if knob.search is None else f"searched: {knob.search.describe()}"


def knob_default(knob: Hyperparameter) -> str:
    if knob.choices is not None:
        return str(knob.default)
    return f"{int(knob.default)}" if knob.integer else f"{knob.default:g}"


def training_line(spec: LossSpec) -> str:
    """The optimiser and trainer settings that come with the loss from its paper."""
    opt = spec.optimizer
    parts = [f"{opt.name}, lr {opt.lr:g}"]
    if opt.name == "adam":
        parts.append(f"betas ({opt.betas[0]:g}, {opt.betas[1]:g})")
    elif opt.name == "rmsprop":
        parts.append(f"alpha {opt.alpha:g}")
    parts += [f"{k} {v}" for k, v in spec.training.items() if not callable(v)]
    return "; ".join(parts)


def formula_rows(latex: str) -> list[str]:
    r"""``latex`` split for display: environments on their own line, one row per ``\\``.

    Nothing is dropped (each row keeps its ``\\``), so the rows joined give the formula back.
    """
    for env in ("aligned", "align*", "cases", "array"):
        latex = latex.replace(rf"\begin{{{env}}}", rf"\begin{{{env}}}" + "\n")
        latex = latex.replace(rf"\end{{{env}}}", "\n" + rf"\end{{{env}}}")
    latex = latex.replace("\\\\", "\\\\\n")
    return [row.strip() for row in latex.splitlines() if row.strip()]


def _box(rows: Sequence[str]) -> list[str]:
    rule = "─" * min(WIDTH - 2, max(len(r) for r in rows) + 2)
    return ["┌" + rule, *(f"│ {row}" for row in rows), "└" + rule]


def _wrap(text: str, first: str = "", rest: str | None = None) -> list[str]:
    """Wrap at spaces only, so LaTeX and words are never cut."""
    return textwrap.wrap(
        " ".join(text.split()),
        WIDTH,
        initial_indent=first,
        subsequent_indent=first if rest is None else rest,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [first.rstrip()]


def _items(items: Sequence[str], numbered: bool = False) -> list[str]:
    out = []
    for i, item in enumerate(items, start=1):
        mark = f"{i:>2}. " if numbered else "  - "
        out += _wrap(item, mark, " " * len(mark))
    return out


def _knob_table(knobs: dict[str, Hyperparameter], indent: str = "  ") -> list[str]:
    """Aligned ``name  default  range  search`` rows, each followed by the knob's effect,
    wrapped under the row from the second column on (four columns leave no room for a
    readable fifth in :data:`WIDTH` characters)."""
    header = ("name", "default", "range", "search")
    rows = [(n, knob_default(k), knob_range(k), knob_search(k)) for n, k in knobs.items()]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    fmt = indent + "  ".join(f"{{:{w}}}" for w in widths)
    out = [fmt.format(*header).rstrip(), fmt.format(*("-" * w for w in widths))]
    under = indent + " " * (widths[0] + 2)
    for i, (row, knob) in enumerate(zip(rows, knobs.values(), strict=True)):
        out += [""] if i else []
        out += [fmt.format(*row).rstrip(), *_wrap(knob.doc, under)]
    return out


def render_text(spec: LossSpec) -> str:
    """The whole card for a terminal."""
    card = spec.card
    lines = [f"{card.name}  ({card.family})", "=" * (len(card.name) + len(card.family) + 4), ""]
    lines += ["Formula (LaTeX):", *_box(formula_rows(card.formula)), ""]
    lines += ["What it optimises:", *_wrap(card.optimum_or_divergence, "  "), ""]
    lines += ["Derivation:", *_items(card.derivation, numbered=True), ""]
    lines += ["Used by:", *_items(card.used_by), ""]
    lines += ["Why:", *_wrap(card.why, "  "), ""]
    lines += ["Pros:", *_items(card.pros), ""]
    lines += ["Cons:", *_items(card.cons), ""]
    lines.append("Hyper-parameters:")
    if card.hyperparameters:
        lines += _knob_table(card.hyperparameters)
    else:
        lines.append("  none")
    lines += ["", "Training defaults:", *_wrap(training_line(spec), "  ")]
    if spec.optimizer.source:
        lines += _wrap(f"Source: {spec.optimizer.source}", "  ")
    lines.append("")
    lines.append("References:")
    for ref in card.references:
        lines += _wrap(str(ref), "  - ", "    ") + ([f"    {ref.url}"] if ref.url else [])
    lines += ["", "Example (runnable):"]
    lines += ["    " + line if line else "" for line in card.example.rstrip().splitlines()]
    return "\n".join(lines) + "\n"


def _md_cell(text: str) -> str:
    return " ".join(text.split()).replace("|", r"\|")


def render_markdown(spec: LossSpec) -> str:
    """The whole card as Markdown: ``$$`` display math, card text as written."""
    card = spec.card
    out = [f"## `{card.name}`", "", f"*Family:* {card.family}", "", "$$", card.formula, "$$", ""]
    out += [f"**What it optimises.** {card.optimum_or_divergence}", "", "### Derivation", ""]
    out += [f"{i}. {step}" for i, step in enumerate(card.derivation, start=1)]
    out += ["", "### Used by", "", *(f"- {u}" for u in card.used_by), ""]
    out += [f"**Why.** {card.why}", "", "### Pros", "", *(f"- {p}" for p in card.pros)]
    out += ["", "### Cons", "", *(f"- {c}" for c in card.cons), "", "### Hyper-parameters", ""]
    if card.hyperparameters:
        out += ["| name | default | range | search | effect |", "|---|---|---|---|---|"]
        out += [
            f"| `{name}` | {knob_default(k)} | {_md_cell(knob_range(k))} "
            f"| {_md_cell(knob_search(k))} | {_md_cell(k.doc)} |"
            for name, k in card.hyperparameters.items()
        ]
    else:
        out.append("None.")
    out += [
        "",
        f"*Training defaults:* {training_line(spec)}"
        + (f" ({spec.optimizer.source})" if spec.optimizer.source else ""),
        "",
    ]
    out += ["### References", ""]
    for ref in card.references:
        title = f"[{ref.title}]({ref.url})" if ref.url else ref.title
        out.append(f"- {ref.authors} ({ref.year}). {title}.")
    out += ["", "### Example", "", "```python", card.example.rstrip(), "```"]
    return "\n".join(out) + "\n"


def first_sentence(text: str) -> str:
    text = " ".join(text.split())
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]


def truncate(text: str, width: int) -> str:
    """``text`` cut at a word boundary to at most ``width`` characters, marked with ``…``."""
    if len(text) <= width:
        return text
    cut = text[: max(width - 1, 1)]
    if " " in cut[width // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.") + "…"


KNOBS_WIDTH = 34


def _knob_list(knobs: list[str]) -> str:
    """The knobs as ``a=1, b=2``, cut to whole knobs within :data:`KNOBS_WIDTH` characters
    with ``+N more`` (``losslab explain`` lists them all)."""
    for keep in range(len(knobs), 0, -1):
        more = len(knobs) - keep
        text = ", ".join(knobs[:keep]) + (f", +{more} more" if more else "")
        if len(text) <= KNOBS_WIDTH:
            return text
    return f"{len(knobs)} knobs" if knobs else "-"


LIST_WHY_MIN = 40
"""Narrower than this, the "why" column of ``losslab list`` moves under each row."""


def list_table(specs: Sequence[LossSpec], width: int = 110) -> str:
    """``name | family | knobs | why`` for ``losslab list``, one loss a line, ``width`` wide.

    Where the why column would get fewer than :data:`LIST_WHY_MIN` characters (an
    80-column terminal), each loss's why goes on its own indented lines under its row,
    wrapped to ``width``, so no sentence is cut to a few words."""
    rows = []
    for spec in specs:
        knobs = [f"{n}={knob_default(k)}" for n, k in spec.card.hyperparameters.items()]
        rows.append([spec.name, spec.family, _knob_list(knobs), first_sentence(spec.card.why)])
    header = ["name", "family", "knobs", "why"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    room = width - sum(widths) - 3 * 3
    if room < LIST_WHY_MIN:
        import textwrap

        fmt = " | ".join(f"{{:{w}}}" for w in widths)
        lines = [fmt.format(*header[:3]), "    why (the first sentence of the card's)"]
        lines.append("-+-".join("-" * w for w in widths))
        for r in rows:
            lines.append(fmt.format(*r[:3]))
            lines += textwrap.wrap(r[3], max(width, 30), initial_indent="    ",
                                   subsequent_indent="    ")
        return "\n".join(line.rstrip() for line in lines) + "\n"
    fmt = " | ".join(f"{{:{w}}}" for w in widths) + " | {}"
    lines = [fmt.format(*header), "-+-".join("-" * w for w in [*widths, min(room, 40)])]
    lines += [fmt.format(*r[:3], truncate(r[3], room)) for r in rows]
    return "\n".join(line.rstrip() for line in lines) + "\n"


__all__ = [
    "formula_rows",
    "knob_default",
    "knob_range",
    "knob_search",
    "list_table",
    "render_markdown",
    "render_text",
    "training_line",
]
