"""The framework's commands, added to `linemod` by `linemod.cli`: serve, worker, db, tenants, events,
accounts."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from linemod.framework.queue.rows import EventRecord

APP_HELP = "The module app as module.path:attribute, e.g. mymodule.main:app"


def load_app(spec: str) -> Any:
    """Import `module.path:attr` (the current directory is importable) and return the ModuleApp."""
    from linemod.framework.app import ModuleApp

    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise typer.BadParameter(f"expected module.path:attribute, got {spec!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    app = getattr(importlib.import_module(module_name), attr)
    if not isinstance(app, ModuleApp):
        raise typer.BadParameter(f"{spec} is a {type(app).__name__}, not a linemod ModuleApp")
    return app


def register(app: typer.Typer) -> None:
    """Add the framework's commands to the `linemod` command."""

    @app.command()
    def serve(
        app_spec: str = typer.Argument(..., metavar="APP", help=APP_HELP),
        host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
        port: int = typer.Option(8000, help="Port to listen on."),
        workers: bool = typer.Option(True, help="Also process events in this process."),
        log_level: str = typer.Option("warning", help="uvicorn log level."),
    ) -> None:
        """Serve a module: webhook, attach flow, routes, and (by default) in-process workers. The client IP
        comes from X-Forwarded-For only when the peer is in LINEMOD_FORWARDED_ALLOW_IPS. SIGTERM drains
        (/healthz answers 503 for LINEMOD_SHUTDOWN_DRAIN_SECONDS), closes the port, lets requests and handlers
        in progress finish (LINEMOD_SHUTDOWN_GRACE_SECONDS) and exits 0."""
        from linemod.framework.serving import ModuleServer

        module_app = load_app(app_spec)
        settings = module_app.settings
        settings.run_workers_in_process = workers
        config = module_app.server_config(host=host, port=port, log_level=log_level)
        server = ModuleServer(config, drain_seconds=settings.shutdown_drain_seconds, on_drain=module_app.begin_draining)
        server.run()

    @app.command()
    def worker(
        app_spec: str = typer.Argument(..., metavar="APP", help=APP_HELP),
        concurrency: int = typer.Option(0, help="Events at once (0: the setting worker_concurrency)."),
    ) -> None:
        """Process stored events and jobs (run as many as the database allows). SIGTERM stops claiming, lets
        running handlers finish (LINEMOD_SHUTDOWN_GRACE_SECONDS) and exits 0."""
        module_app = load_app(app_spec)
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(module_app.run_worker(concurrency=concurrency or None))

    db_app = typer.Typer(help="The database.", no_args_is_help=True)
    app.add_typer(db_app, name="db")

    @db_app.command("upgrade")
    def db_upgrade(
        app_spec: str = typer.Argument(None, metavar="[APP]", help=APP_HELP + " (default: LINEMOD_* settings)"),
        app_option: str = typer.Option(None, "--app", hidden=True, help="The same as APP (older spelling)."),
        revision: str = typer.Option("head", help="Target revision of the framework's tables."),
    ) -> None:
        """Create or migrate the framework's tables, then those of every module history APP registered
        (`app.add_migrations(...)`), each to its head."""
        if app_spec and app_option and app_spec != app_option:
            raise typer.BadParameter(f"two different apps: {app_spec} and --app {app_option}")
        module_app = _module_app(app_spec or app_option)
        asyncio.run(module_app.upgrade_database(revision))
        typer.echo(f"database at {revision}: {_safe_url(module_app.settings.database_url)}")
        for migrations in module_app.module_migrations:
            typer.echo(f"module history at head ({migrations.version_table}): {migrations.script_location}")

    tenants_app = typer.Typer(help="The OAs this module is attached to.", no_args_is_help=True)
    app.add_typer(tenants_app, name="tenants")

    @tenants_app.command("list")
    def tenants_list(app_spec: str = typer.Option(None, "--app", help=APP_HELP)) -> None:
        """Every tenant with its state and scopes."""
        from rich.console import Console
        from rich.table import Table

        async def run() -> list[Any]:
            module_app = _module_app(app_spec)
            await module_app.start(workers=False, intake=False)
            try:
                return await module_app.runtime.tenants.list()
            finally:
                await module_app.stop()

        table = Table("bot_id", "basic_id", "name", "state", "scopes")
        for t in asyncio.run(run()):
            scopes = "(unknown)" if t.scopes is None else " ".join(sorted(t.scopes))
            table.add_row(t.bot_id, t.basic_id or "", t.display_name or "", t.state, scopes)
        Console().print(table)

    @tenants_app.command("sync")
    def tenants_sync(
        app_spec: str = typer.Option(None, "--app", help=APP_HELP),
        dry_run: bool = typer.Option(False, help="Only report the differences."),
    ) -> None:
        """Reconcile with LINE's list of attached OAs (GET /v2/bot/list)."""

        async def run() -> Any:
            module_app = _module_app(app_spec)
            await module_app.start(workers=False, intake=False)
            try:
                return await module_app.sync_tenants(apply=not dry_run)
            finally:
                await module_app.stop()

        report = asyncio.run(run())
        typer.echo(f"in sync: {report.in_sync}")
        typer.echo(f"attached on LINE, unknown here: {', '.join(report.unknown_here) or '-'}")
        typer.echo(f"attached here, not on LINE: {', '.join(report.missing_on_line) or '-'}")
        typer.echo("changes applied" if report.applied else "dry run: nothing changed")

    @tenants_app.command("detach")
    def tenants_detach(
        bot_id: str = typer.Argument(..., help="Bot user ID of the OA."),
        app_spec: str = typer.Option(None, "--app", help=APP_HELP),
    ) -> None:
        """Detach the module from an OA (LINE's Detach API), and mark it detached here."""

        async def run() -> None:
            module_app = _module_app(app_spec)
            await module_app.start(workers=False, intake=False)
            try:
                await module_app.detach(bot_id)
            finally:
                await module_app.stop()

        asyncio.run(run())
        typer.echo(f"detached {bot_id}")

    events_app = typer.Typer(help="The webhook event queue.", no_args_is_help=True)
    app.add_typer(events_app, name="events")

    @events_app.command("list")
    def events_list(
        app_spec: str = typer.Option(None, "--app", help=APP_HELP),
        status: str = typer.Option("dead", help="pending, running, done or dead."),
        limit: int = typer.Option(50),
    ) -> None:
        """Events of one status (dead letters by default), newest first."""

        async def run() -> tuple[dict[str, int], list[EventRecord]]:
            module_app = _module_app(app_spec)
            await module_app.start(workers=False, intake=False)
            try:
                q = module_app.runtime.events
                return await q.counts(), await q.list(status, limit)
            finally:
                await module_app.stop()

        counts, rows = asyncio.run(run())
        typer.echo(" ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "no events")
        for row in rows:
            error = (row.last_error or "").strip().splitlines()[-1:] or [""]
            typer.echo(f"{row.id}\t{row.webhook_event_id}\t{row.event_type}\t{row.attempts}\t{error[0]}")

    @events_app.command("replay")
    def events_replay(
        ids: Annotated[list[int] | None, typer.Argument(help="Row IDs (default: all dead).")] = None,
        app_spec: str = typer.Option(None, "--app", help=APP_HELP),
    ) -> None:
        """Put dead letters back in the queue."""

        async def run() -> int:
            module_app = _module_app(app_spec)
            await module_app.start(workers=False, intake=False)
            try:
                return await module_app.runtime.events.replay(ids or None)
            finally:
                await module_app.stop()

        typer.echo(f"replayed {asyncio.run(run())} event(s)")

    accounts_app = typer.Typer(help="Console accounts.", no_args_is_help=True)
    app.add_typer(accounts_app, name="accounts")

    @accounts_app.command("create-staff")
    def accounts_create_staff(
        email: str = typer.Argument(..., help="The staff member's email address (their sign-in)."),
        password: str = typer.Option(None, help="The password (asked for when omitted; at least 8 characters)."),
        app_spec: str = typer.Option(None, "--app", help=APP_HELP),
    ) -> None:
        """Create a provider staff account: it signs in to /provider/ (sign-up never makes one)."""
        from linemod.framework.accounts import AccountError

        if password is None:
            password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)

        async def run() -> Any:
            module_app = _module_app(app_spec)
            await module_app.start(workers=False, intake=False)
            try:
                return await module_app.console.services().accounts.create_staff(email, password)
            finally:
                await module_app.stop()

        try:
            account = asyncio.run(run())
        except AccountError as refused:
            typer.echo(f"not created: {refused.code}", err=True)
            raise typer.Exit(1) from None
        typer.echo(f"provider staff account created: {account.email}")


def _module_app(app_spec: str | None) -> Any:
    from linemod.framework.app import ModuleApp

    return load_app(app_spec) if app_spec else ModuleApp()


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
