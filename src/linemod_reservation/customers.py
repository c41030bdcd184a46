"""Customers as the module knows them: name and language (from the LINE profile when the OA granted
`profile:read`), friendship, and who is handling their chat (the module, or a person in the OA Manager)."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linemod import Context, MissingScopeError
from linemod_reservation.languages import language
from linemod_reservation.models import Customer, Handler, StandbyEvent

log = logging.getLogger("linemod_reservation.customers")


async def seen(ctx: Context, now_ms: int, *, refresh: bool = False) -> Customer | None:
    """The customer of this event's chat, created (with their LINE profile) the first time. Also records
    who handles the chat as this event shows it: `active` means the module, `standby` a person. What the
    module says next is in the customer's language: `ctx.lang` is set to it."""
    user_id = ctx.user_id
    if not user_id:
        return None
    session: AsyncSession = ctx.db
    customer = await session.get(Customer, (ctx.bot_id, user_id))
    if customer is None:
        customer = Customer(
            bot_id=ctx.bot_id, user_id=user_id, display_name="", language="ja", friend=True, handled_by=Handler.MODULE
        )
        session.add(customer)
        refresh = True
    if refresh:
        await _fill_profile(ctx, customer)
    handler = Handler.MODULE if ctx.is_active else Handler.PERSON
    event_type = str(getattr(ctx.event, "type", ""))
    if event_type not in ("activated", "deactivated"):  # those say it themselves (see `set_handler`)
        set_handler(customer, handler, now_ms)
    customer.last_seen_ms = now_ms
    ctx.lang = language(customer.language)
    return customer


def set_handler(customer: Customer, handler: str, now_ms: int) -> None:
    if customer.handled_by != handler or customer.handled_since_ms is None:
        customer.handled_by = handler
        customer.handled_since_ms = now_ms


async def _fill_profile(ctx: Context, customer: Customer) -> None:
    try:
        profile = await ctx.line.get_profile(customer.user_id)
    except MissingScopeError:
        return  # the OA did not grant profile:read: Japanese, no name
    except Exception:
        log.warning("profile of %s could not be read", customer.user_id, exc_info=True)
        return
    customer.display_name = (profile.display_name or "")[:100]
    customer.language = language(profile.language)


async def record_standby(ctx: Context, summary: str, now_ms: int) -> None:
    """Keep what the customer did while a person handled the chat (shown in the console, never answered)."""
    ctx.db.add(
        StandbyEvent(
            bot_id=ctx.bot_id,
            user_id=ctx.user_id or "",
            event_type=str(ctx.event.type),
            summary=summary[:1000],
            at_ms=now_ms,
        )
    )


async def for_oa(session: AsyncSession, bot_id: str) -> list[Customer]:
    rows = await session.scalars(select(Customer).where(Customer.bot_id == bot_id).order_by(Customer.display_name))
    return list(rows)


async def standby_log(session: AsyncSession, bot_id: str, user_id: str, limit: int = 20) -> list[StandbyEvent]:
    rows = await session.scalars(
        select(StandbyEvent)
        .where(StandbyEvent.bot_id == bot_id, StandbyEvent.user_id == user_id)
        .order_by(StandbyEvent.id.desc())
        .limit(limit)
    )
    return list(rows)
