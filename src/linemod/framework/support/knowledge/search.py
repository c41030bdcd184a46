"""Searching the knowledge base: the index lookup and the ranking, and `suggest_articles`, what the ticket form
shows while an operator types (their question may already be answered).

One query fetches the postings of the query's terms (terms.py) for the articles the reader may see; the
ranking is BM25 (k1 1.2, b 0.75; a title occurrence counts three times) over the query terms' weights,
computed here, so that SQLite and PostgreSQL rank alike. An article matches when the terms it has carry at
least half of the query's weight, or two full terms' worth for a long text (a ticket's question): "予約の変更"
finds "予約を変更する" (予約 and 変更 are 2 of its 2.6) but not an article that only says 予約.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.storage.database import Database
from linemod.framework.support.knowledge.records import SupportArticleRow, SupportArticleTermRow
from linemod.framework.support.knowledge.terms import Query

MIN_MATCH = 0.5
ENOUGH_MATCH = 2.0
TITLE_BOOST = 3
K1 = 1.2
B = 0.75
MAX_LIMIT = 50


@dataclass(frozen=True)
class ArticleHit:
    """A found article: enough for a result list (`url` is its page in the reader)."""

    id: int
    title: str
    category: str
    lang: str
    excerpt: str
    score: float
    updated_at_ms: int

    @property
    def url(self) -> str:
        return f"/help/articles/{self.id}"


def readable(lang: str | None, signed_in: bool) -> ColumnElement[bool]:
    """The articles a reader may see: published, public unless signed in, in `lang` when given."""
    condition = SupportArticleRow.status == "published"
    if not signed_in:
        condition = and_(condition, SupportArticleRow.visibility == "public")
    if lang is not None:
        condition = and_(condition, SupportArticleRow.lang == lang)
    return condition


async def search(
    session: AsyncSession, text: str, lang: str | None, *, signed_in: bool, limit: int = 20
) -> list[ArticleHit]:
    """The readable articles matching `text`, best first (none for a query with no terms)."""
    query = Query.parse(text)
    if query.empty:
        return []
    limit = max(1, min(limit, MAX_LIMIT))
    visible = readable(lang, signed_in)
    postings = await session.execute(
        select(
            SupportArticleTermRow.article_id,
            SupportArticleTermRow.term,
            SupportArticleTermRow.title_count,
            SupportArticleTermRow.body_count,
        )
        .join(SupportArticleRow, SupportArticleRow.id == SupportArticleTermRow.article_id)
        .where(SupportArticleTermRow.term.in_(list(query.weights)), visible)
    )
    found: dict[int, dict[str, int]] = defaultdict(dict)
    for article_id, term, title_count, body_count in postings:
        found[article_id][term] = TITLE_BOOST * title_count + body_count
    if not found:
        return []
    totals = (await session.execute(select(func.count(), func.avg(SupportArticleRow.term_count)).where(visible))).one()
    articles = int(totals[0] or 0)
    average_length = float(totals[1] or 1) or 1.0
    frequency: dict[str, int] = defaultdict(int)
    for terms in found.values():
        for term in terms:
            frequency[term] += 1
    needed = min(MIN_MATCH * query.total_weight, ENOUGH_MATCH)
    candidates = {
        article_id: terms for article_id, terms in found.items() if sum(query.weights[t] for t in terms) >= needed
    }
    if not candidates:
        return []
    rows = {
        row.id: row
        for row in await session.scalars(select(SupportArticleRow).where(SupportArticleRow.id.in_(list(candidates))))
    }
    hits = []
    for article_id, terms in candidates.items():
        row = rows[article_id]
        length_norm = 1 - B + B * (row.term_count or 1) / average_length
        score = 0.0
        for term, count in terms.items():
            idf = math.log(1 + (articles - frequency[term] + 0.5) / (frequency[term] + 0.5))
            score += query.weights[term] * idf * count * (K1 + 1) / (count + K1 * length_norm)
        hits.append(hit_of(row, score))
    hits.sort(key=lambda hit: (-hit.score, -hit.updated_at_ms, hit.id))
    return hits[:limit]


def hit_of(row: SupportArticleRow, score: float = 0.0) -> ArticleHit:
    return ArticleHit(row.id, row.title, row.category, row.lang, excerpt(row.body), round(score, 4), row.updated_at_ms)


def excerpt(body: str, length: int = 120) -> str:
    """The body's first words as plain text (Markdown's marks dropped) for result lists."""
    plain = " ".join(
        line.lstrip("#>*-+ 0123456789.").strip()
        for line in body.splitlines()
        if line.strip() and not line.startswith("```")
    )
    plain = plain.replace("**", "").replace("`", "")
    return plain if len(plain) <= length else plain[: length - 1] + "…"


async def suggest_articles(
    session_or_db: AsyncSession | Database, text: str, lang: str, limit: int = 5, *, signed_in: bool = True
) -> list[ArticleHit]:
    """Published articles in `lang` that may answer `text` (e.g. a ticket's subject and body while the
    operator writes it), best first, at most `limit`. `signed_in=False` leaves out the articles for
    signed-in operators only. Takes a session (joins it) or the `Database` (opens one)."""
    if isinstance(session_or_db, Database):
        async with session_or_db.session() as session:
            return await search(session, text, lang, signed_in=signed_in, limit=limit)
    return await search(session_or_db, text, lang, signed_in=signed_in, limit=limit)
