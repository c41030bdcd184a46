"""Every statement on the queue tables (`events`, `jobs`, `chat_states`), in one place.

Written once with `:name` parameters; what differs between databases comes from the queue engine
(`engine_sqlite.py`, `engine_postgres.py`). Statuses are `QueueStatus` values.
"""

from __future__ import annotations

from dataclasses import dataclass

from linemod.framework.queue.engine import QueueEngine

WINDOW = 64
"""Pending rows a claim looks at, oldest first, before falling back to every chat's oldest row."""
WINDOW_NAME = "claim_window"
"""The name the claim gives its window (a CTE where the engine reports on it, see `QueueEngine.claim`)."""

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

# An upsert, not UPDATE-or-INSERT by what was loaded: the state may have been loaded before the row existed.
UPSERT_CHAT_STATE = (
    "INSERT INTO chat_states (bot_id, chat_id, mode, mode_ts_ms, data, updated_at_ms) "
    "VALUES (:bot_id, :chat_id, :mode, :mode_ts_ms, :data, :updated_at_ms) "
    "ON CONFLICT (bot_id, chat_id) DO UPDATE SET mode = excluded.mode, mode_ts_ms = excluded.mode_ts_ms, "
    "data = excluded.data, updated_at_ms = excluded.updated_at_ms"
)

INSERT_JOB = (
    "INSERT INTO jobs (name, key, bot_id, payload, status, attempts, run_at_ms, created_at_ms) "
    "VALUES (:name, :key, :bot_id, :payload, 'pending', 0, :run_at_ms, :created_at_ms) "
    "ON CONFLICT (key) DO NOTHING"
)
CANCEL_JOB = "DELETE FROM jobs WHERE key = :key AND status = 'pending'"

# What the provider console reads (`admin_queries.py`).
ACTIVITY_BY_TENANT = (
    "SELECT bot_id, MAX(received_at_ms) AS last_ms, "
    "SUM(CASE WHEN received_at_ms > :day THEN 1 ELSE 0 END) AS recent, "
    "SUM(CASE WHEN status = 'dead' THEN 1 ELSE 0 END) AS dead, "
    "SUM(CASE WHEN status IN ('pending', 'running') THEN 1 ELSE 0 END) AS waiting "
    "FROM events GROUP BY bot_id"
)
TENANT_EVENTS = "SELECT * FROM events WHERE bot_id = :bot_id ORDER BY id DESC LIMIT :limit"
TENANT_EVENTS_OF_STATUS = (
    "SELECT * FROM events WHERE bot_id = :bot_id AND status = :status ORDER BY id DESC LIMIT :limit"
)
TENANT_DEAD_IDS = "SELECT id FROM events WHERE bot_id = :bot_id AND status = 'dead' ORDER BY id"
EVENTS_BY_STATUS = "SELECT status, COUNT(*) AS n FROM events GROUP BY status"
OLDEST_PENDING_EVENT = "SELECT MIN(received_at_ms) FROM events WHERE status = 'pending'"
EVENTS_FINISHED_SINCE = "SELECT status, COUNT(*) AS n FROM events WHERE finished_at_ms > :since GROUP BY status"
EVENTS_RETRYING = "SELECT COUNT(*) FROM events WHERE status = 'pending' AND attempts > 0"
EVENTS_RECEIVED_SINCE = "SELECT COUNT(*) FROM events WHERE received_at_ms > :t"
JOBS_WAITING = "SELECT COUNT(*) FROM jobs WHERE status IN ('pending', 'running')"


CLAIM_OF_ROW = "CAST(id AS TEXT) || ':' || CAST(attempts AS TEXT)"
"""A claim of a row as text, "<id>:<attempts>": which try of which row (see `claim_of()`)."""


def claim_of(row_id: int, attempts: int) -> str:
    """The `CLAIM_OF_ROW` of a row claimed for its `attempts`-th try."""
    return f"{row_id}:{attempts}"


@dataclass(frozen=True)
class QueueStatements:
    """The statements on one queue table."""

    claim: str
    claim_among: str
    chat_heads: str
    window_size: str
    release_expired: str
    complete: str
    complete_many: str
    fail: str
    release: str
    extend_leases: str
    replay_all: str
    replay_some: str
    has_work: str
    has_due_work: str
    counts: str
    newest: str
    newest_of_status: str
    purge_done: str


def queue_statements(table: str, engine: QueueEngine, *, ordered: bool) -> QueueStatements:
    """The statements of queue table `table`; `ordered` adds the per-chat ordering rules to claims."""
    return QueueStatements(
        claim=_claim(table, engine, ordered=ordered, listed=False),
        claim_among=_claim(table, engine, ordered=ordered, listed=True),
        chat_heads=f"SELECT MIN(id) AS id FROM {table} WHERE status IN ('pending', 'running') GROUP BY chat_key",
        # The claim's window from the oldest id, counted up to its size: short of it, the window held every due
        # pending row, and what the claim did not take waits behind its chat (no `chat_heads()` pass can help).
        window_size=(
            f"SELECT COUNT(*) AS n FROM (SELECT id FROM {table} WHERE status = 'pending' AND run_at_ms <= :now "
            f"ORDER BY id LIMIT {WINDOW}) AS w"
        ),
        release_expired=(
            f"UPDATE {table} SET status = 'pending', locked_by = NULL, locked_until_ms = NULL "
            "WHERE status = 'running' AND locked_until_ms < :now"
        ),
        # Finishing a row is guarded by the claim itself (worker, status and attempt): a try whose lease ran
        # out changes nothing, even once the same process has claimed the row again.
        complete=(
            f"UPDATE {table} SET status = 'done', finished_at_ms = :now, locked_by = NULL, locked_until_ms = NULL, "
            "last_error = NULL WHERE id = :id AND locked_by = :me AND status = 'running' AND attempts = :attempts"
        ),
        complete_many=(
            f"UPDATE {table} SET status = 'done', finished_at_ms = :now, locked_by = NULL, locked_until_ms = NULL, "
            f"last_error = NULL WHERE {engine.in_ids('id', 'ids')} "
            f"AND {engine.in_ids(CLAIM_OF_ROW, 'claims')} AND locked_by = :me AND status = 'running' RETURNING id"
        ),
        fail=(
            f"UPDATE {table} SET status = :status, run_at_ms = :run_at, locked_by = NULL, locked_until_ms = NULL, "
            "last_error = :error, finished_at_ms = :finished "
            "WHERE id = :id AND locked_by = :me AND status = 'running' AND attempts = :attempts RETURNING id"
        ),
        # A row claimed ahead and never started (its worker stopped first): pending again at once, and the
        # try it was claimed for not counted.
        release=(
            f"UPDATE {table} SET status = 'pending', locked_by = NULL, locked_until_ms = NULL, "
            f"attempts = attempts - 1 WHERE {engine.in_ids('id', 'ids')} "
            f"AND {engine.in_ids(CLAIM_OF_ROW, 'claims')} AND locked_by = :me AND status = 'running'"
        ),
        extend_leases=(
            f"UPDATE {table} SET locked_until_ms = :until WHERE {engine.in_ids('id', 'ids')} AND locked_by = :me"
        ),
        replay_all=_replay(table, ""),
        replay_some=_replay(table, f" AND {engine.in_ids('id', 'ids')}"),
        has_work=f"SELECT 1 FROM {table} WHERE status IN ('pending', 'running') LIMIT 1",
        has_due_work=(
            f"SELECT 1 FROM {table} WHERE status = 'running' OR (status = 'pending' AND run_at_ms <= :now) LIMIT 1"
        ),
        counts=f"SELECT status, COUNT(*) AS n FROM {table} GROUP BY status",
        newest=f"SELECT * FROM {table} ORDER BY id DESC LIMIT :limit",
        newest_of_status=f"SELECT * FROM {table} WHERE status = :status ORDER BY id DESC LIMIT :limit",
        # The oldest first, by id: they lead the primary key, so a batch is found without reading the rest.
        purge_done=(
            f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE status = 'done' "
            "AND finished_at_ms < :before ORDER BY id LIMIT :limit)"
        ),
    )


def _replay(table: str, which: str) -> str:
    return (
        f"UPDATE {table} SET status = 'pending', attempts = 0, run_at_ms = :now, finished_at_ms = NULL, "
        f"last_error = NULL WHERE status = 'dead'{which}"
    )


def _claim(table: str, engine: QueueEngine, *, ordered: bool, listed: bool) -> str:
    """The claim. For ordered queues a candidate must be the oldest unfinished event of its chat, and an
    OA-wide event (attached, suspended, ...; chat_key "<bot>:-") is a barrier for its OA: nothing newer of
    that OA starts before it, and it starts only after everything older of that OA.

    Candidates come from the WINDOW oldest pending rows from id `:floor` on (a walk of the pending rows'
    index; `WorkQueue` explains the floor); when those all wait behind busy chats, `listed` takes them from
    the `:candidates` parameter instead: the oldest unfinished row of every chat, read beforehand
    (`chat_heads`)."""
    rules = ""
    if ordered:
        unfinished = "p.status IN ('pending', 'running') AND p.id < c.id"
        rules = (
            f"AND NOT EXISTS (SELECT 1 FROM {table} p WHERE p.chat_key = c.chat_key AND {unfinished}) "
            f"AND NOT EXISTS (SELECT 1 FROM {table} p WHERE p.chat_key = c.bot_id || ':-' AND {unfinished}) "
            f"AND (c.chat_key <> c.bot_id || ':-' "
            f"OR NOT EXISTS (SELECT 1 FROM {table} p WHERE p.bot_id = c.bot_id AND {unfinished}))"
        )
    window = None
    if listed:
        candidates = engine.in_ids("c.id", "candidates")
    else:
        window = (
            f"SELECT id FROM {table} WHERE status = 'pending' AND run_at_ms <= :now AND id >= :floor "
            f"ORDER BY id LIMIT {WINDOW}"
        )
        candidates = f"c.id IN (SELECT id FROM {WINDOW_NAME})"
    picked = engine.locking(
        f"SELECT c.id FROM {table} c WHERE {candidates} AND c.status = 'pending' AND c.run_at_ms <= :now {rules} "
        "ORDER BY c.id LIMIT :limit"
    )
    update = (
        f"UPDATE {table} SET status = 'running', locked_by = :me, locked_until_ms = :lease, attempts = attempts + 1"
    )
    return engine.claim(table, window, picked, update)
