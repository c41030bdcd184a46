"""The event queue's indexes hold the rows still to be handled, not every row ever stored.

`(status, id)` and `(chat_key, status, id)` indexed every event for as long as it is kept (a week of done
rows, for deduplication), and every claim and completion added entries to both. The claim walks
`ix_events_pending` (pending rows only), the per-chat ordering rule probes `ix_events_unfinished_chat`
(pending and running rows only), and the search for leases run out reads `ix_events_running`: a row leaves
them as it is claimed and finished, so they stay the size of the backlog, and a completion adds nothing to
them.

On PostgreSQL the table also gets its own storage settings (see docs/scaling.md, "The PostgreSQL queue"):
fillfactor 70 leaves room on each page for a row's next versions, and autovacuum visits the table after a
fixed number of changed rows rather than a share of a table that grows by a week of events.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")
RUNNING = sa.text("status = 'running'")
UNFINISHED = sa.text("status IN ('pending', 'running')")
QUEUE_STORAGE = (
    "fillfactor = 70, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 20000, "
    "autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 20000"
)
QUEUE_STORAGE_NAMES = (
    "fillfactor, autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold, "
    "autovacuum_analyze_scale_factor, autovacuum_analyze_threshold"
)


def upgrade() -> None:
    op.create_index("ix_events_pending", "events", ["id"], postgresql_where=PENDING, sqlite_where=PENDING)
    op.create_index(
        "ix_events_unfinished_chat",
        "events",
        ["chat_key", "id"],
        postgresql_where=UNFINISHED,
        sqlite_where=UNFINISHED,
    )
    op.create_index("ix_events_running", "events", ["id"], postgresql_where=RUNNING, sqlite_where=RUNNING)
    op.drop_index("ix_events_status_id", "events")
    op.drop_index("ix_events_chat_key_status", "events")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE events SET ({QUEUE_STORAGE})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE events RESET ({QUEUE_STORAGE_NAMES})")
    op.create_index("ix_events_status_id", "events", ["status", "id"])
    op.create_index("ix_events_chat_key_status", "events", ["chat_key", "status", "id"])
    op.drop_index("ix_events_running", "events")
    op.drop_index("ix_events_unfinished_chat", "events")
    op.drop_index("ix_events_pending", "events")
