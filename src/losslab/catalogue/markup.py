r"""Card text to HTML that renders offline: LaTeX to MathML, and a tiny Markdown subset.

Cards hold LaTeX (``formula``, and ``$...$`` / ``$$...$$`` inside their text) and a
small Markdown subset: paragraphs, ``code``, ``**bold**``, ``*italic*`` and
``-``/``1.`` lists. The pages must render with no network and no JavaScript, so
math becomes MathML (which browsers lay out natively) via ``latex2mathml``, and
everything that is not math or markup is escaped with :func:`html.escape`.

:func:`latex_to_mathml` checks what it produces (well-formed XML, no ``<merror>``,
no LaTeX command left over as text) and raises :class:`MathError` otherwise;
:func:`math_html` falls back to the escaped LaTeX. :func:`card_math_problems`
lists every failure in a card, so a test can keep the cards renderable.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

from latex2mathml.converter import convert

from losslab.losses.registry import Card

# ``$$display$$``, ``$inline$`` and ``code`` spans, found left to right so that math
# is never read as emphasis (``D^*``) and code is never read as math.
_TOKEN = re.compile(r"`([^`]+)`|\$\$(.+?)\$\$|\$([^$]+?)\$", re.S)
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", re.S)
_ITALIC = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])", re.S)
_BULLET = re.compile(r"^\s*[-*]\s+")
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+")

# latex2mathml renders ``aligned`` as one line with literal ``&`` (invalid markup) but
# ``align*`` as a proper ``<mtable>``; inside ``$$`` the two mean the same.
_LATEX_REWRITES = ((r"\begin{aligned}", r"\begin{align*}"), (r"\end{aligned}", r"\end{align*}"))
# latex2mathml maps ``\sim`` to an identifier "~"; the relation is U+223C.
_MATHML_FIXES = (("<mi>&#x0007E;</mi>", "<mo>&#x0223C;</mo>"),)
_WORD_MO = re.compile(r"<mo>([A-Za-z]{2,})</mo>")
_FUNCTION_THEN_ARG = re.compile(r"(<mi(?: [^>]*)?>[A-Za-z]{2,}</mi>)(?=<mi|<mn|<msub|<msup|<mover)")
_XMLNS = ' xmlns="http://www.w3.org/1998/Math/MathML"'


class MathError(ValueError):
    """A LaTeX expression that does not convert to clean MathML."""


def latex_to_mathml(latex: str, *, display: bool = False) -> str:
    """``latex`` as a ``<math>`` element (``display="block"`` if ``display``).

    Raises :class:`MathError` if the conversion fails or its output is not clean.
    """
    source = latex.strip()
    for old, new in _LATEX_REWRITES:
        source = source.replace(old, new)
    try:
        out = convert(source, display="block" if display else "inline")
    except Exception as exc:  # latex2mathml raises many types; all mean "cannot convert"
        raise MathError(f"{type(exc).__name__}: {exc} in {latex!r}") from None
    for old, new in _MATHML_FIXES:
        out = out.replace(old, new)
    # ``\operatorname{softplus}`` comes out as an operator (<mo>), spaced like "+"; a
    # function name is an identifier, followed by a thin space before its argument as in TeX.
    out = _WORD_MO.sub(r"<mi>\1</mi>", out)
    out = _FUNCTION_THEN_ARG.sub(r'\1<mspace width="0.1667em" />', out)
    try:
        root = ET.fromstring(out)
    except ET.ParseError as exc:
        raise MathError(f"ill-formed MathML ({exc}) from {latex!r}") from None
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "merror":
            raise MathError(f"<merror> in the MathML of {latex!r}")
        if element.text and "\\" in element.text:
            raise MathError(f"unknown command {element.text.strip()!r} in {latex!r}")
    # HTML5 knows <math> without the namespace; dropping it keeps pages free of URLs.
    return out.replace(_XMLNS, "", 1)


def math_html(latex: str, *, display: bool = False) -> str:
    """MathML for ``latex``, or the escaped LaTeX in a ``<code>`` if it cannot convert."""
    try:
        mathml = latex_to_mathml(latex, display=display)
    except MathError:
        return f'<code class="tex">{html.escape(latex)}</code>'
    return f'<div class="formula">{mathml}</div>' if display else mathml


def inline_html(text: str) -> str:
    """One run of card text as HTML: math, ``code``, **bold**, *italic*; the rest escaped."""
    pieces: list[str] = []

    def stash(match: re.Match[str]) -> str:
        code, display, inline = match.groups()
        if code is not None:
            pieces.append(f"<code>{html.escape(code)}</code>")
        else:
            pieces.append(math_html(display or inline, display=display is not None))
        return f"\x00{len(pieces) - 1}\x00"

    escaped = html.escape(_TOKEN.sub(stash, text), quote=False)
    escaped = _BOLD.sub(r"<strong>\1</strong>", escaped)
    escaped = _ITALIC.sub(r"<em>\1</em>", escaped)
    return re.sub("\x00(\\d+)\x00", lambda m: pieces[int(m.group(1))], escaped)


def _blocks(text: str) -> Iterator[list[str]]:
    block: list[str] = []
    for line in text.strip().splitlines():
        if line.strip():
            block.append(line)
        elif block:
            yield block
            block = []
    if block:
        yield block


def _list_items(lines: list[str], marker: re.Pattern[str]) -> list[str]:
    items: list[str] = []
    for line in lines:
        if marker.match(line):
            items.append(marker.sub("", line, count=1))
        else:  # a continuation line of the previous item
            items[-1] += " " + line.strip()
    return items


def block_html(text: str) -> str:
    """Card text (possibly several paragraphs and lists) as HTML blocks."""
    out = []
    for lines in _blocks(text):
        for marker, tag in ((_BULLET, "ul"), (_NUMBERED, "ol")):
            if marker.match(lines[0]):
                items = "".join(f"<li>{inline_html(i)}</li>" for i in _list_items(lines, marker))
                out.append(f"<{tag}>{items}</{tag}>")
                break
        else:
            out.append(f"<p>{inline_html(' '.join(line.strip() for line in lines))}</p>")
    return "\n".join(out)


def math_in(text: str) -> list[tuple[str, bool]]:
    """Every ``$$...$$`` (display) and ``$...$`` (inline) expression in ``text``, in order."""
    return [
        (display if display is not None else inline, display is not None)
        for code, display, inline in (m.groups() for m in _TOKEN.finditer(text))
        if code is None
    ]


def card_texts(card: Card) -> Iterator[tuple[str, str]]:
    """``(field, text)`` for every Markdown field of ``card`` (not the formula, not code)."""
    yield "optimum_or_divergence", card.optimum_or_divergence
    yield "why", card.why
    for field in ("derivation", "used_by", "pros", "cons"):
        for i, text in enumerate(getattr(card, field), start=1):
            yield f"{field}[{i}]", text
    for name, knob in card.hyperparameters.items():
        yield f"hyperparameters[{name}]", knob.doc


def card_math_problems(card: Card) -> list[str]:
    """One line per expression of ``card`` that does not convert to clean MathML."""
    expressions = [("formula", card.formula, True)]
    for field, text in card_texts(card):
        expressions += [(field, latex, display) for latex, display in math_in(text)]
    problems = []
    for field, latex, display in expressions:
        try:
            latex_to_mathml(latex, display=display)
        except MathError as exc:
            problems.append(f"{card.name} {field}: {exc}")
    return problems
