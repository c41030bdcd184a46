"""The reservation module's own migrations: a history apart from the framework's, with its own version table.

`create_app` registers it with the app (`app.add_migrations`), so `linemod db upgrade
linemod_reservation.main:app` runs it after the framework's. `upgrade()` is for code that migrates a database
before any app exists (the demo, tests).
"""

from __future__ import annotations

from importlib import resources

from linemod.framework.storage.database import Database, ModuleMigrations

VERSION_TABLE = "rsv_alembic_version"
SCRIPT_LOCATION = str(resources.files("linemod_reservation") / "migrations")
MIGRATIONS = ModuleMigrations(SCRIPT_LOCATION, VERSION_TABLE)


async def upgrade(db: Database, revision: str = "head") -> None:
    """Create or migrate the module's tables in `db` (after the framework's; idempotent)."""
    await db.upgrade_module(MIGRATIONS, revision)
