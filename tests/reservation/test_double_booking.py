"""Double booking is impossible: capacity is enforced by the database, under real concurrency."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError

from linemod.framework.storage.database import Database
from linemod_reservation import store
from linemod_reservation.models import Reservation, Slot
from linemod_reservation.slots import ShopRules, default_hours
from tests.reservation.world import World, flex_button, open_day, quick

BOT = "U" + "a" * 32
NOW_MS = 1_800_000_000_000  # 2027-01-15, a fixed "now" for the store-level tests


async def _race(db: Database, rules: ShopRules, day: str, contenders: int, party: int) -> list[str]:
    """`contenders` transactions book the same slot at once; returns each one's outcome."""
    gate = asyncio.Event()

    async def attempt(n: int) -> str:
        async with db.transaction() as session:
            await gate.wait()
            try:
                await store.book(
                    session,
                    rules,
                    bot_id=BOT,
                    user_id=f"L{n}",
                    name=f"guest {n}",
                    party=party,
                    day=day,
                    start="18:00",
                    note="",
                    now_ms=NOW_MS,
                )
            except store.BookingError as failure:
                return failure.reason
            return "booked"

    tasks = [asyncio.create_task(attempt(n)) for n in range(contenders)]
    await asyncio.sleep(0.2)  # every transaction is open and waiting at the gate
    gate.set()
    return await asyncio.gather(*tasks)


def _rules(capacity: int) -> ShopRules:
    return ShopRules(capacity=capacity, max_party=6, hours=default_hours(), lead_minutes=0)


def _day() -> str:
    rules = _rules(1)
    day = rules.today(NOW_MS) + timedelta(days=2)
    while not rules.is_open(day):
        day += timedelta(days=1)
    return day.isoformat()


@pytest.mark.postgres
async def test_twenty_concurrent_bookings_for_three_seats_book_exactly_three_on_postgres(pg: Database) -> None:
    outcomes = await _race(pg, _rules(3), _day(), contenders=20, party=1)
    assert outcomes.count("booked") == 3 and outcomes.count("full") == 17
    async with pg.session() as session:
        [slot] = (await session.scalars(select(Slot))).all()
        assert (slot.booked, slot.capacity) == (3, 3)
        assert len((await session.scalars(select(Reservation))).all()) == 3


async def test_two_parties_racing_for_the_last_seats_one_wins(db: Database) -> None:
    outcomes = await _race(db, _rules(4), _day(), contenders=2, party=3)
    assert sorted(outcomes) == ["booked", "full"]


async def test_the_database_refuses_more_seats_than_the_capacity(db: Database) -> None:
    async with db.transaction() as session:
        await store.book(
            session,
            _rules(2),
            bot_id=BOT,
            user_id="L1",
            name="a",
            party=2,
            day=_day(),
            start="18:00",
            note="",
            now_ms=NOW_MS,
        )
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:  # code that forgot the guard still cannot overbook
            await session.execute(update(Slot).values(booked=Slot.booked + 1))


async def test_cancelling_twice_frees_the_seats_once(db: Database) -> None:
    rules = _rules(4)
    async with db.transaction() as session:
        r = await store.book(
            session,
            rules,
            bot_id=BOT,
            user_id="L1",
            name="a",
            party=2,
            day=_day(),
            start="18:00",
            note="",
            now_ms=NOW_MS,
        )
        await store.book(
            session,
            rules,
            bot_id=BOT,
            user_id="L2",
            name="b",
            party=1,
            day=_day(),
            start="18:00",
            note="",
            now_ms=NOW_MS,
        )
    async with db.transaction() as session:
        found = await session.get(Reservation, r.id)
        assert await store.cancel(session, found, NOW_MS + 1)  # type: ignore[arg-type]
        assert not await store.cancel(session, found, NOW_MS + 2)  # type: ignore[arg-type]
    async with db.session() as session:
        assert await session.scalar(text("SELECT booked FROM rsv_slots")) == 1


async def test_two_customers_confirming_the_last_seats_at_the_same_moment(world: World) -> None:
    await world.shop_ready()
    world.booking_rules(capacity=2)
    day = open_day().isoformat()
    cards = {}
    people = [world.person("山田 花子"), world.person("佐藤 太郎")]
    for person in people:
        person.follow()
        [ask_date] = person.tap_menu(0)
        [ask_time] = person.tap(quick(ask_date, "日付を選ぶ"), {"date": day})
        [ask_party] = person.tap(quick(ask_time, "18:00（残り2席）"))
        [ask_name] = person.tap(quick(ask_party, "2名"))
        [ask_note] = person.tap(quick(ask_name, person.name))
        [cards[person.user_id]] = person.tap(quick(ask_note, "なし"))
    before = {p.user_id: len(p.from_module()) for p in people}
    taps = [
        threading.Thread(
            target=world.control,
            args=("POST", f"{p.chat_path}/actions", 202),
            kwargs={"json": {"action": flex_button(cards[p.user_id], "この内容で予約する")}},
        )
        for p in people
    ]
    for tap in taps:
        tap.start()
    for tap in taps:
        tap.join()
    answers = [p.replies_after(before[p.user_id])[0]["text"] for p in people]
    assert sum("ご予約を承りました" in a for a in answers) == 1, answers
    assert sum("満席" in a for a in answers) == 1, answers
