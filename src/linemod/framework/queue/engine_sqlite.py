"""The queue on SQLite: one writer at a time (the engine serialises every write), so claims need no row
locks; id lists travel as JSON arrays."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from linemod.framework.queue.statements import WINDOW_NAME


class SqliteEngine:
    name = "sqlite"
    writer_batches_in_flight = 1  # one writer: a second batch would only wait for the lock
    inserts_events_in_one_statement = False
    claim_prologue: str | None = None

    def in_ids(self, column: str, param: str) -> str:
        return f"{column} IN (SELECT value FROM json_each(:{param}))"

    def ids(self, values: Iterable[int | str]) -> Any:
        return json.dumps(list(values))

    def locking(self, picked: str) -> str:
        return picked  # the claim's transaction holds the database's write lock already

    # SQLite removes an index entry as its row changes: the walk to the oldest pending row passes nothing else.
    claims_from_floor = False

    def claim(self, table: str, window: str | None, picked: str, update: str) -> str:
        # SQLite evaluates an uncorrelated IN (subquery) once, into a temporary index.
        prefix = f"WITH {WINDOW_NAME} AS ({window}) " if window else ""
        return f"{prefix}{update} WHERE id IN ({picked}) AND status = 'pending' RETURNING *"

    def insert_events(self, columns: Sequence[str]) -> str:
        return (
            f"INSERT INTO events ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)}) "
            "ON CONFLICT (webhook_event_id) DO NOTHING"
        )

    def insert_events_params(self, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> Any:
        return list(rows)  # executemany on the inline connection: no round trips to save

    def chat_states(self, keys: Sequence[tuple[str, str]]) -> tuple[str, dict[str, Any]]:
        sql = (
            "SELECT bot_id, chat_id, mode, mode_ts_ms, data FROM chat_states WHERE (bot_id, chat_id) IN "
            "(SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(:keys))"
        )
        return sql, {"keys": json.dumps(list(keys))}
