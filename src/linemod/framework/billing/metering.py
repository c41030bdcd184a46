"""Usage records: written in the caller's transaction, idempotent on a key, corrected only by new records.

`record()` is an insert-or-ignore on (bot, meter, key) — `ON CONFLICT DO NOTHING`, the same statement on
SQLite and PostgreSQL — so a redelivered webhook, a handler run again after a crash, or two workers racing on
one event leave one record: on PostgreSQL the second insert waits for the first transaction and then does
nothing; SQLite has one writer at a time. Corrections are records too: a "delta" adds to a count or a sum,
a "void" cancels one record (its key); nothing is ever updated or deleted.

Aggregations over a period [start, end) of occurrence times: count (records, plus deltas), sum (values, plus
deltas), max, unique_count (distinct subjects), last (the latest value). Voided records never count.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from linemod.framework.billing.catalog import AGGREGATIONS, Aggregation, Catalog, CatalogError, Meter
from linemod.framework.storage.session_sql import executemany_in_session

INSERT_USAGE = (
    "INSERT INTO billing_usage (bot_id, meter, idem_key, kind, value, subject, voids_id, note, occurred_at_ms, "
    "created_at_ms) VALUES (:bot_id, :meter, :idem_key, :kind, :value, :subject, :voids_id, :note, :occurred_at_ms, "
    ":created_at_ms) ON CONFLICT (bot_id, meter, idem_key) DO NOTHING"
)
_WINDOW = "bot_id = :bot_id AND meter = :meter AND occurred_at_ms >= :start AND occurred_at_ms < :end"
_LIVE = (
    f"FROM billing_usage u WHERE u.kind = 'usage' AND u.{_WINDOW.replace(' AND ', ' AND u.')} "
    "AND NOT EXISTS (SELECT 1 FROM billing_usage v WHERE v.voids_id = u.id)"
)
_DELTAS = f"SELECT COALESCE(SUM(value), 0) FROM billing_usage WHERE kind = 'delta' AND {_WINDOW}"
AGGREGATE_SQL: dict[str, str] = {
    "count": f"SELECT COUNT(*) {_LIVE}",
    "sum": f"SELECT COALESCE(SUM(u.value), 0) {_LIVE}",
    "max": f"SELECT COALESCE(MAX(u.value), 0) {_LIVE}",
    "unique_count": f"SELECT COUNT(DISTINCT u.subject) {_LIVE}",
    "last": f"SELECT u.value {_LIVE} ORDER BY u.occurred_at_ms DESC, u.id DESC LIMIT 1",
}
_INSERT = text(INSERT_USAGE)  # built once: `record` runs for every metered event
FIND_RECORD = (
    "SELECT id FROM billing_usage WHERE bot_id = :bot_id AND meter = :meter AND idem_key = :key AND kind = 'usage'"
)


@dataclass(frozen=True)
class UsageRecord:
    """One usage record to write (what `record_many` takes)."""

    bot_id: str
    meter: str
    value: int
    key: str
    occurred_at_ms: int
    subject: str | None = None


def _check_value(what: str, value: object, *, signed: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} is a whole number, not {value!r}")
    if not signed and value < 0:
        raise ValueError(f"{what} cannot be negative ({value}): correct usage with an adjustment")
    return value


class Metering:
    """Writes and reads usage of the meters declared in `catalog`."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def check(self, meter: str, value: int, subject: str | None = None) -> Meter:
        """The declared meter; `CatalogError` (with how to declare it) for an unknown name."""
        declared = self.catalog.meter(meter)
        _check_value(f"the value metered on {meter}", value)
        if declared.aggregation == "unique_count" and subject is None:
            raise CatalogError(f"meter {meter} counts unique subjects: pass subject= (e.g. the user ID)")
        return declared

    async def record(self, session: AsyncSession, usage: UsageRecord, now_ms: int) -> bool:
        """Write one record; False when one with this key exists already (nothing written)."""
        self.check(usage.meter, usage.value, usage.subject)
        result = await session.execute(_INSERT, _row(usage, "usage", now_ms))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def record_many(self, session: AsyncSession, usages: Sequence[UsageRecord], now_ms: int) -> None:
        """Write several records (keys already present are skipped)."""
        if usages:
            await executemany_in_session(session, INSERT_USAGE, usage_rows(usages, now_ms))

    async def adjust(
        self,
        session: AsyncSession,
        bot_id: str,
        meter: str,
        delta: int,
        *,
        key: str,
        note: str,
        occurred_at_ms: int,
        now_ms: int,
    ) -> bool:
        """Add `delta` (may be negative) to a count or sum meter's total in the period of `occurred_at_ms`."""
        declared = self.catalog.meter(meter)
        if declared.aggregation not in ("count", "sum"):
            raise CatalogError(f"meter {meter} aggregates by {declared.aggregation}: correct it by voiding a record")
        _check_value("an adjustment", delta, signed=True)
        usage = UsageRecord(bot_id, meter, delta, f"delta:{key}", occurred_at_ms)
        result = await session.execute(text(INSERT_USAGE), {**_row(usage, "delta", now_ms), "note": note})
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def void(
        self, session: AsyncSession, bot_id: str, meter: str, record_key: str, *, note: str, now_ms: int
    ) -> bool:
        """Cancel the record written with `record_key`; False if it was voided already. `LookupError` if there
        is no such record."""
        self.catalog.meter(meter)
        params = {"bot_id": bot_id, "meter": meter, "key": record_key}
        found = (await session.execute(text(FIND_RECORD), params)).scalar()
        if found is None:
            raise LookupError(f"no usage of {meter} for {bot_id} was recorded with key {record_key!r}")
        usage = UsageRecord(bot_id, meter, 0, f"void:{record_key}", now_ms)
        row = {**_row(usage, "void", now_ms), "voids_id": int(found), "note": note}
        result = await session.execute(text(INSERT_USAGE), row)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def aggregate(
        self,
        session: AsyncSession,
        bot_id: str,
        meter: str,
        start_ms: int,
        end_ms: int,
        aggregation: Aggregation | None = None,
    ) -> int:
        """The meter's usage over [start_ms, end_ms), by its declared aggregation unless told another."""
        how = aggregation or self.catalog.meter(meter).aggregation
        if how not in AGGREGATIONS:
            raise ValueError(f"aggregation is one of {AGGREGATIONS}, not {how!r}")
        params = {"bot_id": bot_id, "meter": meter, "start": start_ms, "end": end_ms}
        value = (await session.execute(text(AGGREGATE_SQL[how]), params)).scalar()
        total = int(value or 0)
        if how in ("count", "sum"):
            total += int((await session.execute(text(_DELTAS), params)).scalar() or 0)
        return total

    async def aggregate_many(
        self, session: AsyncSession, bot_id: str, meters: Iterable[str], start_ms: int, end_ms: int
    ) -> dict[str, int]:
        return {m: await self.aggregate(session, bot_id, m, start_ms, end_ms) for m in meters}


def usage_rows(usages: Sequence[UsageRecord], now_ms: int) -> list[dict[str, Any]]:
    """The `INSERT_USAGE` parameters of `usages` (the worker writes them with an event's batched "done")."""
    return [_row(u, "usage", now_ms) for u in usages]


def _check_key(key: str) -> str:
    if not isinstance(key, str) or not key or len(key) > 200:
        raise ValueError(f"a usage key is a string of 1-200 characters, not {key!r}")
    return key


def _row(usage: UsageRecord, kind: str, now_ms: int) -> dict[str, Any]:
    return {
        "bot_id": usage.bot_id,
        "meter": usage.meter,
        "idem_key": _check_key(usage.key),
        "kind": kind,
        "value": usage.value,
        "subject": usage.subject,
        "voids_id": None,
        "note": None,
        "occurred_at_ms": usage.occurred_at_ms,
        "created_at_ms": now_ms,
    }
