"""Where help articles are suggested to an operator writing a ticket: a hook the knowledge base fills.

The ticket form asks `suggest_articles(text, lang)` for articles that may already answer what the operator is
typing: by default the help center's (`app.support.help_articles`, over `knowledge/search.py`); a module may
plug in its own (`app.support.suggest_articles = ...`), or none (`no_suggestions`).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Sequence
from typing import Protocol

MAX_SUGGESTIONS = 5


class Article(Protocol):
    """What the form shows of a suggested article: its title and where to read it."""

    @property
    def title(self) -> str: ...

    @property
    def url(self) -> str: ...


class ArticleSuggester(Protocol):
    """`suggest_articles(text, lang)`: articles for `text` in `lang` ("ja" or "en"), best first (sync or async)."""

    def __call__(self, text: str, lang: str) -> Sequence[Article] | Awaitable[Sequence[Article]]: ...


def no_suggestions(text: str, lang: str) -> Sequence[Article]:
    """No suggestions at all."""
    return ()


async def suggest(suggester: ArticleSuggester, text: str, lang: str) -> list[Article]:
    """At most `MAX_SUGGESTIONS` articles for `text` (nothing for blank text)."""
    if not text.strip():
        return []
    found = suggester(text, lang)
    if inspect.isawaitable(found):
        found = await found
    return list(found)[:MAX_SUGGESTIONS]
