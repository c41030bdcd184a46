"""The queue on PostgreSQL: any number of claimers at once with `FOR UPDATE SKIP LOCKED`; id lists and
event batches travel as arrays, so a batch is one statement whatever its size."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from linemod.framework.queue.statements import WINDOW_NAME

_COLUMN_TYPES = {
    "event_ts_ms": "bigint",
    "is_redelivery": "boolean",
    "attempts": "integer",
    "run_at_ms": "bigint",
    "received_at_ms": "bigint",
}


class PostgresEngine:
    name = "postgresql"
    # A few batches at once, so one batch's commit flush does not hold up the next. A sender that waits for
    # each 200 before the next webhook (LINE, per OA) still gets its events stored in order.
    writer_batches_in_flight = 4
    inserts_events_in_one_statement = True
    # The claim's window must walk the pending rows' index in order and stop after its rows. A queue table
    # grows faster than autovacuum re-analyses it, and with statistics from when it was small the planner
    # bitmap-scans every pending row and sorts them (12 ms at 30,000 pending instead of 1 ms).
    # The claim's commit does not wait for its WAL to reach the disk: lost in a server crash, the claim is
    # undone and its rows are pending again (what a lease running out does anyway), and the completion, which
    # waits, flushes the claim's WAL with its own. The worker stops waiting a disk flush per claim (+40 % of
    # events/s at concurrency 64 on the development machine).
    claim_prologue: str | None = "SET LOCAL enable_bitmapscan = off; SET LOCAL synchronous_commit = off"

    def in_ids(self, column: str, param: str) -> str:
        return f"{column} = ANY(:{param})"

    def ids(self, values: Iterable[int | str]) -> Any:
        return list(values)

    def locking(self, picked: str) -> str:
        return f"{picked} FOR UPDATE OF c SKIP LOCKED"

    # Every claim leaves the row's pending version in the pending index until vacuum: a walk from the oldest
    # id passes all the rows handled since, however few are waiting.
    claims_from_floor = True

    def claim(self, table: str, window: str | None, picked: str, update: str) -> str:
        # A materialized CTE runs the locking pick exactly once. Inside `WHERE id IN (...)` the planner may
        # put it on the inner side of a join and run it again per outer row, and with SKIP LOCKED every run
        # picks new rows: a claim of 1 came back with 6.
        ctes = f"{WINDOW_NAME} AS MATERIALIZED ({window}), " if window else ""
        report = (
            f", (SELECT COUNT(*) FROM {WINDOW_NAME}) AS window_rows, "
            f"(SELECT MIN(id) FROM {WINDOW_NAME}) AS window_first"
            if window
            else ""
        )
        return (
            f"WITH {ctes}picked AS MATERIALIZED ({picked}) {update} FROM picked "
            f"WHERE {table}.id = picked.id AND {table}.status = 'pending' RETURNING {table}.*{report}"
        )

    def insert_events(self, columns: Sequence[str]) -> str:
        # The whole batch as one statement over column arrays: a fraction of the per-row cost of executemany
        # on both sides of the connection. ORDER BY ordinality keeps the ids in webhook order.
        arrays = ", ".join(f"CAST(:{c} AS {_COLUMN_TYPES.get(c, 'text')}[])" for c in columns)
        listed = ", ".join(columns)
        return (
            f"INSERT INTO events ({listed}) SELECT {listed} FROM unnest({arrays}) "
            f"WITH ORDINALITY AS batch({listed}, position) ORDER BY position "
            "ON CONFLICT (webhook_event_id) DO NOTHING"
        )

    def insert_events_params(self, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> Any:
        return {c: [row[c] for row in rows] for c in columns}

    def chat_states(self, keys: Sequence[tuple[str, str]]) -> tuple[str, dict[str, Any]]:
        sql = (
            "SELECT bot_id, chat_id, mode, mode_ts_ms, data FROM chat_states "
            "WHERE (bot_id, chat_id) IN (SELECT * FROM unnest(CAST(:bots AS text[]), CAST(:chats AS text[])))"
        )
        return sql, {"bots": [b for b, _ in keys], "chats": [c for _, c in keys]}
