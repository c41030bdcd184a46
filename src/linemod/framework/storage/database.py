"""The database: one async engine, sessions, and migrations. SQLite by default, PostgreSQL in production.

Migrations are Alembic histories: the framework's (version table `alembic_version`) and one per module that
registers its own with `ModuleApp.add_migrations()`, each with a version table of its own so the histories
never mix.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool
from sqlalchemy.util import await_only

from linemod.framework.storage.direct_sql import DirectSql, enable_wal
from linemod.framework.storage.models import Base

FRAMEWORK_VERSION_TABLE = "alembic_version"


@dataclass(frozen=True)
class ModuleMigrations:
    """A module's own Alembic history: the folder of its `env.py` and `versions/`, and the table that records
    its revision (not `alembic_version`, which is the framework's). Its `env.py` can be just
    `from linemod.framework.storage.database import run_module_migrations; run_module_migrations(MyBase.metadata)`."""

    script_location: str
    version_table: str


class Database:
    """An async engine plus a session factory.

    `schema` (PostgreSQL only) puts every table in that schema through the connection's search_path, so
    several apps or test runs can share one database. `connect_timeout` and `statement_timeout` (seconds,
    the settings `database_connect_timeout_seconds` and `database_statement_timeout_seconds`) bound every
    wait on the database, so that none hangs on a server that stopped answering; migrations run without the
    statement timeout. Nothing connects until the first query.
    """

    def __init__(
        self,
        url: str,
        *,
        schema: str | None = None,
        pool_size: int = 20,
        echo: bool = False,
        connect_timeout: float = 5.0,
        statement_timeout: float = 30.0,
    ) -> None:
        self.url = url
        self.schema = schema
        self.connect_timeout = connect_timeout
        """The longest wait for a new connection, or for a free one from a pool."""
        self.statement_timeout = statement_timeout
        """The longest a statement may run (PostgreSQL) or wait for the write lock (SQLite's busy timeout)."""
        parsed = make_url(url)
        self.dialect: str = parsed.get_backend_name()
        options: dict[str, Any] = {"echo": echo}
        if self.dialect == "postgresql":
            options.update(
                pool_size=pool_size,
                max_overflow=pool_size,
                pool_timeout=connect_timeout,
                connect_args={
                    "timeout": connect_timeout,
                    "command_timeout": self.client_statement_timeout,
                    "server_settings": self.postgres_server_settings(),
                },
            )
        elif self.dialect == "sqlite":
            options.update(
                pool_size=pool_size,
                max_overflow=pool_size,
                pool_timeout=connect_timeout,
                connect_args={"timeout": statement_timeout},
            )
        self.engine: AsyncEngine = create_async_engine(url, **options)
        if self.dialect == "sqlite":
            busy_timeout_ms = round(statement_timeout * 1000)
            event.listen(
                self.engine.sync_engine, "connect", lambda dbapi, _record: _sqlite_pragmas(dbapi, busy_timeout_ms)
            )
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock: asyncio.Lock | None = None
        self._direct: DirectSql | None = None

    def postgres_server_settings(self, *, statement_timeout: bool = True) -> dict[str, str]:
        """The session settings of every PostgreSQL connection: the schema, and the statement timeout."""
        settings = {"search_path": self.schema} if self.schema else {}
        if statement_timeout:
            settings["statement_timeout"] = str(round(self.statement_timeout * 1000))
        return settings

    @property
    def client_statement_timeout(self) -> float:
        """asyncpg's own timeout of a statement. A second later than the server's: on a live server its
        statement_timeout cancels the statement and the connection stays usable; this one only fires when
        the server does not answer at all (a frozen host, a dropped network), where nothing else would."""
        return self.statement_timeout + 1.0

    @property
    def direct(self) -> DirectSql:
        """The framework's hot statements without the ORM (webhook inserts, queue claims, completions)."""
        if self._direct is None:
            self._direct = DirectSql(self)
        return self._direct

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def sqlite_path(self) -> str:
        """The database file of a SQLite URL."""
        database = make_url(self.url).database
        if not database or database == ":memory:":
            raise ValueError("an in-memory SQLite database cannot be shared by the intake and the workers")
        return database

    def session(self) -> AsyncSession:
        """A new session; use it as `async with db.session() as s:`."""
        return self.sessions()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside a transaction that commits on success and rolls back on error."""
        async with self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def write_lock(self) -> AsyncIterator[None]:
        """Hold around a short framework transaction that writes (claim, fail, lease). SQLite has one
        writer; queueing this process's framework writers here instead of inside SQLite (whose busy
        handler sleeps up to 100 ms between tries) keeps them back to back. Handler transactions must not
        take it: they may already hold SQLite's write lock. On PostgreSQL it does nothing."""
        if not self.is_sqlite:
            yield
            return
        if self._write_lock is None:
            self._write_lock = asyncio.Lock()
        async with self._write_lock:
            yield

    @asynccontextmanager
    async def write_transaction(self) -> AsyncIterator[AsyncSession]:
        """`transaction()` under `write_lock()`: for short transactions that write."""
        async with self.write_lock(), self.transaction() as session:
            yield session

    async def upgrade(self, revision: str = "head") -> None:
        """Run the framework's migrations up to `revision` (creating the schema first on PostgreSQL)."""
        await self._upgrade(alembic_config, revision)

    async def upgrade_module(self, migrations: ModuleMigrations, revision: str = "head") -> None:
        """Run a module's own migrations up to `revision` (after the framework's: its tables may refer to
        them)."""
        await self._upgrade(lambda connection: module_alembic_config(migrations, connection), revision)

    async def _upgrade(self, config: Callable[[Any], Any], revision: str) -> None:
        # One transaction per history, holding a lock other upgraders wait for: processes that all upgrade at
        # start-up (`ModuleApp(upgrade_on_start=True)`) run one after the other, and the later ones find the
        # tables at head instead of failing on "already exists" half-way through.
        engine = self._migration_engine() if self.is_postgres else self.engine
        try:
            async with engine.begin() as conn:
                if self.is_postgres:
                    await conn.execute(
                        text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"linemod:{self.schema or ''}"}
                    )
                    if self.schema:
                        await conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
                elif self.is_sqlite:
                    # The driver would otherwise run the DDL outside any transaction; IMMEDIATE takes the write
                    # lock now, so a second upgrader waits (busy_timeout) and then reads the new version.
                    await conn.exec_driver_sql("BEGIN IMMEDIATE")
                await conn.run_sync(lambda sync_connection: _run_alembic_upgrade(config(sync_connection), revision))
        finally:
            if engine is not self.engine:
                await engine.dispose()

    def _migration_engine(self) -> AsyncEngine:
        # A migration may rewrite a large table: it runs without the statement timeout, which would stop it
        # half-way (and a lock waited for here is another upgrader's, which ends).
        return create_async_engine(
            self.url,
            poolclass=NullPool,
            connect_args={
                "timeout": self.connect_timeout,
                "server_settings": self.postgres_server_settings(statement_timeout=False),
            },
        )

    async def create_all(self) -> None:
        """Create the tables straight from the models (no migration history); for throwaway databases."""
        async with self.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)

    async def dispose(self) -> None:
        if self._direct is not None:
            await self._direct.aclose()
            self._direct = None
        await self.engine.dispose()


def alembic_config(connection: Any = None) -> Any:
    """The Alembic configuration of the framework's migrations (shipped inside the package)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("linemod.framework.storage") / "migrations"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def module_alembic_config(migrations: ModuleMigrations, connection: Any = None) -> Any:
    """The Alembic configuration of a module's history; `run_module_migrations()` reads it in `env.py`."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", migrations.script_location)
    config.attributes["version_table"] = migrations.version_table
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def run_module_migrations(target_metadata: Any = None) -> None:
    """The body of a module's Alembic `env.py`: migrate on the connection `linemod db upgrade` (or
    `Database.upgrade_module()`) hands over, recording the revision in the module's own version table."""
    from alembic import context

    config = context.config
    connection = config.attributes.get("connection")
    version_table = config.attributes.get("version_table")
    if context.is_offline_mode() or connection is None or not version_table:
        raise SystemExit("module migrations run through linemod: `linemod db upgrade APP`")
    # render_as_batch: SQLite cannot ALTER most things, Alembic's batch mode copies the table instead.
    context.configure(
        connection=connection, target_metadata=target_metadata, version_table=version_table, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_alembic_upgrade(config: Any, revision: str) -> None:
    from alembic import command

    command.upgrade(config, revision)


def _sqlite_pragmas(dbapi_connection: Any, busy_timeout_ms: int) -> None:
    # WAL lets the webhook intake write while workers read; NORMAL sync is durable across process crashes
    # (only an OS crash can lose the last transactions), which is what a webhook acknowledgement needs.
    cursor = dbapi_connection.cursor()
    # Connections open inside SQLAlchemy's greenlet: waiting yields to the event loop, where the lock's
    # holder may be another task of this process.
    enable_wal(cursor.execute, lambda seconds: await_only(asyncio.sleep(seconds)))
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
    cursor.close()


async def run_in_connection(db: Database, fn: Any) -> Any:
    """Run a synchronous function with a sync connection (for Alembic and inspection)."""
    async with db.engine.connect() as conn:
        conn_: AsyncConnection = conn
        return await conn_.run_sync(fn)
