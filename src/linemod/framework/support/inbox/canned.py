"""Per-OA 定型文: texts an OA's operators insert into an answer, with `{{ variables }}` filled from the
inquiry. Operators write them, so they are rendered in Jinja's sandbox and checked when saved, the way the
help desk's canned replies are (`support/canned_replies.py`), with the inbox's own variables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import StrictUndefined, TemplateError, meta
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.i18n import N_
from linemod.framework.support.inbox.records import InboxCannedRow

VARIABLES = ("customer_name", "oa_name", "inquiry_id")
MAX_TITLE, MAX_BODY, MAX_PER_OA = 100, 5000, 200


class CannedError(ValueError):
    """A canned reply that does not parse, uses an unknown variable, or is empty or too long."""


def _environment() -> SandboxedEnvironment:
    # LINE text, not HTML: no escaping. StrictUndefined: a variable left out fails loudly.
    return SandboxedEnvironment(autoescape=False, undefined=StrictUndefined)


def check(title: str, body: str) -> tuple[str, str]:
    """The cleaned title and body, or `CannedError` with a message ID saying what is wrong."""
    title = " ".join(title.split())[:MAX_TITLE]
    body = body.replace("\r\n", "\n").strip()
    if not title or not body:
        raise CannedError(N_("A canned reply needs a title and a text."))
    if len(body) > MAX_BODY:
        raise CannedError(N_("An answer is at most 5000 characters."))
    try:
        parsed = _environment().parse(body)
    except TemplateError as exc:
        raise CannedError(N_("The text does not parse as a template.")) from exc
    if meta.find_undeclared_variables(parsed) - set(VARIABLES):
        raise CannedError(N_("The text uses a variable the inbox does not know."))
    return title, body


def render(body: str, values: Mapping[str, Any]) -> str:
    filled = {name: "" if values.get(name) is None else values[name] for name in VARIABLES}
    try:
        return _environment().from_string(body).render(filled)
    except TemplateError:
        return body  # refused at run time by the sandbox: the operator sees the template as written


async def list_for(session: AsyncSession, bot_id: str) -> list[InboxCannedRow]:
    rows = await session.scalars(
        select(InboxCannedRow).where(InboxCannedRow.bot_id == bot_id).order_by(InboxCannedRow.title, InboxCannedRow.id)
    )
    return list(rows)


async def get(session: AsyncSession, bot_id: str, canned_id: int | None) -> InboxCannedRow | None:
    row = await session.get(InboxCannedRow, canned_id) if canned_id is not None else None
    return row if row is not None and row.bot_id == bot_id else None


async def add(session: AsyncSession, bot_id: str, title: str, body: str, now_ms: int) -> None:
    title, body = check(title, body)
    if len(await list_for(session, bot_id)) >= MAX_PER_OA:
        raise CannedError(N_("This OA has as many canned replies as it may have."))
    session.add(InboxCannedRow(bot_id=bot_id, title=title, body=body, updated_at_ms=now_ms))
