"""Article bodies, written by staff in Markdown, as HTML that cannot carry script: markdown-it-py's CommonMark
with raw HTML off (a `<script>` in a body is shown as text) and its link check (no `javascript:` or `data:`
links), links opening as plain same-window links with `rel="noopener nofollow"` when they leave the site."""

from __future__ import annotations

from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def _link_open(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    href = tokens[idx].attrGet("href")
    if isinstance(href, str) and not href.startswith("/"):
        tokens[idx].attrSet("rel", "noopener nofollow")
    return str(self.renderToken(tokens, idx, options, env))


_markdown.add_render_rule("link_open", _link_open)


def render_markdown(body: str) -> Markup:
    """The body as safe HTML (escaped by markdown-it wherever it is text)."""
    return Markup(_markdown.render(body or ""))
