"""The reservation module's own migrations: a history apart from the framework's, with its own version table.

`create_app` registers it with the app (`app.add_migrations`), so `linemod db upgrade
linemod_reservation.main:app` runs it after the framework's, and so does `await app.upgrade_database()` (what
the demo and the tests call) or `ModuleApp(upgrade_on_start=True)`.
"""

from __future__ import annotations

from importlib import resources

VERSION_TABLE = "rsv_alembic_version"
SCRIPT_LOCATION = str(resources.files("linemod_reservation") / "migrations")
