"""Startup hooks run before any handler can (the in-process worker starts after them); shutdown hooks run
after the worker has stopped. A module can create what its handlers need in a startup hook."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from linemod.framework.app import ModuleApp
from tests.framework.helpers import Running, attached_event, make_settings, message_event, wait_for


async def test_the_worker_starts_after_the_startup_hooks_and_stops_before_the_shutdown_hooks(db) -> None:  # type: ignore[no-untyped-def]
    app = ModuleApp(make_settings(), database=db)
    order: list[str] = []

    @app.on_startup
    async def first(app: ModuleApp) -> None:
        order.append(f"startup 1, worker running: {app.worker is not None}")

    @app.on_startup
    async def second(app: ModuleApp) -> None:
        order.append(f"startup 2, worker running: {app.worker is not None}")

    @app.on_shutdown
    async def last(app: ModuleApp) -> None:
        order.append(f"shutdown, worker running: {app.worker is not None}, runtime open: {app.runtime is not None}")

    async with Running(app):
        assert app.worker is not None
    assert order == [
        "startup 1, worker running: False",
        "startup 2, worker running: False",
        "shutdown, worker running: False, runtime open: True",
    ]


async def test_events_waiting_at_start_are_handled_only_after_the_startup_hook_made_their_table(db) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    async with Running(ModuleApp(settings, database=db), workers=False) as intake_only:
        await intake_only.post_webhook([attached_event(), message_event("note this")])

    app = ModuleApp(settings, database=db)
    notes: list[str] = []

    @app.on_startup
    async def create_notes_table(app: ModuleApp) -> None:
        await asyncio.sleep(0.3)  # several worker polls: a worker started already would run the handler now
        async with app.runtime.db.transaction() as session:  # type: ignore[union-attr]
            await session.execute(text("CREATE TABLE notes (body VARCHAR(100))"))

    @app.on_message(text="note this")
    async def note(ctx, event) -> None:  # type: ignore[no-untyped-def]
        await ctx.db.execute(text("INSERT INTO notes VALUES (:b)"), {"b": event.message.text})
        notes.append(event.message.text)

    async with Running(app) as run:
        await wait_for(lambda: notes)
        counts = await run.runtime.events.counts()
    assert notes == ["note this"]  # handled once, at the first try: no failure while the table was missing
    assert counts == {"done": 2}


async def test_a_failing_startup_hook_closes_what_was_opened_and_a_later_start_works(db) -> None:  # type: ignore[no-untyped-def]
    app = ModuleApp(make_settings(), database=db)
    attempts: list[int] = []

    @app.on_startup
    async def flaky(app: ModuleApp) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("not yet")

    with pytest.raises(RuntimeError, match="not yet"):
        await app.start()
    assert app.runtime is None and app.worker is None
    async with Running(app):
        assert app.worker is not None
    assert len(attempts) == 2


async def test_starting_workers_on_a_started_app_does_not_run_the_hooks_again(db) -> None:  # type: ignore[no-untyped-def]
    app = ModuleApp(make_settings(), database=db)
    runs: list[str] = []

    @app.on_startup
    async def once(app: ModuleApp) -> None:
        runs.append("startup")

    await app.start(workers=False)
    await app.start(workers=True)
    try:
        assert app.worker is not None
    finally:
        await app.stop()
    assert runs == ["startup"]
