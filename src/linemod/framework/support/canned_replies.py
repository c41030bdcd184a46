"""定型文 (canned replies): texts staff insert into a reply, with `{{ variables }}` filled from the ticket.

Staff write the templates, so they are rendered in Jinja's sandbox (no attribute or method reaches Python
internals) and checked when saved: a variable the help desk does not provide is refused then, not found
missing by a customer reading "{{ opertor_name }}".
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from jinja2 import StrictUndefined, TemplateError, meta
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from linemod.framework.accounts.info import AccountInfo
from linemod.framework.clock import Clock
from linemod.framework.storage.database import Database
from linemod.framework.support.access import load_visible, require_staff
from linemod.framework.support.records import SupportCannedReplyRow

VARIABLES = (
    "operator_name",  # the requester (accounts have no display name: their email address)
    "operator_email",
    "oa_name",
    "bot_id",
    "plan",
    "ticket_id",
    "ticket_subject",
    "staff_name",  # the staff member replying (their email address)
)
MAX_LENGTH = 20_000


class CannedReplyError(ValueError):
    """A template that does not parse, uses a variable the help desk does not provide, or is too long."""


def _environment() -> SandboxedEnvironment:
    # Plain text, mailed as such: no HTML escaping. StrictUndefined: a variable left out fails loudly.
    return SandboxedEnvironment(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=True)


def check_template(body: str) -> None:
    """Raise `CannedReplyError` unless `body` renders with the help desk's variables."""
    if len(body) > MAX_LENGTH:
        raise CannedReplyError(f"a canned reply is at most {MAX_LENGTH} characters")
    env = _environment()
    try:
        parsed = env.parse(body)
    except TemplateError as exc:
        raise CannedReplyError(f"the template does not parse: {exc}") from exc
    unknown = sorted(meta.find_undeclared_variables(parsed) - set(VARIABLES))
    if unknown:
        raise CannedReplyError(f"unknown variables: {', '.join(unknown)} (known: {', '.join(VARIABLES)})")


def render(body: str, values: Mapping[str, Any]) -> str:
    """`body` with the variables filled (each one the help desk knows is given, empty when it has no value)."""
    check_template(body)
    filled = {name: "" if values.get(name) is None else values[name] for name in VARIABLES}
    try:
        return _environment().from_string(body).render(filled)
    except TemplateError as exc:  # the sandbox refused something (an unsafe attribute, say)
        raise CannedReplyError(f"the template cannot be rendered: {exc}") from exc


class CannedReplies:
    """The 定型文 staff share: kept in `support_canned_replies`, rendered for a ticket."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def save(self, viewer: AccountInfo, title: str, body: str, *, canned_id: int | None = None) -> int:
        """Create (or, with `canned_id`, replace) a canned reply; its template is checked first."""
        require_staff(viewer)
        check_template(body)
        title = " ".join(title.split())[:255]
        if not title:
            raise CannedReplyError("a canned reply needs a title")
        now = self.clock.now_ms()
        async with self.db.transaction() as session:
            taken = await session.scalar(
                select(SupportCannedReplyRow.id).where(
                    SupportCannedReplyRow.title == title, SupportCannedReplyRow.id != (canned_id or 0)
                )
            )
            if taken is not None:
                raise CannedReplyError("another canned reply has this title")
            row = await session.get(SupportCannedReplyRow, canned_id) if canned_id is not None else None
            if canned_id is not None and row is None:
                raise CannedReplyError(f"no canned reply {canned_id}")
            if row is None:
                row = SupportCannedReplyRow(created_by=viewer.id, created_at_ms=now)
                session.add(row)
            row.title, row.body, row.updated_at_ms = title, body, now
            try:
                await session.flush()
            except IntegrityError as exc:  # saved at the same moment by someone else
                raise CannedReplyError("another canned reply has this title") from exc
            return row.id

    async def get(self, viewer: AccountInfo, canned_id: int) -> tuple[int, str, str] | None:
        """(id, title, template) of one canned reply, or None."""
        require_staff(viewer)
        async with self.db.session() as session:
            row = await session.get(SupportCannedReplyRow, canned_id)
            return (row.id, row.title, row.body) if row else None

    async def delete(self, viewer: AccountInfo, canned_id: int) -> bool:
        """Remove a canned reply (replies already sent with it keep their text); False when there was none."""
        require_staff(viewer)
        async with self.db.transaction() as session:
            row = await session.get(SupportCannedReplyRow, canned_id)
            if row is None:
                return False
            await session.delete(row)
            return True

    async def list(self, viewer: AccountInfo) -> list[tuple[int, str, str]]:
        """(id, title, template) of every canned reply, by title."""
        require_staff(viewer)
        async with self.db.session() as session:
            rows = await session.scalars(select(SupportCannedReplyRow).order_by(SupportCannedReplyRow.title))
            return [(row.id, row.title, row.body) for row in rows]

    async def render_for(self, viewer: AccountInfo, canned_id: int, ticket_id: int) -> str:
        """The canned reply filled for a ticket (the text staff then edit and send)."""
        require_staff(viewer)
        async with self.db.session() as session:
            row = await session.get(SupportCannedReplyRow, canned_id)
            if row is None:
                raise CannedReplyError(f"no canned reply {canned_id}")
            ticket = await load_visible(session, viewer, ticket_id)
            context = json.loads(ticket.context_json) if ticket.context_json else {}
        values = {
            "operator_name": ticket.requester_email,
            "operator_email": ticket.requester_email,
            "oa_name": (context.get("oa") or {}).get("name"),
            "bot_id": ticket.bot_id,
            "plan": ticket.plan_code,
            "ticket_id": ticket.id,
            "ticket_subject": ticket.subject,
            "staff_name": viewer.email,
        }
        return render(row.body, values)
