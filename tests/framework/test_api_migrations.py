"""A module's own Alembic history, registered with `app.add_migrations()`: `linemod db upgrade APP` runs the
framework's migrations and then the module's, each history in its own version table; with
`upgrade_on_start=True` a start does the same before the startup hooks, and concurrent starts take turns."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from linemod.cli import app as cli
from linemod.framework.app import ModuleApp
from linemod.framework.storage.database import Database
from tests.framework.helpers import POSTGRES_URL, drop_schema, framework_head, make_settings, require_postgres

ENGINES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]
VERSION_TABLE = "notes_alembic_version"
ENV_PY = "from linemod.framework.storage.database import run_module_migrations\n\nrun_module_migrations()\n"
NOTES_MIGRATION = """
import sqlalchemy as sa
from alembic import op

revision = "notes1"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    # Refers to the framework's tenants: it can only run after the framework's migrations.
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("bot_id", sa.String(33), sa.ForeignKey("tenants.bot_id"), nullable=False),
        sa.Column("body", sa.Text),
    )
"""
MODULE_APP = f"""
from pathlib import Path

from linemod import ModuleApp

app = ModuleApp()  # LINEMOD_* settings, as `linemod db upgrade APP` runs it
app.add_migrations(Path(__file__).parent / "notes_migrations", version_table="{VERSION_TABLE}")
"""


@dataclass
class FreshDatabase:
    url: str
    schema: str | None

    def open(self) -> Database:
        return Database(self.url, schema=self.schema)


@pytest.fixture(params=ENGINES)
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FreshDatabase]:
    """An empty database (no table at all): a new SQLite file, or a new schema on the PostgreSQL server."""
    if request.param == "sqlite":
        yield FreshDatabase(f"sqlite+aiosqlite:///{tmp_path}/fresh.db", None)
        return
    require_postgres()
    schema = f"m_{uuid.uuid4().hex[:12]}"
    yield FreshDatabase(POSTGRES_URL, schema)
    asyncio.run(drop_schema(schema))


def notes_migrations(root: Path) -> Path:
    """A module's Alembic folder with one revision (table `notes`)."""
    folder = root / "notes_migrations"
    (folder / "versions").mkdir(parents=True)
    (folder / "env.py").write_text(ENV_PY)
    (folder / "versions" / "notes1.py").write_text(NOTES_MIGRATION)
    return folder


async def tables_and_versions(fresh: FreshDatabase) -> tuple[set[str], dict[str, str]]:
    db = fresh.open()
    try:
        async with db.engine.connect() as conn:
            tables = set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
            versions = {}
            for table in {"alembic_version", VERSION_TABLE} & tables:
                versions[table] = (await conn.execute(text(f"SELECT version_num FROM {table}"))).scalar_one()
        return tables, versions
    finally:
        await db.dispose()


def test_db_upgrade_app_migrates_the_framework_then_each_module_history(
    fresh: FreshDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notes_migrations(tmp_path)
    module_name = f"notes_module_{uuid.uuid4().hex[:8]}"  # a fresh import: settings are read at import
    (tmp_path / f"{module_name}.py").write_text(MODULE_APP)
    monkeypatch.chdir(tmp_path)  # `linemod` imports APP from the current directory
    monkeypatch.setenv("LINEMOD_DATABASE_URL", fresh.url)
    if fresh.schema:
        monkeypatch.setenv("LINEMOD_DATABASE_SCHEMA", fresh.schema)

    result = CliRunner().invoke(cli, ["db", "upgrade", f"{module_name}:app"])
    assert result.exit_code == 0, result.output
    assert f"module history at head ({VERSION_TABLE})" in result.output
    tables, versions = asyncio.run(tables_and_versions(fresh))
    assert {"tenants", "events", "jobs", "notes"} <= tables
    assert versions == {"alembic_version": framework_head(), VERSION_TABLE: "notes1"}  # two histories, kept apart

    again = CliRunner().invoke(cli, ["db", "upgrade", "--app", f"{module_name}:app"])  # the older spelling
    assert again.exit_code == 0, again.output
    assert asyncio.run(tables_and_versions(fresh))[1] == versions


def test_db_upgrade_without_an_app_migrates_only_the_framework(
    fresh: FreshDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINEMOD_DATABASE_URL", fresh.url)
    if fresh.schema:
        monkeypatch.setenv("LINEMOD_DATABASE_SCHEMA", fresh.schema)
    result = CliRunner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert asyncio.run(tables_and_versions(fresh))[1] == {"alembic_version": framework_head()}


def test_each_history_needs_an_alembic_folder_and_a_version_table_of_its_own(tmp_path: Path) -> None:
    folder = notes_migrations(tmp_path)
    app = ModuleApp(make_settings())
    with pytest.raises(ValueError, match="taken"):
        app.add_migrations(folder, version_table="alembic_version")  # the framework's
    app.add_migrations(folder, version_table=VERSION_TABLE)
    with pytest.raises(ValueError, match="taken"):
        app.add_migrations(folder, version_table=VERSION_TABLE)
    with pytest.raises(ValueError, match=r"no env\.py"):
        app.add_migrations(tmp_path / "missing", version_table="other_alembic_version")
    assert [m.version_table for m in app.module_migrations] == [VERSION_TABLE]


def app_on(fresh: FreshDatabase, folder: Path, *, upgrade_on_start: bool) -> ModuleApp:
    settings = make_settings(database_url=fresh.url, database_schema=fresh.schema)
    app = ModuleApp(settings, upgrade_on_start=upgrade_on_start)
    app.add_migrations(folder, version_table=VERSION_TABLE)
    return app


async def test_upgrade_on_start_migrates_before_the_startup_hooks(fresh: FreshDatabase, tmp_path: Path) -> None:
    app = app_on(fresh, notes_migrations(tmp_path), upgrade_on_start=True)
    seen: list[int] = []

    @app.on_startup
    async def count_notes(app: ModuleApp) -> None:
        async with app.runtime.db.session() as session:  # type: ignore[union-attr]
            seen.append(await session.scalar(text("SELECT COUNT(*) FROM notes")))

    await app.start()
    await app.stop()
    assert seen == [0]
    assert (await tables_and_versions(fresh))[1] == {"alembic_version": framework_head(), VERSION_TABLE: "notes1"}


async def test_without_upgrade_on_start_a_start_leaves_the_schema_alone(fresh: FreshDatabase, tmp_path: Path) -> None:
    app = app_on(fresh, notes_migrations(tmp_path), upgrade_on_start=False)
    await app.start(workers=False, intake=False)
    await app.stop()
    assert (await tables_and_versions(fresh))[0] == set()


async def test_processes_upgrading_at_the_same_start_take_turns(fresh: FreshDatabase, tmp_path: Path) -> None:
    folder = notes_migrations(tmp_path)
    apps = [app_on(fresh, folder, upgrade_on_start=True) for _ in range(4)]  # each with its own engine
    try:
        await asyncio.gather(*(app.start(workers=False, intake=False) for app in apps))
    finally:
        await asyncio.gather(*(app.stop() for app in apps))
    assert (await tables_and_versions(fresh))[1] == {"alembic_version": framework_head(), VERSION_TABLE: "notes1"}
