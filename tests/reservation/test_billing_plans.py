"""The reservation module's own plan: an OA starts in a 30-day trial with every feature; each reservation is
metered once; past the 300 included a month, the next invoice shows the overage at ¥10 before tax each; while
the subscription is restricted (an invoice unpaid after dunning) bookings keep working but no reminder is
scheduled and the week view stops."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text, update

from linemod.framework.billing.records import BillingSubscriptionRow
from linemod_reservation import plans, reminders
from linemod_reservation.models import Reservation
from tests.reservation.test_conversation import reserve
from tests.reservation.test_reminders import eventually, pass_reminder_time, reminders_of
from tests.reservation.world import Operator, World, flex_button, open_day, quick

SQLITE_ONLY = pytest.mark.parametrize("db", ["sqlite"], indirect=True)
"""The first test runs on both engines; the others check the module's logic, the same on either."""


async def _subscription(world: World) -> BillingSubscriptionRow:
    async with world.db.session() as session:
        row = await session.get(BillingSubscriptionRow, world.bot_id)
    assert row is not None
    return row


async def _metered(world: World) -> int:
    async with world.db.session() as session:
        count = await session.scalar(
            text("SELECT COUNT(*) FROM billing_usage WHERE bot_id = :b AND meter = :m"),
            {"b": world.bot_id, "m": plans.RESERVATION_METER},
        )
    return int(count or 0)


async def _reminder_jobs(world: World, reservation: Reservation) -> int:
    async with world.db.session() as session:
        count = await session.scalar(text("SELECT COUNT(*) FROM jobs WHERE key = :k"),
                                     {"k": reminders.job_key(reservation)})
    return int(count or 0)


async def _reservations(world: World) -> list[Reservation]:
    async with world.db.session() as session:
        return list(await session.scalars(select(Reservation).order_by(Reservation.id)))


async def test_trial_then_restricted_keeps_bookings_and_stops_reminders_and_the_week_view(world: World) -> None:
    await world.shop_ready()
    sub = await _subscription(world)
    assert (sub.status, sub.plan_code) == ("trialing", plans.PLAN)
    assert sub.trial_ends_at_ms is not None and sub.trial_ends_at_ms - sub.started_at_ms == 30 * 86_400_000
    hanako = world.person()
    hanako.follow()
    day = open_day(3).isoformat()
    reserve(hanako, day)
    await world.settled()
    [first] = await _reservations(world)
    assert await _reminder_jobs(world, first) == 1  # the trial has every feature
    assert await _metered(world) == 1
    operator = Operator(world).sign_in()
    assert operator.get(operator.oa(f"/reservations/week?start={day}")).status_code == 200

    async with world.db.transaction() as session:  # dunning gave up on an unpaid invoice
        await session.execute(update(BillingSubscriptionRow).where(BillingSubscriptionRow.bot_id == world.bot_id)
                              .values(status="restricted"))
    taro = world.person("佐藤 太郎")
    taro.follow()
    number = reserve(taro, day)  # bookings keep working
    await world.settled()
    second = (await _reservations(world))[-1]
    assert second.number == number and await _reminder_jobs(world, second) == 0
    assert await _metered(world) == 2
    week = operator.get(operator.oa(f"/reservations/week?start={day}"))
    assert week.status_code == 402 and 'data-testid="feature-unavailable"' in week.text
    assert operator.get(operator.oa(f"/reservations?day={day}")).status_code == 200
    overview = operator.get(operator.oa("/billing"))
    assert 'data-kind="restricted"' in overview.text  # the banner across the console


@SQLITE_ONLY
async def test_reservations_beyond_the_included_300_show_on_the_next_invoice(world: World) -> None:
    await world.shop_ready()
    hanako = world.person()
    hanako.follow()
    day = open_day(3).isoformat()
    reserve(hanako, day)
    await world.settled()
    operator = Operator(world).sign_in()
    page = operator.get(operator.oa("/billing"))
    assert 'data-meter="reservation.created"' in page.text and "従量料金" not in page.text
    assert "¥3,300" in page.text and "¥3,000" in page.text  # the plan, with and without tax

    async def add_300() -> None:
        async with world.app.transaction() as tx:
            await tx.billing_for(world.bot_id).adjust_usage(plans.RESERVATION_METER, 300, note="test", key="bulk")

    world.in_server(add_300)
    day_view = operator.get(operator.oa(f"/reservations?day={day}"))
    assert '<strong>301 / 300</strong>' in day_view.text  # the plan's limit, as ctx.billing.limit() reads it
    page = operator.get(operator.oa("/billing"))
    assert "予約 従量料金（無料300件超過分）" in page.text
    # the fee ¥3,000 and one reservation beyond the 300 at ¥10, 10 % tax on the total once
    assert 'data-testid="next-total"><strong>¥3,311</strong>' in page.text


@SQLITE_ONLY
async def test_a_reminder_scheduled_in_the_trial_is_not_sent_once_restricted(world: World) -> None:
    await world.shop_ready()
    hanako = world.person()
    hanako.follow()
    day = open_day(3).isoformat()
    reserve(hanako, day)
    await world.settled()
    [reservation] = await _reservations(world)
    assert await _reminder_jobs(world, reservation) == 1
    async with world.db.transaction() as session:
        await session.execute(update(BillingSubscriptionRow).where(BillingSubscriptionRow.bot_id == world.bot_id)
                              .values(status="restricted"))
    pass_reminder_time(world, day)
    await eventually(lambda: _job_done(world, reminders.job_key(reservation)))  # the job ran, and did nothing
    assert reminders_of(hanako) == []
    [after] = await _reservations(world)
    assert after.reminded_at_ms is None


async def _job_done(world: World, key: str) -> bool:
    async with world.db.session() as session:
        return await session.scalar(text("SELECT status FROM jobs WHERE key = :k"), {"k": key}) == "done"


@SQLITE_ONLY
async def test_a_paused_subscription_refuses_bookings_on_line_with_a_polite_answer(world: World) -> None:
    await world.shop_ready()
    hanako = world.person()
    hanako.follow()
    day = open_day(3).isoformat()
    [ask_date] = hanako.tap_menu(0)
    [ask_time] = hanako.tap(quick(ask_date, "日付を選ぶ"), {"date": day})
    [ask_party] = hanako.tap(quick(ask_time, "18:00"))
    [ask_name] = hanako.tap(quick(ask_party, "2名"))
    hanako.tap(quick(ask_name, hanako.name))
    [card] = hanako.say("窓際の席を希望")
    # the trial ended without a payment method: the subscription is paused (nothing is allowed)
    async with world.db.transaction() as session:
        await session.execute(update(BillingSubscriptionRow).where(BillingSubscriptionRow.bot_id == world.bot_id)
                              .values(status="paused", paused_reason="trial_ended"))
    [answer] = hanako.tap(flex_button(card, "この内容で予約する"))
    assert "現在LINEでのご予約を受け付けておりません" in answer["text"]
    assert await _reservations(world) == [] and await _metered(world) == 0
