"""Shops and reservations in the database: every rule that changes a booking lives here, once.

All functions take the caller's `AsyncSession` and never commit: a chat handler's changes commit with its
webhook event (`ctx.db`), a console action's with its own transaction. Capacity is enforced by the database
(see `models.Slot`): a booking is one guarded UPDATE, so there is nothing to race between a check and a write.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from linemod_reservation.models import BusinessHours, Holiday, Reservation, ReservationStatus, Shop, Slot
from linemod_reservation.slots import ShopRules, default_hours, parse_day

NUMBER_ALPHABET = "ACDEFGHJKLMNPQRTUVWXY34679"  # no 0/O, 1/I, 5/S, 8/B: read out over the phone


class BookingError(Exception):
    """A booking that cannot be made; `reason` is a message key ("full", "closed", "too_late", ...)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def new_number() -> str:
    return "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(6))


async def get_shop(session: AsyncSession, bot_id: str) -> Shop | None:
    return await session.get(Shop, bot_id)


async def ensure_shop(session: AsyncSession, bot_id: str, name: str, now_ms: int) -> Shop:
    """The OA's shop, created with the default hours the first time."""
    shop = await session.get(Shop, bot_id)
    if shop is not None:
        return shop
    shop = Shop(bot_id=bot_id, name=name, timezone="Asia/Tokyo", created_at_ms=now_ms, updated_at_ms=now_ms)
    session.add(shop)
    for weekday, hours in default_hours().items():
        opens, closes = hours or ("11:00", "21:00")
        session.add(BusinessHours(bot_id=bot_id, weekday=weekday, opens=opens, closes=closes, closed=hours is None))
    await session.flush()
    return shop


async def rules_for(session: AsyncSession, bot_id: str, booking: Mapping[str, Any]) -> ShopRules:
    """The shop's rules: `booking` (the values of the booking rules form) with the shop's time zone, hours
    and holidays (the defaults where the shop has no rows yet)."""
    shop = await session.get(Shop, bot_id)
    hour_rows = (await session.scalars(select(BusinessHours).where(BusinessHours.bot_id == bot_id))).all()
    hours: dict[int, tuple[str, str] | None] = default_hours() if not hour_rows else {wd: None for wd in range(7)}
    for row in hour_rows:
        hours[row.weekday] = None if row.closed else (row.opens, row.closes)
    holidays = frozenset((await session.scalars(select(Holiday.day).where(Holiday.bot_id == bot_id))).all())
    return ShopRules(
        timezone=shop.timezone if shop is not None else ShopRules.timezone,
        slot_minutes=int(booking["slot_minutes"]),
        capacity=int(booking["capacity"]),
        lead_minutes=int(booking["lead_minutes"]),
        max_party=int(booking["max_party"]),
        days_ahead=int(booking["days_ahead"]),
        hours=hours,
        holidays=holidays,
    )


async def set_capacity_from(session: AsyncSession, bot_id: str, first_day: str, capacity: int) -> None:
    """Slots from `first_day` on take `capacity` seats, but never fewer than are already booked in them
    (the CHECK would refuse it: a smaller capacity leaves existing bookings alone, new ones find it full)."""
    await session.execute(
        update(Slot)
        .where(Slot.bot_id == bot_id, Slot.day >= first_day)
        .values(capacity=case((Slot.booked > capacity, Slot.booked), else_=capacity))
        .execution_options(synchronize_session=False)
    )


async def free_seats(session: AsyncSession, rules: ShopRules, bot_id: str, day: date, now_ms: int) -> dict[str, int]:
    """Bookable slot starts of `day` with their free seats (full slots included with 0)."""
    starts = rules.bookable(day, now_ms)
    if not starts:
        return {}
    rows = await session.execute(
        select(Slot.start, Slot.capacity, Slot.booked).where(Slot.bot_id == bot_id, Slot.day == day.isoformat())
    )
    taken = {row.start: row.capacity - row.booked for row in rows}
    return {start: max(0, taken.get(start, rules.capacity)) for start in starts}


async def _slot_id(session: AsyncSession, rules: ShopRules, bot_id: str, day: str, start: str) -> int:
    """The slot row of (day, start), created empty the first time it is booked (a no-op if it exists)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(
        insert(Slot)
        .values(bot_id=bot_id, day=day, start=start, capacity=rules.capacity, booked=0)
        .on_conflict_do_nothing(index_elements=["bot_id", "day", "start"])
    )
    slot_id = await session.scalar(select(Slot.id).where(Slot.bot_id == bot_id, Slot.day == day, Slot.start == start))
    assert slot_id is not None
    return int(slot_id)


async def _take(session: AsyncSession, slot_id: int, seats: int) -> None:
    """Take `seats` in a slot, or raise `BookingError("full")`. On PostgreSQL a concurrent booking of the
    same slot waits for this transaction and then re-reads `booked`, so it cannot take the same seats."""
    result = await session.execute(
        update(Slot)
        .where(Slot.id == slot_id, Slot.booked + seats <= Slot.capacity)
        .values(booked=Slot.booked + seats)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise BookingError("full")


async def _give_back(session: AsyncSession, slot_id: int, seats: int) -> None:
    await session.execute(
        update(Slot)
        .where(Slot.id == slot_id)
        .values(booked=Slot.booked - seats)
        .execution_options(synchronize_session=False)
    )


def check_bookable(rules: ShopRules, day: str, start: str, party: int, now_ms: int, *, lead: bool = True) -> None:
    """Raise `BookingError` unless (day, start) is a slot a customer may book now, for `party` people."""
    if party < 1 or party > max(rules.max_party, 1) or party > rules.capacity:
        raise BookingError("party_size")
    d = parse_day(day)
    if start in rules.bookable(d, now_ms, lead=lead):
        return
    if start in rules.starts(d) and d >= rules.today(now_ms):
        raise BookingError("too_late")
    raise BookingError("closed")


async def book(
    session: AsyncSession,
    rules: ShopRules,
    *,
    bot_id: str,
    user_id: str | None,
    name: str,
    party: int,
    day: str,
    start: str,
    note: str,
    now_ms: int,
    source: str = "line",
    lead: bool = True,
) -> Reservation:
    """Book `party` seats at (day, start). Raises `BookingError` ("full", "closed", "too_late", ...)."""
    check_bookable(rules, day, start, party, now_ms, lead=lead)
    slot_id = await _slot_id(session, rules, bot_id, day, start)
    await _take(session, slot_id, party)
    reservation = Reservation(
        bot_id=bot_id,
        number=new_number(),
        user_id=user_id,
        customer_name=name.strip()[:100] or "-",
        party_size=party,
        day=day,
        start=start,
        slot_id=slot_id,
        note=note.strip()[:500],
        status=ReservationStatus.CONFIRMED,
        source=source,
        created_at_ms=now_ms,
        updated_at_ms=now_ms,
    )
    session.add(reservation)
    await session.flush()
    return reservation


async def change(
    session: AsyncSession,
    rules: ShopRules,
    reservation: Reservation,
    *,
    day: str,
    start: str,
    party: int,
    now_ms: int,
    name: str | None = None,
    note: str | None = None,
    lead: bool = True,
) -> Reservation:
    """Move a confirmed reservation to (day, start, party). The new seats are taken before the old ones
    are given back, so a failed change leaves the reservation exactly as it was."""
    if reservation.status != ReservationStatus.CONFIRMED:
        raise BookingError("not_found")
    same_slot = reservation.day == day and reservation.start == start
    if not same_slot or party > reservation.party_size:
        check_bookable(rules, day, start, party, now_ms, lead=lead)
    if same_slot:
        delta = party - reservation.party_size
        if delta > 0:
            await _take(session, reservation.slot_id, delta)
        elif delta < 0:
            await _give_back(session, reservation.slot_id, -delta)
    else:
        slot_id = await _slot_id(session, rules, reservation.bot_id, day, start)
        await _take(session, slot_id, party)
        await _give_back(session, reservation.slot_id, reservation.party_size)
        reservation.slot_id = slot_id
    reservation.day, reservation.start, reservation.party_size = day, start, party
    if name is not None:
        reservation.customer_name = name.strip()[:100] or reservation.customer_name
    if note is not None:
        reservation.note = note.strip()[:500]
    reservation.updated_at_ms = now_ms
    reservation.reminded_at_ms = None
    await session.flush()
    return reservation


async def cancel(session: AsyncSession, reservation: Reservation, now_ms: int) -> bool:
    """Cancel a confirmed reservation and free its seats. False if it was not confirmed (already
    cancelled, perhaps by a concurrent request: the guarded UPDATE makes sure seats are freed once)."""
    result = await session.execute(
        update(Reservation)
        .where(Reservation.id == reservation.id, Reservation.status == ReservationStatus.CONFIRMED)
        .values(status=ReservationStatus.CANCELLED, cancelled_at_ms=now_ms, updated_at_ms=now_ms)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    await _give_back(session, reservation.slot_id, reservation.party_size)
    await session.refresh(reservation)
    return True


async def get_reservation(session: AsyncSession, bot_id: str, reservation_id: int) -> Reservation | None:
    found = await session.get(Reservation, reservation_id)
    return found if found is not None and found.bot_id == bot_id else None


async def upcoming_for_user(session: AsyncSession, bot_id: str, user_id: str, today: str) -> list[Reservation]:
    rows = await session.scalars(
        select(Reservation)
        .where(
            Reservation.bot_id == bot_id,
            Reservation.user_id == user_id,
            Reservation.status == ReservationStatus.CONFIRMED,
            Reservation.day >= today,
        )
        .order_by(Reservation.day, Reservation.start)
    )
    return list(rows)


async def between(
    session: AsyncSession, bot_id: str, first_day: str, last_day: str, *, cancelled: bool = True
) -> list[Reservation]:
    """Reservations from `first_day` to `last_day` (inclusive), in time order."""
    stmt = (
        select(Reservation)
        .where(Reservation.bot_id == bot_id, Reservation.day >= first_day, Reservation.day <= last_day)
        .order_by(Reservation.day, Reservation.start, Reservation.id)
    )
    if not cancelled:
        stmt = stmt.where(Reservation.status == ReservationStatus.CONFIRMED)
    return list(await session.scalars(stmt))
