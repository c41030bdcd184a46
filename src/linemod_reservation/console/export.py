"""The module's data about one OA for its owner to take along (the framework's `app.console.data_export`,
offered on the billing pages before a cancellation): the shop with its hours and holidays, every
reservation, every customer. Only rows of `cx.tenant.bot_id`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from linemod import ConsoleContext, DataTables
from linemod_reservation.models import BusinessHours, Customer, Holiday, Reservation, Shop

if TYPE_CHECKING:
    from linemod_reservation.app import Reservation as ReservationModule


def _row(record: Any, columns: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(record, name) for name in columns}


async def export(cx: ConsoleContext) -> DataTables:
    bot_id = cx.tenant.bot_id
    shop = await cx.db.get(Shop, bot_id)
    hours = await cx.db.scalars(select(BusinessHours).where(BusinessHours.bot_id == bot_id)
                                .order_by(BusinessHours.weekday))
    holidays = await cx.db.scalars(select(Holiday).where(Holiday.bot_id == bot_id).order_by(Holiday.day))
    reservations = await cx.db.scalars(select(Reservation).where(Reservation.bot_id == bot_id)
                                       .order_by(Reservation.day, Reservation.start, Reservation.id))
    customers = await cx.db.scalars(select(Customer).where(Customer.bot_id == bot_id).order_by(Customer.user_id))
    return {
        "shops": [_row(shop, ("bot_id", "name", "timezone", "created_at_ms"))] if shop else [],
        "business_hours": [_row(h, ("weekday", "opens", "closes", "closed")) for h in hours],
        "holidays": [_row(h, ("day", "note")) for h in holidays],
        "reservations": [
            _row(r, ("number", "day", "start", "party_size", "customer_name", "user_id", "note", "status", "source",
                     "created_at_ms", "cancelled_at_ms"))
            for r in reservations
        ],
        "customers": [
            _row(c, ("user_id", "display_name", "language", "friend", "handled_by", "last_seen_ms"))
            for c in customers
        ],
    }


def register(module: ReservationModule) -> None:
    module.app.console.data_export(export)
