"""Alembic environment of the reservation module: its own metadata and its own version table, so its history
never mixes with the framework's (`alembic_version`). It runs on the connection `migrate.upgrade()` hands over."""

from __future__ import annotations

from alembic import context

from linemod_reservation.models import ReservationBase

VERSION_TABLE = "rsv_alembic_version"

connection = context.config.attributes.get("connection")
if context.is_offline_mode() or connection is None:
    raise SystemExit("the reservation migrations run at module start-up (linemod_reservation.migrate.upgrade)")

context.configure(
    connection=connection,
    target_metadata=ReservationBase.metadata,
    version_table=VERSION_TABLE,
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
