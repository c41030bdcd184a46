"""The reservation module's tables, in their own metadata (and their own Alembic history, see `migrations/`).

Every row carries the tenant (`bot_id`, the OA). Days are `YYYY-MM-DD` and times `HH:MM` strings in the
shop's time zone (they sort and compare as text on every engine); instants are UNIX milliseconds.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

BigId = BigInteger().with_variant(Integer(), "sqlite")


class ReservationBase(DeclarativeBase):
    """Separate from the framework's `Base`: the module's migrations never see the framework's tables."""

    metadata = MetaData()


class Shop(ReservationBase):
    """One OA's shop (created when the module is attached). Its booking rules (slot length, seats per slot,
    ...) are the console's settings form "booking" (see `booking`), its hours and holidays the tables below."""

    __tablename__ = "rsv_shops"

    bot_id: Mapped[str] = mapped_column(String(33), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Tokyo")
    rich_menu_id: Mapped[str | None] = mapped_column(String(100))
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)


class BusinessHours(ReservationBase):
    """Opening hours of one weekday (0 = Monday). A missing row or `closed` means no slots that day."""

    __tablename__ = "rsv_hours"

    bot_id: Mapped[str] = mapped_column(String(33), primary_key=True)
    weekday: Mapped[int] = mapped_column(Integer, primary_key=True)
    opens: Mapped[str] = mapped_column(String(5), default="11:00")
    closes: Mapped[str] = mapped_column(String(5), default="21:00")
    closed: Mapped[bool] = mapped_column(Boolean, default=False)


class Holiday(ReservationBase):
    __tablename__ = "rsv_holidays"

    bot_id: Mapped[str] = mapped_column(String(33), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    note: Mapped[str] = mapped_column(String(255), default="")


class Slot(ReservationBase):
    """Seats taken in one time slot. The CHECK is what makes double booking impossible: a booking is a
    guarded `booked = booked + n` on this row, so two transactions racing for the last seat serialise on
    the row and the second one finds no room (and the database refuses it even if code forgot to check)."""

    __tablename__ = "rsv_slots"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bot_id: Mapped[str] = mapped_column(String(33))
    day: Mapped[str] = mapped_column(String(10))
    start: Mapped[str] = mapped_column(String(5))
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        UniqueConstraint("bot_id", "day", "start", name="uq_rsv_slots_bot_day_start"),
        CheckConstraint("booked >= 0 AND booked <= capacity", name="ck_rsv_slots_booked_within_capacity"),
    )


class ReservationStatus:
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


class Reservation(ReservationBase):
    __tablename__ = "rsv_reservations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bot_id: Mapped[str] = mapped_column(String(33))
    number: Mapped[str] = mapped_column(String(16))  # what the customer quotes on the phone
    user_id: Mapped[str | None] = mapped_column(String(100))  # None: booked by phone for someone not on LINE
    customer_name: Mapped[str] = mapped_column(String(100))
    party_size: Mapped[int] = mapped_column(Integer)
    day: Mapped[str] = mapped_column(String(10))
    start: Mapped[str] = mapped_column(String(5))
    slot_id: Mapped[int] = mapped_column(ForeignKey("rsv_slots.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=ReservationStatus.CONFIRMED)
    source: Mapped[str] = mapped_column(String(16), default="line")  # "line" or "console"
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    updated_at_ms: Mapped[int] = mapped_column(BigInteger)
    cancelled_at_ms: Mapped[int | None] = mapped_column(BigInteger)
    reminded_at_ms: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        UniqueConstraint("bot_id", "number", name="uq_rsv_reservations_bot_number"),
        CheckConstraint("party_size >= 1", name="ck_rsv_reservations_party_positive"),
        Index("ix_rsv_reservations_bot_day", "bot_id", "day", "start"),
        Index("ix_rsv_reservations_bot_user", "bot_id", "user_id"),
    )


class Handler:
    MODULE = "module"
    PERSON = "person"


class Customer(ReservationBase):
    """A person who is (or was) a friend of the OA, as this module knows them."""

    __tablename__ = "rsv_customers"

    bot_id: Mapped[str] = mapped_column(String(33), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    language: Mapped[str] = mapped_column(String(16), default="ja")
    friend: Mapped[bool] = mapped_column(Boolean, default=True)
    # Who answers this chat: the module ("module", its events come `active`) or a person in the OA
    # Manager ("person", the module is standby). Updated from each event's mode and activated/deactivated.
    handled_by: Mapped[str] = mapped_column(String(16), default=Handler.MODULE)
    handled_since_ms: Mapped[int | None] = mapped_column(BigInteger)
    last_seen_ms: Mapped[int | None] = mapped_column(BigInteger)


class StandbyEvent(ReservationBase):
    """An event that arrived while a person handled the chat: recorded for the console, never answered."""

    __tablename__ = "rsv_standby_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bot_id: Mapped[str] = mapped_column(String(33))
    user_id: Mapped[str] = mapped_column(String(100))
    event_type: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text, default="")
    at_ms: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_rsv_standby_bot_user", "bot_id", "user_id", "id"),)
