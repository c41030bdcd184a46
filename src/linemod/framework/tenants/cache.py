"""The tenants every event needs, held in memory and kept current with what other processes change."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

from linemod.framework.clock import Clock
from linemod.framework.queue.engine import engine_for
from linemod.framework.storage.database import Database
from linemod.framework.storage.direct_sql import DirectConnection
from linemod.framework.tenants.info import INFO_COLUMNS, TenantInfo

T = TypeVar("T")

# What the cache reads: a TenantInfo's columns and the row's version, last.
_COLUMNS = ", ".join((*INFO_COLUMNS, "scopes_json", "updated_at_ms"))
_VERSIONS_SINCE = "SELECT bot_id, updated_at_ms FROM tenants WHERE updated_at_ms >= :since"
_VERSIONS_SUMMARY_SINCE = (
    "SELECT count(*) AS versions, coalesce(sum(updated_at_ms), 0) AS version_sum FROM tenants "
    "WHERE updated_at_ms >= :since"
)
_ALL_ROWS = f"SELECT {_COLUMNS} FROM tenants"


class TenantCache:
    """Tenants by bot ID for the per-event hot path (`TenantStore.get_cached`)."""

    # How far back, before the newest change already seen, the periodic read looks: processes whose clocks
    # differ by less than this see each other's changes within the cache time. Every FULL_READ_MS the whole
    # table is read again, so a larger difference delays a change by that much, no more.
    CHANGE_MARGIN_MS = 60_000
    FULL_READ_MS = 600_000

    def __init__(self, db: Database, clock: Clock, *, cache_seconds: float = 2.0) -> None:
        self.db = db
        self.clock = clock
        self.cache_ms = int(cache_seconds * 1000)
        self._engine = engine_for(db)
        self._rows_of_ids = f"SELECT {_COLUMNS} FROM tenants WHERE {self._engine.in_ids('bot_id', 'bot_ids')}"
        self._cache: dict[str, tuple[tuple[Any, ...], TenantInfo]] = {}  # the row's _COLUMNS, and its info
        self._loading: dict[str, asyncio.Future[TenantInfo | None]] = {}
        self._next_refresh_ms = self._next_full_read_ms = 0
        self._newest_change_ms: int | None = None
        self._reads_running = 0
        self._forgotten_while_reading: set[str] = set()

    def clear(self) -> None:
        self._cache.clear()

    def forget(self, bot_id: str) -> None:
        """Changed in this process: read again at the next `get`, and not cached from a read already running."""
        self._cache.pop(bot_id, None)
        self._loading.pop(bot_id, None)
        if self._reads_running:
            self._forgotten_while_reading.add(bot_id)

    async def get(self, bot_id: str) -> TenantInfo | None:
        """The tenant for the per-event hot path, from memory. Changes made in this process are seen at once;
        changes made by another process within `cache_seconds`: every period, one query reads the tenants
        changed since the newest change seen, so the cost follows the changes, not the number of OAs (with
        10,000 OAs, an expiry per entry re-read a tenant for nearly every event)."""
        now = self.clock.now_ms()
        if now >= self._next_refresh_ms:
            self._next_refresh_ms = now + self.cache_ms
            full = now >= self._next_full_read_ms
            if full:
                self._next_full_read_ms = now + self.FULL_READ_MS
            await self._read_changes(full)
        hit = self._cache.get(bot_id)
        if hit is not None:
            return hit[1]
        # One read per OA however many events miss at once: for an OA the cache does not hold (attached by
        # another process since the last read, or forgotten after a change here) every handler running for it
        # misses together, and each reading it for itself took 50 reads per miss under load.
        loading = self._loading.get(bot_id)
        if loading is None:
            loading = self._loading[bot_id] = asyncio.ensure_future(self._load(bot_id))
            loading.add_done_callback(lambda done: self._finished_loading(bot_id, done))
        return await asyncio.shield(loading)

    async def read(self, bot_ids: Iterable[str]) -> dict[str, TenantInfo]:
        """These tenants as stored now (those that exist), by bot ID, past the cache and without filling it."""
        wanted = sorted(set(bot_ids))
        rows = await self._read_rows(wanted) if wanted else []
        return {row["bot_id"]: TenantInfo.from_columns(row) for row in rows}

    async def _load(self, bot_id: str) -> TenantInfo | None:
        rows = await self._read_rows([bot_id])
        if not rows:
            return None
        values = tuple(rows[0].values())
        tenant = TenantInfo.from_columns(rows[0])
        # Not when `forget()` came while reading: what was read may be from before the change.
        if self._loading.get(bot_id) is asyncio.current_task():
            self._cache[bot_id] = (values, tenant)
        return tenant

    def _finished_loading(self, bot_id: str, done: asyncio.Future[TenantInfo | None]) -> None:
        if self._loading.get(bot_id) is done:
            del self._loading[bot_id]

    async def _read_changes(self, full: bool) -> None:
        """Every tenant (`full`), or those changed since the newest change seen, into the cache.

        The periodic read looks back CHANGE_MARGIN_MS, so a change to many tenants at once (10,000 attached
        by an import) is in every read for that long. Reading those rows whole, through the ORM, took 100 ms
        of the event loop each period at 10,000 OAs: the p99 of every webhook then. So the read compares the
        count and sum of the versions (`updated_at_ms`, which every change moves forward) in the look-back
        with the cache's; only when they differ does it read the versions, and whole rows only for the
        versions the cache does not hold. The full read compares whole rows, so it also finds a change made by
        hand in SQL that kept the version."""
        since = None if full or self._newest_change_ms is None else self._newest_change_ms - self.CHANGE_MARGIN_MS
        newest = self._newest_change_ms or 0
        self._reads_running += 1
        try:
            if since is None:
                rows = await self._run_reading(lambda connection: connection.fetch(_ALL_ROWS))
                changed = [row for row in rows if self._values_of(row["bot_id"]) != tuple(row.values())]
                newest = max((row["updated_at_ms"] for row in rows), default=newest)
            else:
                versions = await self._versions_unlike_the_cache(since)
                stale = [row["bot_id"] for row in versions if self._version_of(row["bot_id"]) != row["updated_at_ms"]]
                changed = await self._read_rows(stale) if stale else []
                newest = max((row["updated_at_ms"] for row in versions), default=newest)
            # Not a tenant `forget()` came for while reading: the row may be from before that change.
            skip = self._forgotten_while_reading
            for row in changed:
                if row["bot_id"] not in skip:
                    self._cache[row["bot_id"]] = (tuple(row.values()), TenantInfo.from_columns(row))
        finally:
            self._reads_running -= 1
            if self._reads_running == 0:
                self._forgotten_while_reading = set()
        self._newest_change_ms = max(newest, self._newest_change_ms or 0)

    async def _versions_unlike_the_cache(self, since: int) -> list[dict[str, Any]]:
        """The versions from `since` on, or none when their count and sum are the cache's. That is exact: rows
        are never deleted and a version only grows, so every tenant the cache holds from `since` on is in the
        table from `since` on, at the same version or a later one; the same count and sum leave no room for a
        difference."""
        held = [values[-1] for values, _ in self._cache.values() if values[-1] >= since]

        async def read(connection: DirectConnection) -> list[dict[str, Any]]:
            summary = (await connection.fetch(_VERSIONS_SUMMARY_SINCE, {"since": since}))[0]
            if int(summary["versions"]) == len(held) and int(summary["version_sum"]) == sum(held):
                return []
            return await connection.fetch(_VERSIONS_SINCE, {"since": since})

        return await self._run_reading(read)

    def _values_of(self, bot_id: str) -> tuple[Any, ...] | None:
        hit = self._cache.get(bot_id)
        return hit[0] if hit is not None else None

    def _version_of(self, bot_id: str) -> int | None:
        hit = self._cache.get(bot_id)
        return hit[0][-1] if hit is not None else None  # updated_at_ms is the last of _COLUMNS

    async def _read_rows(self, bot_ids: Sequence[str]) -> list[dict[str, Any]]:
        # One statement whatever the number: the id list travels as one parameter (the queue's engines).
        sql, params = self._rows_of_ids, {"bot_ids": self._engine.ids(bot_ids)}
        return await self._run_reading(lambda connection: connection.fetch(sql, params))

    async def _run_reading(self, work: Callable[[DirectConnection], Awaitable[T]]) -> T:
        """On the driver, not the ORM (see `_read_changes`); on SQLite in the reading thread, off the loop."""
        return await self.db.direct.run(work, read_only=True)
