"""The append-only audit log of tickets: every change, who made it and what it was."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.accounts.info import AccountInfo
from linemod.framework.support.records import SupportAuditRow
from linemod.framework.support.states import AuthorKind


@dataclass(frozen=True)
class Actor:
    """Who does something to a ticket: an account (operator or staff), the help desk itself, or a mail address."""

    kind: AuthorKind
    account_id: int | None = None
    email: str | None = None

    @classmethod
    def of(cls, account: AccountInfo) -> Actor:
        kind = AuthorKind.STAFF if account.provider_staff else AuthorKind.OPERATOR
        return cls(kind, account.id, account.email)

    @classmethod
    def system(cls) -> Actor:
        return cls(AuthorKind.SYSTEM)

    @classmethod
    def mail(cls, address: str) -> Actor:
        return cls(AuthorKind.MAIL, None, address)


@dataclass(frozen=True)
class AuditEntry:
    ticket_id: int
    actor_kind: str
    actor_account_id: int | None
    action: str
    detail: dict[str, Any]
    at_ms: int


def record(session: AsyncSession, ticket_id: int, actor: Actor, action: str, now_ms: int, **detail: Any) -> None:
    """Add one entry to the log, in the transaction of the change it describes."""
    session.add(
        SupportAuditRow(
            ticket_id=ticket_id,
            actor_kind=actor.kind.value,
            actor_account_id=actor.account_id,
            action=action,
            detail_json=json.dumps(detail, ensure_ascii=False, sort_keys=True),
            at_ms=now_ms,
        )
    )


async def entries(session: AsyncSession, ticket_id: int) -> list[AuditEntry]:
    rows = await session.scalars(
        select(SupportAuditRow).where(SupportAuditRow.ticket_id == ticket_id).order_by(SupportAuditRow.id)
    )
    return [
        AuditEntry(r.ticket_id, r.actor_kind, r.actor_account_id, r.action, json.loads(r.detail_json), r.at_ms)
        for r in rows
    ]
