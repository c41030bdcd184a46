"""How processes stop (docs/deploy.md, rolling restarts): `linemod serve` drains with `/healthz` answering 503
and exits cleanly; a worker finishes the handlers it runs, its leases still extended, before it stops."""

from __future__ import annotations

import asyncio
import signal
import time

import uvicorn

from linemod.framework.app import ModuleApp
from linemod.framework.queue.worker import Worker
from linemod.framework.serving import ModuleServer
from tests.framework.helpers import Running, attached_event, make_settings, message_event


def module_server(drain_seconds: float) -> tuple[ModuleServer, list[str]]:
    drained: list[str] = []
    config = uvicorn.Config(lambda *_: None, port=0)
    return ModuleServer(config, drain_seconds=drain_seconds, on_drain=lambda: drained.append("drain")), drained


async def test_sigterm_without_a_drain_starts_the_shutdown_at_once_and_exits_cleanly() -> None:
    server, drained = module_server(0)
    server.handle_exit(signal.SIGTERM, None)
    assert drained == ["drain"] and server.should_exit
    # uvicorn would raise the signal again after its graceful shutdown: the exit status would say "killed".
    assert server._captured_signals == []


async def test_sigterm_drains_first_and_the_shutdown_follows_the_drain() -> None:
    server, drained = module_server(0.2)
    server.handle_exit(signal.SIGTERM, None)
    assert drained == ["drain"] and not await server.on_tick(1)
    deadline = time.monotonic() + 10
    while not await server.on_tick(1):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    assert drained == ["drain"]


async def test_a_second_signal_during_the_drain_stops_at_once_and_a_third_sigint_forces() -> None:
    server, drained = module_server(60)
    server.handle_exit(signal.SIGTERM, None)
    assert not server.should_exit
    server.handle_exit(signal.SIGINT, None)
    assert server.should_exit and not server.force_exit and drained == ["drain"]
    server.handle_exit(signal.SIGINT, None)
    assert server.force_exit


async def test_healthz_is_ready_until_the_drain_begins(db) -> None:  # type: ignore[no-untyped-def]
    app = ModuleApp(make_settings(), database=db)
    async with Running(app, workers=False) as run:
        ready = await run.http.get("/healthz")
        assert (ready.status_code, ready.json()) == (200, {"ok": True, "draining": False})
        app.begin_draining()
        draining = await run.http.get("/healthz")
        assert (draining.status_code, draining.json()) == (503, {"ok": False, "draining": True})
        assert (await run.post_webhook([attached_event()])).status_code == 200  # still served


async def test_healthz_is_not_ready_when_the_database_does_not_answer(db) -> None:  # type: ignore[no-untyped-def]
    app = ModuleApp(make_settings(), database=db)
    async with Running(app, workers=False) as run:

        async def refused(*_args: object, **_kwargs: object) -> None:
            raise ConnectionRefusedError("the database is down")

        run.runtime.db.direct.run = refused  # type: ignore[method-assign]
        answer = await run.http.get("/healthz")
        assert (answer.status_code, answer.json()) == (503, {"ok": False, "database": "ConnectionRefusedError"})


async def test_a_stopping_worker_keeps_its_leases_until_its_handlers_finish(db) -> None:  # type: ignore[no-untyped-def]
    # A handler that runs for several leases, and a second worker that would take the event once its lease
    # ran out: it must not, while the first worker is still finishing it after being told to stop.
    app = ModuleApp(make_settings(lease_seconds=0.3), database=db)
    started, calls = asyncio.Event(), []

    @app.on_message()
    async def slow(ctx, event) -> None:  # type: ignore[no-untyped-def]
        calls.append(event.webhook_event_id)  # no ctx.db: on SQLite its write lock would keep the other worker out
        started.set()
        await asyncio.sleep(1.2)

    async with Running(app) as run:
        assert (await run.post_webhook([attached_event(), message_event("slow")])).status_code == 200
        await asyncio.wait_for(started.wait(), 10)
        other = Worker(run.runtime, app.dispatcher, app.job_handlers, concurrency=2)
        other.start()
        try:
            assert app.worker is not None
            await app.worker.stop(grace_seconds=10)
            app.worker = None
            assert (await run.runtime.events.counts()).get("done") == 2  # attached, and the message
            await asyncio.sleep(0.5)  # time for the other worker to take the event, were it still claimable
        finally:
            await other.stop()
        assert len(calls) == 1
