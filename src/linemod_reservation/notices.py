"""Telling a customer what the shop did to their reservation (booked by phone, changed, cancelled).

The console does not push from inside its request: it schedules a durable job in the same transaction as
the change, so the customer is told if and only if the change was saved, and a failed push is retried by
the workers (with a retry key, so a retry never delivers twice).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from linemod import N_, JobContext, Work
from linemod_reservation.languages import language
from linemod_reservation.messages import summary
from linemod_reservation.models import Customer, Reservation, Shop

JOB = "reservation.notify"
KINDS = {
    "created": N_(
        "%(shop)s booked a table for you (by phone).\n"
        "Reservation number: %(number)s\n"
        "%(day)s %(start)s, %(party)s people"
    ),
    "changed": N_(
        "From %(shop)s: your reservation was changed.\n"
        "Reservation number: %(number)s\n"
        "%(day)s %(start)s, %(party)s people"
    ),
    "cancelled": N_("From %(shop)s: reservation %(number)s (%(day)s %(start)s) was cancelled."),
}
"""The message ID of each kind of notice."""
RETRY_NAMESPACE = uuid.UUID("c4a7d8e2-31f6-4b0a-9e57-0d2b8f6a91c3")


async def schedule(work: Work, r: Reservation, kind: str) -> bool:
    """Queue the notice of `kind` for `r`'s customer (nothing for a reservation without a LINE user)."""
    if r.user_id is None:
        return False
    key = f"rsv-notify:{r.id}:{kind}:{r.updated_at_ms}"
    payload = {"reservation_id": r.id, "kind": kind, "version": r.updated_at_ms}
    return await work.schedule(JOB, payload, key=key, bot_id=r.bot_id)


async def notify(jctx: JobContext, payload: dict[str, Any]) -> None:
    """The job: push the notice in the customer's language."""
    session: AsyncSession = jctx.db
    r = await session.get(Reservation, int(payload["reservation_id"]))
    kind = str(payload.get("kind"))
    if r is None or r.user_id is None or jctx.line is None or kind not in KINDS:
        return
    customer = await session.get(Customer, (r.bot_id, r.user_id))
    if customer is not None and not customer.friend:
        return
    shop = await session.get(Shop, r.bot_id)
    jctx.lang = language(customer.language if customer else None)
    retry_key = str(uuid.uuid5(RETRY_NAMESPACE, f"{r.bot_id}:{r.id}:{kind}:{payload.get('version')}"))
    message = summary(jctx, KINDS[kind], r, shop=shop.name if shop else "")
    await jctx.line.push(r.user_id, [message], retry_key=retry_key)
