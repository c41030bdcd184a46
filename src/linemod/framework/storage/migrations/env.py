"""Alembic environment: runs on the connection `Database.upgrade()` hands over, or, when Alembic is run by
hand, on `LINEMOD_DATABASE_URL`."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from linemod.framework.storage.models import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def _run_standalone() -> None:
    from linemod.framework.settings import Settings
    from linemod.framework.storage.database import Database

    settings = Settings()
    asyncio.run(Database(settings.database_url, schema=settings.database_schema).upgrade())


connection = context.config.attributes.get("connection")
if context.is_offline_mode():
    raise SystemExit("linemod migrations run online only: use `linemod db upgrade`.")
elif connection is None:
    _run_standalone()
else:
    _run(connection)
