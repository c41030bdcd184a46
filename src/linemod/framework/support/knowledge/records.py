"""The knowledge base's tables (migration 0011): articles, and their search terms (terms.py) so that a
search is one indexed lookup on either database."""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, PrimaryKeyConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from linemod.framework.storage.models import Base, BigId


class SupportArticleRow(Base):
    """One help article in one language. `visibility` "public" (anyone, signed in or not) or "operators"
    (signed-in operators); `status` "draft" (staff only) or "published"."""

    __tablename__ = "support_articles"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    lang: Mapped[str] = mapped_column(String(2))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)  # Markdown, rendered with raw HTML escaped (rendering.py)
    category: Mapped[str] = mapped_column(String(64))
    visibility: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    term_count: Mapped[int] = mapped_column(Integer)  # the length ranking normalises by
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    updated_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)
    published_at_ms: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_support_articles_listing", "status", "lang", "category"),)


class SupportArticleTermRow(Base):
    """How often one search term occurs in an article's title and body (rewritten whenever it is saved)."""

    __tablename__ = "support_article_terms"

    article_id: Mapped[int] = mapped_column(BigInteger)
    term: Mapped[str] = mapped_column(String(64))
    title_count: Mapped[int] = mapped_column(Integer)
    body_count: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        PrimaryKeyConstraint("article_id", "term"),
        Index("ix_support_article_terms_term", "term", "article_id"),
    )
