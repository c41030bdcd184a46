"""Group-committed writes of webhook events to the `events` table (used by the webhook intake)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from linemod.framework.queue.group_commit import GroupCommit
from linemod.framework.storage.database import Database
from linemod.framework.storage.direct_sql import DirectConnection

EVENT_COLUMNS = (
    "webhook_event_id",
    "bot_id",
    "chat_key",
    "event_type",
    "mode",
    "event_ts_ms",
    "is_redelivery",
    "payload",
    "status",
    "attempts",
    "run_at_ms",
    "received_at_ms",
)
INSERT_EVENT = (
    f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) VALUES ({', '.join(':' + c for c in EVENT_COLUMNS)}) "
    "ON CONFLICT (webhook_event_id) DO NOTHING"
)
_POSTGRES_TYPES = {
    "event_ts_ms": "bigint",
    "is_redelivery": "boolean",
    "attempts": "integer",
    "run_at_ms": "bigint",
    "received_at_ms": "bigint",
}
# PostgreSQL: the whole batch as one statement over column arrays, a fraction of the per-row cost of
# executemany on both sides of the connection. ORDER BY ordinality keeps the ids in webhook order.
INSERT_EVENTS_POSTGRES = (
    f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) SELECT {', '.join(EVENT_COLUMNS)} FROM unnest("
    + ", ".join(f"CAST(:{c} AS {_POSTGRES_TYPES.get(c, 'text')}[])" for c in EVENT_COLUMNS)
    + f") WITH ORDINALITY AS batch({', '.join(EVENT_COLUMNS)}, position) ORDER BY position "
    "ON CONFLICT (webhook_event_id) DO NOTHING"
)


class EventWriter:
    """Writes the event rows of webhooks with group commit; `store()` returns once they are committed.

    The write is one statement on the driver (`Database.direct`): on SQLite an inline INSERT + COMMIT on
    the event loop, on PostgreSQL a pipelined executemany in one transaction.
    """

    def __init__(self, db: Database, on_stored: Callable[[], None] | None = None) -> None:
        self.db = db
        self.on_stored = on_stored
        # PostgreSQL: a few batches at once, so one batch's commit flush does not hold up the next. A sender
        # that waits for each 200 before the next webhook (LINE, per OA) still gets its events stored in order.
        self._commits: GroupCommit[list[dict[str, Any]]] = GroupCommit(
            self._write, name="linemod-event-writer", max_in_flight=4 if db.is_postgres else 1
        )

    def start(self) -> None:
        self._commits.start()

    async def stop(self) -> None:
        await self._commits.stop()

    async def store(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self._commits.submit(rows)

    async def _write(self, webhooks: list[list[dict[str, Any]]]) -> Sequence[BaseException | None]:
        rows = [row for webhook in webhooks for row in webhook]

        async def insert(connection: DirectConnection) -> None:
            if self.db.is_postgres:
                await connection.execute(INSERT_EVENTS_POSTGRES, {c: [row[c] for row in rows] for c in EVENT_COLUMNS})
            else:
                await connection.executemany(INSERT_EVENT, rows)

        await self.db.direct.run(insert, one_statement=self.db.is_postgres)
        if self.on_stored is not None:
            self.on_stored()
        return [None] * len(webhooks)
