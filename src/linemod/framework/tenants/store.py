"""Tenants: the OAs this module is attached to, and the lifecycle rules that move them between states.

States: attached → suspended (botSuspended) → attached (botResumed); any → detached (detached event or a
provider-side detach); detached → attached (a new attach). Lifecycle events may arrive twice or out of
order (redelivery, parallel deliveries): each one is applied only if it is not older than the newest
lifecycle event already applied to that tenant (LINE's `timestamp`), and applying one twice changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.clock import Clock
from linemod.framework.storage.database import Database
from linemod.framework.storage.models import InvitationRow, MembershipRow, Tenant, TenantState
from linemod.framework.tenants.cache import TenantCache
from linemod.framework.tenants.info import TenantInfo

LifecycleKind = Literal["attached", "detached", "suspended", "resumed"]


@dataclass(frozen=True)
class LifecycleChange:
    """A lifecycle change applied to a tenant, as listeners (billing) see it. `reason`: for "detached", LINE's
    reason ("bot_deleted", ...) or "provider_detach" / "reconciliation"; for "attached" by reconciliation,
    "reconciliation"."""

    bot_id: str
    kind: LifecycleKind
    reason: str | None = None


LifecycleListener = Callable[[AsyncSession, LifecycleChange], Awaitable[None]]
"""Called inside the transaction that changed the tenant, so what it writes commits with the change."""


@dataclass(frozen=True)
class BotProfile:
    """What LINE tells about an OA (`GET /v2/bot/info` or an entry of `GET /v2/bot/list`)."""

    bot_id: str
    basic_id: str | None = None
    premium_id: str | None = None
    display_name: str | None = None
    picture_url: str | None = None


@dataclass
class ReconcileReport:
    """Differences between LINE's list of attached OAs and the tenant store."""

    unknown_here: list[str] = field(default_factory=list)  # attached on LINE, not attached here
    missing_on_line: list[str] = field(default_factory=list)  # attached here, not on LINE's list
    in_sync: int = 0
    applied: bool = False


class TenantStore:
    """Reads and changes tenants. Methods that take a `session` join the caller's transaction."""

    def __init__(self, db: Database, clock: Clock, *, cache_seconds: float = 2.0) -> None:
        self.db = db
        self.clock = clock
        self.cache = TenantCache(db, clock, cache_seconds=cache_seconds)
        self.listeners: list[LifecycleListener] = []
        """Told of every lifecycle change (attached, detached, suspended, resumed) in its transaction. Not of
        `record_attach()`: the `attached` event that follows an attach is (billing's sweep catches an OA
        whose event never came)."""

    async def _notify(self, session: AsyncSession, change: LifecycleChange) -> None:
        for listener in self.listeners:
            await listener(session, change)

    async def get(self, bot_id: str, session: AsyncSession | None = None) -> TenantInfo | None:
        """The tenant, read from the database (inside `session` when given)."""
        if session is not None:
            row = await session.get(Tenant, bot_id)
            return TenantInfo.from_row(row) if row else None
        async with self.db.session() as own:
            row = await own.get(Tenant, bot_id)
            return TenantInfo.from_row(row) if row else None

    async def get_cached(self, bot_id: str) -> TenantInfo | None:
        """The tenant for the per-event hot path, from memory (`TenantCache`)."""
        return await self.cache.get(bot_id)

    def forget(self, bot_id: str) -> None:
        """Changed here: the next `get_cached` reads it again."""
        self.cache.forget(bot_id)

    async def count_by_state(self) -> dict[str, int]:
        """How many tenants are attached, suspended and detached (for metrics)."""
        async with self.db.session() as session:
            rows = await session.execute(select(Tenant.state, func.count()).group_by(Tenant.state))
            return {state: int(count) for state, count in rows}

    async def get_many(self, bot_ids: Iterable[str]) -> dict[str, TenantInfo]:
        """The tenants of these bot IDs that exist, by bot ID: the names of what one console page shows. One
        statement however many (the cache's reader, which passes the IDs as one parameter)."""
        return await self.cache.read(bot_ids)

    async def search(self, text: str, *, offset: int, limit: int) -> tuple[list[TenantInfo], int]:
        """One page of the tenants whose bot ID, basic ID or name contains `text` (all when empty), oldest
        first, and how many match in all: what a console lists, never every OA at once."""
        stmt = select(Tenant)
        if text:
            pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            stmt = stmt.where(
                Tenant.bot_id.ilike(pattern, escape="\\")
                | Tenant.basic_id.ilike(pattern, escape="\\")
                | Tenant.display_name.ilike(pattern, escape="\\")
            )
        async with self.db.session() as session:
            total = int(await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
            rows = await session.scalars(stmt.order_by(Tenant.created_at_ms, Tenant.bot_id).offset(offset).limit(limit))
            return [TenantInfo.from_row(row) for row in rows], total

    async def list(self, states: Iterable[str] | None = None) -> list[TenantInfo]:
        stmt = select(Tenant).order_by(Tenant.created_at_ms, Tenant.bot_id)
        if states is not None:
            stmt = stmt.where(Tenant.state.in_(list(states)))
        async with self.db.session() as session:
            return [TenantInfo.from_row(row) for row in (await session.scalars(stmt))]

    async def record_attach(self, bot_id: str, scopes: Sequence[str], profile: BotProfile | None = None) -> TenantInfo:
        """The attach token call succeeded: the OA is attached now with exactly these scopes."""
        self.forget(bot_id)
        async with self.db.transaction() as session:
            row = await self._get_or_new(session, bot_id, TenantState.ATTACHED)
            row.state = TenantState.ATTACHED
            row.scopes_json = json.dumps(sorted(scopes))
            row.attached_at_ms = self.clock.now_ms()
            row.detached_at_ms = None
            if profile is not None:
                _copy_profile(row, profile)
            _touch(row, self.clock.now_ms())
            return TenantInfo.from_row(row)

    async def update_profile(self, profile: BotProfile) -> None:
        async with self.db.transaction() as session:
            row = await session.get(Tenant, profile.bot_id)
            if row is not None and _copy_profile(row, profile):
                _touch(row, self.clock.now_ms())

    async def apply_lifecycle(
        self,
        session: AsyncSession,
        bot_id: str,
        kind: LifecycleKind,
        event_ts_ms: int,
        scopes: Sequence[str] | None = None,
        reason: str | None = None,
    ) -> bool:
        """Apply a lifecycle event inside `session`; returns False when it was stale and changed no state.
        `reason`: the `detached` event's reason."""
        self.forget(bot_id)
        now = self.clock.now_ms()
        initial = {
            "attached": TenantState.ATTACHED,
            "resumed": TenantState.ATTACHED,
            "suspended": TenantState.SUSPENDED,
            "detached": TenantState.DETACHED,
        }[kind]
        row = await session.get(Tenant, bot_id, with_for_update=self.db.is_postgres)
        if row is None:
            row = await self._get_or_new(session, bot_id, initial)
        stale = row.lifecycle_ts_ms is not None and event_ts_ms < row.lifecycle_ts_ms
        if kind == "attached" and scopes is not None and (not stale or row.scopes_json is None):
            row.scopes_json = json.dumps(sorted(scopes))
            _touch(row, now)
        if stale:
            return False
        if kind == "attached":
            if row.state != TenantState.ATTACHED or row.attached_at_ms is None:
                row.attached_at_ms = now
            row.state = TenantState.ATTACHED
            row.detached_at_ms = None
        elif kind == "detached":
            await _detach(session, row, now)
        elif kind == "suspended":
            if row.state != TenantState.DETACHED:
                row.state = TenantState.SUSPENDED
        elif kind == "resumed" and row.state == TenantState.SUSPENDED:
            row.state = TenantState.ATTACHED
        row.lifecycle_ts_ms = event_ts_ms
        _touch(row, now)
        await self._notify(session, LifecycleChange(bot_id, kind, reason))
        return True

    async def mark_detached(self, bot_id: str) -> bool:
        """The provider detached the OA (Detach API): stop treating it as attached at once."""
        self.forget(bot_id)
        async with self.db.transaction() as session:
            row = await session.get(Tenant, bot_id)
            if row is None or row.state == TenantState.DETACHED:
                return False
            await _detach(session, row, self.clock.now_ms())
            await self._notify(session, LifecycleChange(bot_id, "detached", "provider_detach"))
            return True

    async def reconcile(self, attached_on_line: Sequence[BotProfile], *, apply: bool) -> ReconcileReport:
        """Compare LINE's list of attached OAs with the store. With `apply`, OAs attached on LINE but not here
        are recorded as attached (scopes unknown) and OAs attached here but absent on LINE become detached."""
        remote = {bot.bot_id: bot for bot in attached_on_line}
        self.cache.clear()
        report = ReconcileReport(applied=apply)
        async with self.db.transaction() as session:
            rows = {row.bot_id: row for row in await session.scalars(select(Tenant))}
            live = {bid for bid, row in rows.items() if row.state != TenantState.DETACHED}
            report.unknown_here = sorted(set(remote) - live)
            report.missing_on_line = sorted(live - set(remote))
            report.in_sync = len(live & set(remote))
            if not apply:
                return report
            now = self.clock.now_ms()
            for bot_id in report.unknown_here:
                row = rows.get(bot_id) or await self._get_or_new(session, bot_id, TenantState.ATTACHED)
                if row.state == TenantState.DETACHED:
                    row.scopes_json = None  # re-attached elsewhere: what was granted is unknown
                row.state = TenantState.ATTACHED
                row.detached_at_ms = None
                row.attached_at_ms = row.attached_at_ms or now
                _touch(row, now)
                await self._notify(session, LifecycleChange(bot_id, "attached", "reconciliation"))
            for bot_id in report.missing_on_line:
                await _detach(session, rows[bot_id], now)
                await self._notify(session, LifecycleChange(bot_id, "detached", "reconciliation"))
            for bot_id, bot in remote.items():
                profiled = rows.get(bot_id) or await session.get(Tenant, bot_id)
                if profiled is not None and _copy_profile(profiled, bot):
                    _touch(profiled, now)
        return report

    async def _get_or_new(self, session: AsyncSession, bot_id: str, state: str) -> Tenant:
        row = await session.get(Tenant, bot_id)
        if row is None:
            # The callback and the attached event can create the same tenant at once: insert-or-ignore.
            now = self.clock.now_ms()
            insert = postgresql.insert if self.db.is_postgres else sqlite.insert
            await session.execute(
                insert(Tenant)
                .values(bot_id=bot_id, state=state, created_at_ms=now, updated_at_ms=now)
                .on_conflict_do_nothing(index_elements=["bot_id"])
            )
            row = await session.get(Tenant, bot_id, populate_existing=True)
            assert row is not None
        return row


def _copy_profile(row: Tenant, profile: BotProfile) -> bool:
    """What LINE says of the OA, where it says anything; True when that changed the row."""
    before = (row.basic_id, row.premium_id, row.display_name, row.picture_url)
    row.basic_id = profile.basic_id or row.basic_id
    row.premium_id = profile.premium_id or row.premium_id
    row.display_name = profile.display_name or row.display_name
    row.picture_url = profile.picture_url or row.picture_url
    return (row.basic_id, row.premium_id, row.display_name, row.picture_url) != before


def _touch(row: Tenant, now_ms: int) -> None:
    """Every change moves the row's version forward, even two changes within one millisecond: the tenant
    caches of every process find what changed by comparing versions (`TenantStore._read_changes`)."""
    row.updated_at_ms = max(now_ms, (row.updated_at_ms or 0) + 1)


async def _detach(session: AsyncSession, row: Tenant, now_ms: int) -> None:
    """The one way a tenant becomes detached (event, provider's Detach API, reconciliation).

    The console team ends with the attachment: whoever attaches the OA again proves through LINE's consent
    that they administer it, and owns a fresh team; former members need a new invitation. The module's data
    about the OA stays (it is the OA's, not the team's)."""
    row.state = TenantState.DETACHED
    row.detached_at_ms = now_ms
    _touch(row, now_ms)
    await session.execute(delete(MembershipRow).where(MembershipRow.bot_id == row.bot_id))
    await session.execute(delete(InvitationRow).where(InvitationRow.bot_id == row.bot_id))
