""" "View as operator": provider staff see an OA's operator console only while its operator consents.

An owner of the OA grants it from their support page for a time (24 hours by default, at most a week) and can
revoke it at any moment. Under a live grant a staff member starts a session, which ends with the grant (expiry
or revocation) or when they stop it; while it lasts they see the OA's console read-only. Every step, and every
other look of staff at a tenant's data through the help desk (a ticket with its tenant context), is written to
the staff access log, which both the provider and the OA's operators can read.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.accounts.info import OWNER, AccountInfo
from linemod.framework.clock import Clock
from linemod.framework.storage.database import Database
from linemod.framework.storage.models import MembershipRow
from linemod.framework.support.view_as_records import (
    SupportStaffAccessRow,
    SupportViewGrantRow,
    SupportViewSessionRow,
)

HOUR_MS = 3600 * 1000
DEFAULT_HOURS = 24
MAX_HOURS = 7 * 24
VIEW_AS_ROLE = "view_as"
"""The role a staff member has on an OA's console pages during a session (read-only: not an owner)."""


class ConsentRequired(PermissionError):
    """No live consent of the OA's operator: staff may not view its console."""


class NotOwner(PermissionError):
    """Only an owner of the OA gives or withdraws consent."""


@dataclass(frozen=True)
class Grant:
    id: int
    bot_id: str
    granted_by: int
    created_at_ms: int
    expires_at_ms: int


@dataclass(frozen=True)
class ViewSession:
    id: int
    bot_id: str
    staff_account_id: int
    started_at_ms: int
    expires_at_ms: int


@dataclass(frozen=True)
class AccessEntry:
    staff_email: str
    bot_id: str
    action: str
    ticket_id: int | None
    path: str | None
    at_ms: int


class ViewAs:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    # ---- the operator's side ------------------------------------------------------------------------

    async def grant(self, owner: AccountInfo, bot_id: str, hours: int = DEFAULT_HOURS) -> Grant:
        """Consent for `hours` (1 to a week) from now; replaces the OA's earlier live grant."""
        hours = max(1, min(MAX_HOURS, hours))
        now = self.clock.now_ms()
        async with self.db.transaction() as session:
            await _require_owner(session, owner, bot_id)
            await self._revoke(session, owner, bot_id, now)
            row = SupportViewGrantRow(
                bot_id=bot_id, granted_by=owner.id, created_at_ms=now, expires_at_ms=now + hours * HOUR_MS
            )
            session.add(row)
            await session.flush()
            return _grant(row)

    async def revoke(self, owner: AccountInfo, bot_id: str) -> None:
        """Withdraw consent now: sessions under it end on their next request."""
        async with self.db.transaction() as session:
            await _require_owner(session, owner, bot_id)
            await self._revoke(session, owner, bot_id, self.clock.now_ms())

    async def _revoke(self, session: AsyncSession, owner: AccountInfo, bot_id: str, now: int) -> None:
        await session.execute(
            update(SupportViewGrantRow)
            .where(
                SupportViewGrantRow.bot_id == bot_id,
                SupportViewGrantRow.revoked_at_ms.is_(None),
                SupportViewGrantRow.expires_at_ms > now,
            )
            .values(revoked_at_ms=now, revoked_by=owner.id)
        )
        await session.execute(
            update(SupportViewSessionRow)
            .where(SupportViewSessionRow.bot_id == bot_id, SupportViewSessionRow.ended_at_ms.is_(None))
            .values(ended_at_ms=now)
        )

    async def live_grant(self, bot_id: str) -> Grant | None:
        async with self.db.session() as session:
            row = await _live_grant(session, bot_id, self.clock.now_ms())
            return _grant(row) if row else None

    # ---- the staff's side ---------------------------------------------------------------------------

    async def start(self, staff: AccountInfo, bot_id: str) -> ViewSession:
        """A session under the OA's live grant (ends when it does); refused, and logged, without one."""
        now = self.clock.now_ms()
        async with self.db.transaction() as session:
            grant = await _live_grant(session, bot_id, now)
            if grant is None:
                _log(session, staff, bot_id, "view_as_refused", now)
                refused = True
            else:
                refused = False
                row = SupportViewSessionRow(
                    grant_id=grant.id,
                    bot_id=bot_id,
                    staff_account_id=staff.id,
                    started_at_ms=now,
                    expires_at_ms=grant.expires_at_ms,
                )
                session.add(row)
                await session.flush()
                _log(session, staff, bot_id, "view_as_start", now, session_id=row.id)
                started = ViewSession(row.id, bot_id, staff.id, now, row.expires_at_ms)
        if refused:  # the refusal is committed: it is a look at a tenant's data too
            raise ConsentRequired(bot_id)
        return started

    async def stop(self, staff: AccountInfo, bot_id: str) -> None:
        now = self.clock.now_ms()
        async with self.db.transaction() as session:
            await session.execute(
                update(SupportViewSessionRow)
                .where(
                    SupportViewSessionRow.staff_account_id == staff.id,
                    SupportViewSessionRow.bot_id == bot_id,
                    SupportViewSessionRow.ended_at_ms.is_(None),
                )
                .values(ended_at_ms=now)
            )
            _log(session, staff, bot_id, "view_as_stop", now)

    async def open_page(self, staff: AccountInfo, bot_id: str, path: str) -> ViewSession | None:
        """The staff member's live session on the OA, with the page they open logged; None (and nothing
        logged) when they have none: its grant expired or was revoked, or they never started one."""
        now = self.clock.now_ms()
        async with self.db.transaction() as session:
            row = await session.scalar(
                select(SupportViewSessionRow)
                .join(SupportViewGrantRow, SupportViewGrantRow.id == SupportViewSessionRow.grant_id)
                .where(
                    SupportViewSessionRow.staff_account_id == staff.id,
                    SupportViewSessionRow.bot_id == bot_id,
                    SupportViewSessionRow.ended_at_ms.is_(None),
                    SupportViewSessionRow.expires_at_ms > now,
                    SupportViewGrantRow.revoked_at_ms.is_(None),
                    SupportViewGrantRow.expires_at_ms > now,
                )
                .order_by(SupportViewSessionRow.id.desc())
                .limit(1)
            )
            if row is None:
                return None
            _log(session, staff, bot_id, "view_as_page", now, session_id=row.id, path=path)
            return ViewSession(row.id, bot_id, staff.id, row.started_at_ms, row.expires_at_ms)

    async def log(self, staff: AccountInfo, bot_id: str, action: str, *, ticket_id: int | None = None) -> None:
        """A look at a tenant's data outside view-as (a ticket page with its context)."""
        async with self.db.transaction() as session:
            _log(session, staff, bot_id, action, self.clock.now_ms(), ticket_id=ticket_id)

    async def access_log(self, bot_id: str | None = None, limit: int = 200) -> list[AccessEntry]:
        """The newest entries first, of one OA or of all."""
        async with self.db.session() as session:
            statement = select(SupportStaffAccessRow).order_by(SupportStaffAccessRow.id.desc()).limit(limit)
            if bot_id is not None:
                statement = statement.where(SupportStaffAccessRow.bot_id == bot_id)
            return [
                AccessEntry(r.staff_email, r.bot_id, r.action, r.ticket_id, r.path, r.at_ms)
                for r in await session.scalars(statement)
            ]


async def _require_owner(session: AsyncSession, account: AccountInfo, bot_id: str) -> None:
    role = await session.scalar(
        select(MembershipRow.role).where(MembershipRow.account_id == account.id, MembershipRow.bot_id == bot_id)
    )
    if role != OWNER:
        raise NotOwner(bot_id)


async def _live_grant(session: AsyncSession, bot_id: str, now: int) -> SupportViewGrantRow | None:
    return await session.scalar(
        select(SupportViewGrantRow)
        .where(
            SupportViewGrantRow.bot_id == bot_id,
            SupportViewGrantRow.revoked_at_ms.is_(None),
            SupportViewGrantRow.expires_at_ms > now,
        )
        .order_by(SupportViewGrantRow.id.desc())
        .limit(1)
    )


def _grant(row: SupportViewGrantRow) -> Grant:
    return Grant(row.id, row.bot_id, row.granted_by, row.created_at_ms, row.expires_at_ms)


def _log(
    session: AsyncSession,
    staff: AccountInfo,
    bot_id: str,
    action: str,
    now: int,
    *,
    ticket_id: int | None = None,
    session_id: int | None = None,
    path: str | None = None,
) -> None:
    session.add(
        SupportStaffAccessRow(
            staff_account_id=staff.id,
            staff_email=staff.email,
            bot_id=bot_id,
            action=action,
            ticket_id=ticket_id,
            session_id=session_id,
            path=path[:500] if path else None,
            at_ms=now,
        )
    )
