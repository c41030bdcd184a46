"""`ArticleService`: the knowledge base's articles: written and published by staff, read by operators and by
anyone for public ones. Saving an article rewrites its search terms in the same transaction, so the index
never disagrees with the text."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.accounts.info import AccountInfo
from linemod.framework.clock import Clock
from linemod.framework.i18n import N_
from linemod.framework.storage.database import Database
from linemod.framework.support.knowledge import terms
from linemod.framework.support.knowledge.records import SupportArticleRow, SupportArticleTermRow
from linemod.framework.support.knowledge.search import ArticleHit, readable, search
from linemod.framework.support.plain_text import multi_line, one_line

LANGS = ("ja", "en")
VISIBILITIES = ("public", "operators")
STATUSES = ("draft", "published")
MAX_TITLE = 200
MAX_CATEGORY = 64
MAX_BODY = 50_000

VISIBILITY_LABELS = {"public": N_("Everyone"), "operators": N_("Signed-in operators")}
STATUS_LABELS = {"draft": N_("Draft"), "published": N_("Published")}


class ArticleNotFound(LookupError):
    """No such article, or not one this reader may see."""


@dataclass(frozen=True)
class Article:
    id: int
    lang: str
    title: str
    body: str
    category: str
    visibility: str
    status: str
    created_at_ms: int
    updated_at_ms: int
    published_at_ms: int | None

    @classmethod
    def from_row(cls, row: SupportArticleRow) -> Article:
        return cls(
            row.id,
            row.lang,
            row.title,
            row.body,
            row.category,
            row.visibility,
            row.status,
            row.created_at_ms,
            row.updated_at_ms,
            row.published_at_ms,
        )


@dataclass(frozen=True)
class ArticleDraft:
    """What the staff form sends, checked: `parse` returns the draft or the errors per field (message IDs)."""

    lang: str
    title: str
    body: str
    category: str
    visibility: str

    @classmethod
    def parse(cls, form: Mapping[str, str]) -> tuple[ArticleDraft, dict[str, str]]:
        draft = cls(
            lang=one_line(form.get("lang")),
            title=one_line(form.get("title")),
            body=multi_line(form.get("body")),
            category=one_line(form.get("category")),
            visibility=one_line(form.get("visibility")),
        )
        errors: dict[str, str] = {}
        if draft.lang not in LANGS:
            errors["lang"] = N_("Choose Japanese or English.")
        if not draft.title or len(draft.title) > MAX_TITLE:
            errors["title"] = N_("Enter a title of at most 200 characters.")
        if not draft.body or len(draft.body) > MAX_BODY:
            errors["body"] = N_("Enter a body of at most 50,000 characters.")
        if not draft.category or len(draft.category) > MAX_CATEGORY:
            errors["category"] = N_("Enter a category of at most 64 characters.")
        if draft.visibility not in VISIBILITIES:
            errors["visibility"] = N_("Choose who can read the article.")
        return draft, errors


class ArticleService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    # ---- staff ------------------------------------------------------------------------------------------

    async def create(self, staff: AccountInfo, draft: ArticleDraft) -> Article:
        """A new draft article."""
        _require_staff(staff)
        now = self.clock.now_ms()
        async with self.db.transaction() as session:
            row = SupportArticleRow(
                status="draft", term_count=0, created_by=staff.id, created_at_ms=now, published_at_ms=None
            )
            _fill(row, draft, staff, now)
            session.add(row)
            await session.flush()
            await _index(session, row)
            return Article.from_row(row)

    async def update(self, staff: AccountInfo, article_id: int, draft: ArticleDraft) -> Article:
        _require_staff(staff)
        async with self.db.transaction() as session:
            row = await _load(session, article_id, for_update=True)
            _fill(row, draft, staff, self.clock.now_ms())
            await _index(session, row)
            return Article.from_row(row)

    async def set_status(self, staff: AccountInfo, article_id: int, status: str) -> Article:
        """Publish ("published") or take back to a draft ("draft")."""
        _require_staff(staff)
        if status not in STATUSES:
            raise ValueError(f"unknown article status {status!r}")
        async with self.db.transaction() as session:
            row = await _load(session, article_id, for_update=True)
            if row.status != status:
                now = self.clock.now_ms()
                row.status, row.updated_at_ms, row.updated_by = status, now, staff.id
                if status == "published":
                    row.published_at_ms = now
            return Article.from_row(row)

    async def get_any(self, article_id: int) -> Article:
        """An article whatever its state (the staff pages)."""
        async with self.db.session() as session:
            return Article.from_row(await _load(session, article_id))

    async def all(self) -> list[Article]:
        async with self.db.session() as session:
            rows = await session.scalars(
                select(SupportArticleRow).order_by(SupportArticleRow.updated_at_ms.desc(), SupportArticleRow.id)
            )
            return [Article.from_row(row) for row in rows]

    # ---- readers ----------------------------------------------------------------------------------------

    async def read(self, article_id: int, *, signed_in: bool) -> Article:
        """A published article this reader may see, in whichever language it is written."""
        async with self.db.session() as session:
            row = await session.scalar(
                select(SupportArticleRow).where(SupportArticleRow.id == article_id, readable(None, signed_in))
            )
        if row is None:
            raise ArticleNotFound(article_id)
        return Article.from_row(row)

    async def listing(self, lang: str, *, signed_in: bool, category: str | None = None) -> list[Article]:
        async with self.db.session() as session:
            statement = select(SupportArticleRow).where(readable(lang, signed_in))
            if category is not None:
                statement = statement.where(SupportArticleRow.category == category)
            rows = await session.scalars(statement.order_by(SupportArticleRow.category, SupportArticleRow.title))
            return [Article.from_row(row) for row in rows]

    async def categories(self, lang: str, *, signed_in: bool) -> list[tuple[str, int]]:
        """The categories with readable articles in `lang`, and how many each has."""
        async with self.db.session() as session:
            rows = await session.execute(
                select(SupportArticleRow.category, func.count())
                .where(readable(lang, signed_in))
                .group_by(SupportArticleRow.category)
                .order_by(SupportArticleRow.category)
            )
            return [(category, int(count)) for category, count in rows]

    async def search(self, text: str, lang: str, *, signed_in: bool, limit: int = 20) -> list[ArticleHit]:
        async with self.db.session() as session:
            return await search(session, text, lang, signed_in=signed_in, limit=limit)


def _require_staff(viewer: AccountInfo) -> None:
    if not viewer.provider_staff:
        raise PermissionError("only provider staff write articles")


async def _load(session: AsyncSession, article_id: int, *, for_update: bool = False) -> SupportArticleRow:
    # For a change, the row is locked (PostgreSQL): two staff saving one article at once take turns, or both
    # would rewrite its search terms and the second would collide with the first's.
    row = await session.get(SupportArticleRow, article_id, with_for_update=for_update)
    if row is None:
        raise ArticleNotFound(article_id)
    return row


def _fill(row: SupportArticleRow, draft: ArticleDraft, staff: AccountInfo, now: int) -> None:
    row.lang, row.title, row.body = draft.lang, draft.title, draft.body
    row.category, row.visibility = draft.category, draft.visibility
    row.updated_by, row.updated_at_ms = staff.id, now


async def _index(session: AsyncSession, row: SupportArticleRow) -> None:
    """Rewrite the article's search terms (one row per distinct term)."""
    title, body = terms.counts(row.title), terms.counts(row.body)
    row.term_count = sum(title.values()) + sum(body.values())
    await session.execute(delete(SupportArticleTermRow).where(SupportArticleTermRow.article_id == row.id))
    session.add_all(
        SupportArticleTermRow(article_id=row.id, term=term, title_count=title[term], body_count=body[term])
        for term in sorted(set(title) | set(body))
    )
