"""The day-before reminder: pushed when the (emulator's) clock passes 10:00 the day before, exactly once,
even with two worker processes and a job run again after a crash."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select, text, update

from linemod_reservation import create_app, reminders
from linemod_reservation.models import Reservation
from linemod_reservation.slots import ShopRules
from tests.reservation.test_conversation import reserve
from tests.reservation.world import Person, World, flex_button, open_day, quick, wait_until

REMINDER = "【明日のご予約】"


def reminders_of(person: Person) -> list[str]:
    return [m["text"] for m in person.from_module() if m.get("type") == "text" and REMINDER in m["text"]]


def pass_reminder_time(world: World, day: str) -> None:
    """Move the emulator's clock (and with it the module's) to one minute after the reminder is due."""
    now = int(world.control("GET", "/_emulator/clock")["now_ms"])
    due = ShopRules().reminder_ms(day)
    assert due > now + 3_600_000, "the reservation must be far enough ahead for the test to mean something"
    world.advance((due - now) / 1000 + 60)


async def test_the_reminder_arrives_when_the_clock_passes_the_day_before(world: World) -> None:
    hanako = world.person()
    hanako.follow()
    day = open_day(3).isoformat()
    number = reserve(hanako, day)
    assert reminders_of(hanako) == []
    world.advance(3600)  # an hour later: nothing yet
    time.sleep(0.5)
    assert reminders_of(hanako) == []
    pass_reminder_time(world, day)
    [text] = wait_until(lambda: reminders_of(hanako), what="the reminder")
    assert number in text and "18:00" in text and "山田 花子様" in text
    await eventually(lambda: _reminded(world))  # recorded in the job's transaction, just after the push


async def test_a_cancelled_reservation_gets_no_reminder(world: World) -> None:
    hanako = world.person()
    hanako.follow()
    day = open_day(3).isoformat()
    reserve(hanako, day)
    await world.settled()
    async with world.db.session() as session:
        [reservation] = (await session.scalars(select(Reservation))).all()
    [listing] = hanako.tap_menu(1)
    [ask] = hanako.tap(flex_button(listing, "キャンセルする"))
    hanako.tap(quick(ask, "キャンセルする"))
    jobs = await _jobs(world, reminders.job_key(reservation))
    assert jobs == []  # the pending job was removed with the cancellation
    pass_reminder_time(world, day)
    time.sleep(1.0)
    assert reminders_of(hanako) == []


class SecondWorker:
    """Another `linemod worker` process on the same database: its own thread, event loop and connections."""

    def __init__(self, world: World) -> None:
        self.app = create_app(world.settings, clock=world.clock)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stop: asyncio.Event | None = None
        self.thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    async def _run(self) -> None:
        self.loop, self.stop = asyncio.get_running_loop(), asyncio.Event()
        await self.app.run_worker(stop=self.stop)

    def __enter__(self) -> SecondWorker:
        self.thread.start()
        wait_until(lambda: self.app.worker is not None, what="the second worker")
        return self

    def __exit__(self, *_exc: object) -> None:
        assert self.loop is not None and self.stop is not None
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(timeout=20)

    def schedule(self, *args: Any, **kwargs: Any) -> Any:
        assert self.loop is not None
        call = self.app.runtime.scheduler.schedule(*args, **kwargs)  # type: ignore[union-attr]
        return asyncio.run_coroutine_threadsafe(call, self.loop).result(10)


async def test_one_reminder_with_two_workers_and_a_rerun_after_a_crash(world: World) -> None:
    with SecondWorker(world) as second:
        hanako = world.person()
        hanako.follow()
        day = open_day(3).isoformat()
        reserve(hanako, day)
        pass_reminder_time(world, day)
        wait_until(lambda: reminders_of(hanako), what="the reminder")
        await eventually(lambda: _reminded(world))
        # A worker that pushed and then died before committing: the job runs again with the same retry key.
        async with world.db.transaction() as session:
            await session.execute(update(Reservation).values(reminded_at_ms=None))
            [reservation] = (await session.scalars(select(Reservation))).all()
        second.schedule(
            reminders.JOB, {"reservation_id": reservation.id, "day": day, "start": "18:00"}, bot_id=world.bot_id
        )
        await eventually(lambda: _reminded(world))
        assert len(reminders_of(hanako)) == 1
        # the second push was recognised by its retry key (the emulator logs a request once it has answered)
        assert await eventually(lambda: _push_statuses(world) == [200, 409])


async def eventually(check: Callable[[], Any], timeout: float = 15) -> Any:
    """Poll a sync or async check without blocking this event loop."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


def _push_statuses(world: World) -> list[int]:
    requests = world.control("GET", "/_emulator/requests", params={"limit": 500})["requests"]
    return sorted(r["status_code"] for r in requests if r["path"] == "/v2/bot/message/push")


async def _reminded(world: World) -> bool:
    async with world.db.session() as session:
        return bool(await session.scalar(select(Reservation.reminded_at_ms)))


async def _jobs(world: World, key: str) -> list[str]:
    async with world.db.session() as session:
        rows = await session.execute(text("SELECT status FROM jobs WHERE key = :k"), {"k": key})
        return [r.status for r in rows]
