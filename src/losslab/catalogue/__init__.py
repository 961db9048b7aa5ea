"""The loss catalogue for people: ``losslab list``, ``losslab explain`` and ``losslab docs``.

Everything here is generated from the loss cards (:mod:`losslab.losses.registry`):
:func:`render_text` / :func:`render_markdown` show one card, :func:`list_table`
lists many, :func:`build_docs` writes a static, offline HTML site with the math
as MathML.
"""

from losslab.catalogue.docs import build_docs
from losslab.catalogue.render import list_table, render_markdown, render_text

__all__ = ["build_docs", "list_table", "render_markdown", "render_text"]
