"""Group-committed writes of webhook events to the `events` table (used by the webhook intake)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from linemod.framework.queue.engine import engine_for
from linemod.framework.queue.group_commit import GroupCommit
from linemod.framework.queue.statements import EVENT_COLUMNS
from linemod.framework.storage.database import Database
from linemod.framework.storage.direct_sql import DirectConnection


class EventWriter:
    """Writes the event rows of webhooks with group commit; `store()` returns once they are committed.

    The write is one statement on the driver (`Database.direct`): on SQLite an inline executemany + COMMIT
    on the event loop, on PostgreSQL one INSERT over column arrays, a transaction of its own. With `timeout`
    (seconds) a batch not committed by then fails with `TimeoutError`, so a database that stops answering
    cannot hold the writer's batches (and their connections) for longer. Such a batch may still commit
    late; its events are deduplicated on `webhookEventId`, so LINE's redelivery of them stores nothing twice.
    """

    def __init__(
        self, db: Database, on_stored: Callable[[], None] | None = None, *, timeout: float | None = None
    ) -> None:
        self.db = db
        self.on_stored = on_stored
        self.timeout = timeout
        self.engine = engine_for(db)
        self._insert = self.engine.insert_events(EVENT_COLUMNS)
        self._commits: GroupCommit[list[dict[str, Any]]] = GroupCommit(
            self._write, name="linemod-event-writer", max_in_flight=self.engine.writer_batches_in_flight
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

        params = self.engine.insert_events_params(EVENT_COLUMNS, rows)

        async def insert(connection: DirectConnection) -> None:
            if isinstance(params, list):
                await connection.executemany(self._insert, params)
            else:
                await connection.execute(self._insert, params)

        await self.db.direct.run(
            insert, one_statement=self.engine.inserts_events_in_one_statement, timeout=self.timeout
        )
        if self.on_stored is not None:
            self.on_stored()
        return [None] * len(webhooks)
