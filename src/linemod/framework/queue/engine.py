"""What differs between the databases in the queue's SQL, behind one interface (one module per database,
the way Oban has an engine per database): the queue code never asks which database it runs on."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from linemod.framework.storage.database import Database


class QueueEngine(Protocol):
    name: str
    writer_batches_in_flight: int
    """Webhook batches written at once by the intake's group commit."""
    inserts_events_in_one_statement: bool
    """A batch of events is one statement (no BEGIN/COMMIT round trips needed)."""
    claim_prologue: str | None
    """Run in the claim's transaction before the claim statement (sent with its BEGIN)."""

    def in_ids(self, column: str, param: str) -> str:
        """A condition: `column` is one of the ids in parameter `param` (give its value with `ids()`)."""

    def ids(self, values: Iterable[int | str]) -> Any:
        """The value of an id-list parameter (ids, or other values compared as text such as claims)."""

    def claim(self, table: str, window: str | None, picked: str, update: str) -> str:
        """The claim statement: `update` applied to the rows `picked` selects, returning them. `window`, when
        given, is the query of the candidates `picked` reads as `WINDOW_NAME`. An engine whose claims start
        from a floor (`claims_from_floor`) also returns, on every row, how many rows the window held
        (`window_rows`) and its first id (`window_first`)."""

    claims_from_floor: bool
    """Claims walk the pending rows from the oldest one the last claim saw, rather than from the oldest id
    (see `WorkQueue`): what a walk over row versions no longer pending costs, until vacuum removes them."""

    def locking(self, picked: str) -> str:
        """`picked` made to lock what it picks, skipping rows other claimers hold."""

    def insert_events(self, columns: Sequence[str]) -> str:
        """The statement storing a batch of event rows (duplicates of `webhook_event_id` skipped)."""

    def insert_events_params(self, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> Any:
        """The parameters of `insert_events()`: one mapping (one statement) or a list (executemany)."""

    def chat_states(self, keys: Sequence[tuple[str, str]]) -> tuple[str, dict[str, Any]]:
        """The query reading the `chat_states` rows of (bot_id, chat_id) `keys`, and its parameters."""


def engine_for(db: Database) -> QueueEngine:
    """The queue engine of `db`'s database."""
    if db.is_postgres:
        from linemod.framework.queue.engine_postgres import PostgresEngine

        return PostgresEngine()
    from linemod.framework.queue.engine_sqlite import SqliteEngine

    return SqliteEngine()
