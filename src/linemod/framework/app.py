"""`ModuleApp`: the object a module is written with (decorators, jobs, the ASGI app, the worker)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hmac
import os
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI, Request, Response

from linemod.framework.accounts.cleanup import purge_account_rows
from linemod.framework.billing.billing_routes import billing_router
from linemod.framework.billing.collection_jobs import CARD_EXPIRY_JOB
from linemod.framework.billing.collection_service import CollectionService
from linemod.framework.billing.console.operator_routes import router as operator_billing_router
from linemod.framework.billing.extension import Billing
from linemod.framework.billing.jobs import QUOTA_JOB, SWEEP_JOB, register_billing_jobs
from linemod.framework.clock import Clock, SystemClock
from linemod.framework.console import Console
from linemod.framework.context import JobContext, Transaction
from linemod.framework.health import health_router
from linemod.framework.i18n import Catalogs
from linemod.framework.line.apis import LineApis
from linemod.framework.line.client import LineClient
from linemod.framework.queue.intake import webhook_router
from linemod.framework.queue.scheduler import Recurring
from linemod.framework.queue.worker import Worker
from linemod.framework.registration import Registrations
from linemod.framework.runtime import Runtime, database_for
from linemod.framework.security_headers import SecurityHeaders
from linemod.framework.settings import Settings
from linemod.framework.storage.database import FRAMEWORK_VERSION_TABLE, Database, ModuleMigrations
from linemod.framework.support.announcements.mailing import register_announcement_jobs
from linemod.framework.support.extension import Support
from linemod.framework.support.jobs import register_support_jobs, support_recurring
from linemod.framework.tenants.attach_flow import AttachFlow, attach_router
from linemod.framework.tenants.attach_pages import AttachPages
from linemod.framework.tenants.store import ReconcileReport

if TYPE_CHECKING:
    import uvicorn

RECONCILE_JOB = "linemod.reconcile"
PURGE_JOB = "linemod.purge"


class ModuleApp(Registrations):
    """A LINE module serving any number of OAs.

    ```python
    app = ModuleApp()                      # settings from LINEMOD_* variables (or pass Settings(...))

    @app.on_message(text="hello")
    async def hello(ctx, event):
        await ctx.reply(TextMessage(text="hi"))

    asgi = app.asgi()                      # `linemod serve mymodule:app` serves it too
    ```

    `clock`, `database` and `line` replace the real ones (tests). Nothing connects until the ASGI app
    starts, or `start()` / `run_worker()` is awaited.

    The database is migrated by `linemod db upgrade APP` (the framework's tables, then each history added
    with `add_migrations`), a release step run once. With `upgrade_on_start=True` every start does it too,
    before the startup hooks and the worker (concurrent starts take turns): handy for one process on SQLite.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        clock: Clock | None = None,
        database: Database | None = None,
        line: LineApis | None = None,
        upgrade_on_start: bool = False,
    ) -> None:
        super().__init__()
        self._settings = settings
        self._clock = clock
        self.upgrade_on_start = upgrade_on_start
        self.module_migrations: list[ModuleMigrations] = []
        self._database = database
        self._line = line
        self.catalogs = Catalogs()
        """The translations (the framework's, plus `add_translations`) of consoles, attach pages, handlers."""
        self.router = APIRouter()
        """Routes added here (or with `include_router`) are served by `asgi()`: the hook for consoles."""
        self._routers: list[tuple[APIRouter, str]] = []
        self.runtime: Runtime | None = None
        self.worker: Worker | None = None
        self.draining = False
        """Set by a SIGTERM to `linemod serve` (`begin_draining`): `/healthz` answers 503 from then on."""
        # The app hands the console its started runtime and its tenant operations: the console never reaches in.
        self.console = Console(self.catalogs, runtime=self._require, operations=self)
        """The operator console (/console/) and provider console (/provider/); extensions add pages and
        settings forms to it: see `linemod.framework.console.extension`."""
        self.billing = Billing()
        """What the module sells (plans, meters, coupons) and its billing policy: see
        `linemod.framework.billing.extension`."""
        self.support = Support(self.catalogs, runtime=self._require)
        """The help desk: SLA policies per plan and priority, business hours, article suggestions: see
        `linemod.framework.support.extension`."""
        self.job(RECONCILE_JOB)(self._reconcile_job)
        self.job(PURGE_JOB)(self._purge_job)
        register_billing_jobs(self)
        register_support_jobs(self)
        register_announcement_jobs(self)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = Settings()
        return self._settings

    @property
    def clock(self) -> Clock:
        """The clock the framework runs on (the one passed in, else the wall clock). Handlers read it as
        `ctx.now_ms()`; this is for code outside them, such as console pages."""
        if self._clock is None:
            self._clock = SystemClock()
        return self._clock

    # ---- web ------------------------------------------------------------------------------------------

    def include_router(self, router: APIRouter, prefix: str = "") -> None:
        """Serve another router (a console, an API) from `asgi()`."""
        self._routers.append((router, prefix))

    def add_translations(self, localedir: str | os.PathLike[str] | Traversable, domain: str = "messages") -> None:
        """Merge `{localedir}/{lang}/LC_MESSAGES/{domain}.po` into the translations of the consoles, the attach
        pages and handlers (`ctx.gettext`); message IDs are English, "ja" and "en" are the languages."""
        self.catalogs.add(Path(str(localedir)), domain)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """A unit of work for code outside handlers (scripts, hooks, background tasks): `tx.db` is a session
        in a transaction committed when the block ends (rolled back if it raises), and `tx.schedule()` /
        `tx.cancel()` join it. The app must be started."""
        rt = self._require()
        async with rt.db.transaction() as session:
            yield Transaction(
                db=session, clock=rt.clock, catalogs=self.catalogs, scheduler=rt.scheduler, billing=rt.billing
            )

    # ---- database -------------------------------------------------------------------------------------

    def add_migrations(self, script_location: str | os.PathLike[str] | Traversable, *, version_table: str) -> None:
        """Register the module's own Alembic history: `script_location` is the folder of its `env.py` and
        `versions/`, e.g. `importlib.resources.files("mymodule") / "migrations"`; `version_table` records its
        revision, apart from the framework's `alembic_version` and from other modules'. `linemod db upgrade APP`
        then runs it after the framework's migrations."""
        location = str(script_location)
        if not (Path(location) / "env.py").is_file():
            raise ValueError(f"{location} has no env.py: not an Alembic script folder")
        taken = {FRAMEWORK_VERSION_TABLE, *(m.version_table for m in self.module_migrations)}
        if version_table in taken:
            raise ValueError(f"version table {version_table!r} is taken; each history needs its own")
        self.module_migrations.append(ModuleMigrations(location, version_table))

    async def upgrade_database(self, revision: str = "head") -> None:
        """Migrate the framework's tables to `revision`, then every registered module history to its head
        (what `linemod db upgrade APP` runs). Uses the app's database, started or not."""
        if self.runtime is not None and self.runtime.started:
            db, owned = self.runtime.db, False
        elif self._database is not None:
            db, owned = self._database, False
        else:
            db, owned = database_for(self.settings), True
        try:
            await db.upgrade(revision)
            for migrations in self.module_migrations:
                await db.upgrade_module(migrations)
        finally:
            if owned:
                await db.dispose()

    def asgi(self) -> FastAPI:
        """The web app: webhook, attach flow, health, the consoles, plus `app.router` and included routers.
        Starting it starts the runtime and, unless `run_workers_in_process` is off, a worker. Raises
        `MissingSecretError` (what to set) when there is nothing to sign cookies and CSRF tokens with."""
        _ = self.settings.signing_secret  # fail now, before serving, not on the first console request

        @asynccontextmanager
        async def lifespan(_api: FastAPI) -> AsyncIterator[None]:
            await self.start(workers=self.settings.run_workers_in_process)
            try:
                yield
            finally:
                await self.stop()

        api = FastAPI(title="linemod module", lifespan=lifespan, docs_url=None, redoc_url=None)
        api.add_exception_handler(Exception, _server_error)
        api.include_router(webhook_router(self.settings.webhook_path, lambda: self._require().intake))
        api.include_router(attach_router(self.settings.attach_path, self.attach_flow, AttachPages(self.catalogs)))

        api.include_router(health_router(self._require, lambda: self.draining))

        @api.get("/metrics", include_in_schema=False)
        async def metrics(request: Request) -> Response:
            """Prometheus metrics; with `metrics_token` set, only for `Authorization: Bearer <token>`."""
            token = self.settings.metrics_token
            if token and not hmac.compare_digest(
                request.headers.get("authorization", "").encode(), f"Bearer {token}".encode()
            ):
                return Response("metrics need the bearer token\n", status_code=401, media_type="text/plain")
            runtime = self._require()
            return Response(await runtime.metrics.render(runtime), media_type=runtime.metrics.content_type)

        api.state.support = self.support  # the help desk's pages (support/console) reach the desk through it
        self.console.state.guest_role = self.support.guest_role
        self.console.mount(api)
        if self.billing.enabled:
            api.include_router(billing_router(self._collection))
        if self.billing.catalog.plans:  # the operator's billing pages (plans, invoices, card, cancellation)
            api.include_router(operator_billing_router)
        api.include_router(self.router)
        for router, prefix in self._routers:
            api.include_router(router, prefix=prefix)
        api.state.module_app = self
        api.add_middleware(SecurityHeaders, skip_path=self.settings.webhook_path)
        return api

    def server_config(self, *, host: str = "127.0.0.1", port: int = 8000, **options: Any) -> uvicorn.Config:
        """The uvicorn configuration `linemod serve` runs `asgi()` with: a client that sends its request
        headers or body too slowly is answered 408 and disconnected, idle kept-alive connections are closed,
        and past the connection limit requests are answered 503 (the `Settings` of "Serving"). `options` go
        to `uvicorn.Config` as they are (`log_level`, `lifespan`, ...). Serve with
        `uvicorn.Server(app.server_config(...)).run()`."""
        from linemod.framework.serving import server_config

        return server_config(self.asgi(), self.settings, host=host, port=port, **options)

    def begin_draining(self) -> None:
        """Report not-ready on `/healthz` from now on (the process is about to stop); requests are still served."""
        self.draining = True

    def attach_flow(self) -> AttachFlow:
        rt = self._require()
        return AttachFlow(
            rt.settings, rt.db, rt.clock, rt.line, rt.tenants, rt.known_tenants, on_owner=self.console.owner_attached
        )

    # ---- running --------------------------------------------------------------------------------------

    def _require(self) -> Runtime:
        if self.runtime is None or not self.runtime.started:
            raise RuntimeError("the module app is not started (serve it, or await app.start())")
        return self.runtime

    def _collection(self) -> CollectionService | None:
        runtime = self.runtime
        return runtime.billing.collection if runtime is not None and runtime.billing is not None else None

    def _recurring(self) -> list[Recurring]:
        jobs = list(self.recurring)
        if self.settings.reconcile_interval_seconds > 0:
            jobs.append(Recurring(RECONCILE_JOB, self.settings.reconcile_interval_seconds))
        jobs.append(Recurring(PURGE_JOB, 3600))
        jobs += support_recurring(self.settings)
        if self.billing.enabled:
            settings = self.settings
            if self.billing.catalog.plans and settings.billing_sweep_interval_seconds > 0:
                jobs.append(Recurring(SWEEP_JOB, settings.billing_sweep_interval_seconds))
            if settings.billing_quota_interval_seconds > 0:
                jobs.append(Recurring(QUOTA_JOB, settings.billing_quota_interval_seconds))
            if self.billing.catalog.plans and settings.billing_issuer_name:
                jobs.append(Recurring(CARD_EXPIRY_JOB, 86_400))
        return jobs

    async def start(self, *, workers: bool = True, intake: bool = True, concurrency: int | None = None) -> Runtime:
        """Open the database and LINE clients, migrate (with `upgrade_on_start`), run the startup hooks, and
        then, with `workers`, start processing in this process. Hooks run once, when the runtime opens."""
        if self.runtime is None or not self.runtime.started:
            runtime = Runtime(self.settings, clock=self.clock, db=self._database, line=self._line)
            await runtime.start(intake=intake)
            self.runtime = runtime
            try:
                if self.upgrade_on_start:
                    await self.upgrade_database()
                if self.billing.enabled:
                    await self.billing.open(runtime, self.billing_handlers)
                for hook in self._startup:
                    await hook(self)
            except BaseException:
                self.runtime = None
                await runtime.close()
                raise
        if workers and self.worker is None:
            self.worker = Worker(
                self.runtime,
                self.dispatcher,
                self.job_handlers,
                self._recurring(),
                concurrency=concurrency,
                intake_pressure=self._intake_pressure(self.runtime) if intake else None,
                catalogs=self.catalogs,
            )
            self.worker.start()
        # Everything loaded so far (the SDK's many model classes, the app, settings) lives as long as the
        # process; frozen, it is left out of the cyclic collector's full passes, which would otherwise
        # rescan it all: a pause of about 150 ms every few thousand events under load.
        gc.freeze()
        return self.runtime

    @staticmethod
    def _intake_pressure(runtime: Runtime) -> Callable[[], float]:
        return lambda: runtime.intake.oldest_in_flight_seconds()

    async def stop(self) -> None:
        """Stop the worker (handlers still running get a grace period), then run the shutdown hooks, then
        close the database and LINE clients."""
        if self.worker is not None:
            await self.worker.stop(self.settings.shutdown_grace_seconds)
            self.worker = None
        if self.runtime is not None:
            try:
                for hook in self._shutdown:
                    await hook(self)
            finally:
                if self.runtime.billing is not None:
                    await self.runtime.billing.aclose()
                await self.runtime.close()
                self.runtime = None

    async def run_worker(self, *, concurrency: int | None = None, stop: asyncio.Event | None = None) -> None:
        """Process events and jobs until `stop` is set or the process gets SIGTERM/SIGINT (what
        `linemod worker` runs). Handlers still running get a grace period; the rest are taken again later."""
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, stop.set)
        await self.start(workers=True, intake=False, concurrency=concurrency)
        try:
            await stop.wait()
        finally:
            await self.stop()

    async def queue_idle(self) -> bool:
        """True when no webhook event is pending or running (a retry waiting for its backoff counts) and no
        job is running or due: what a test waits for before asserting (`linemod.testing.RunningApp.drain`)."""
        rt = self._require()
        return not await rt.events.has_work(due_only=False) and not await rt.jobs.has_work(due_only=True)

    # ---- tenant operations ----------------------------------------------------------------------------

    async def line_for(self, bot_id: str) -> LineClient:
        """A LINE client bound to an OA, outside any handler (consoles, scripts)."""
        rt = self._require()
        tenant = await rt.tenants.get(bot_id)
        if tenant is None:
            raise LookupError(f"unknown OA {bot_id}")
        return rt.line.for_tenant(tenant)

    async def detach(self, bot_id: str) -> None:
        """Provider-side detach: call LINE's Detach API, then mark the tenant detached at once."""
        rt = self._require()
        await rt.line.detach(bot_id)
        await rt.tenants.mark_detached(bot_id)

    async def sync_tenants(self, *, apply: bool = True) -> ReconcileReport:
        """Reconcile the tenant store with `GET /v2/bot/list`."""
        rt = self._require()
        return await rt.tenants.reconcile(await rt.line.list_attached_bots(), apply=apply)

    # ---- the framework's own jobs ---------------------------------------------------------------------

    async def _reconcile_job(self, jctx: JobContext, _payload: dict[str, Any]) -> None:
        await self.sync_tenants(apply=True)

    async def _purge_job(self, jctx: JobContext, _payload: dict[str, Any]) -> None:
        rt = self._require()
        cutoff = jctx.now_ms() - rt.settings.done_retention_seconds * 1000
        await rt.events.purge_finished(cutoff)
        await rt.jobs.purge_finished(cutoff)
        await purge_account_rows(rt.db, jctx.now_ms())


def _server_error(_request: Request, _exc: Exception) -> Response:
    """The 500 of an exception no handler caught. It says `Connection: close`: the server logs the exception
    and closes the connection after this answer, and a client not told so may already have sent its next
    request on that connection, which then fails as a dropped connection instead of getting an answer."""
    return Response("Internal Server Error", status_code=500, media_type="text/plain", headers={"connection": "close"})
