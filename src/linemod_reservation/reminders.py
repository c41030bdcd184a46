"""The day-before reminder: a durable job per reservation, pushed once.

Once, because: the job's key is unique (scheduling twice does nothing), a job is leased to one worker at a
time across every process, the reservation's `reminded_at_ms` is set in the job's own transaction (a rerun
after success finds it set), and the push carries a retry key derived from the reservation, so a worker that
dies between the push and its commit re-sends with the same key and LINE answers 409 instead of delivering
it twice.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from linemod import N_, JobContext, Work
from linemod_reservation import plans
from linemod_reservation.languages import language
from linemod_reservation.messages import summary
from linemod_reservation.models import Customer, Reservation, ReservationStatus
from linemod_reservation.slots import ShopRules

log = logging.getLogger("linemod_reservation.reminders")
JOB = "reservation.remind"
RETRY_NAMESPACE = uuid.UUID("2b8f0a7e-9c1d-4e55-8a31-6d0c1f4b7e90")
REMINDER = N_(
    "Reminder: %(name)s, we look forward to seeing you tomorrow, %(day)s at %(start)s (%(party)s people).\n"
    "Reservation number: %(number)s"
)


def job_key(r: Reservation) -> str:
    # `updated_at_ms` changes with every change of the reservation, so a moved reservation gets a new job.
    return f"rsv-remind:{r.id}:{r.updated_at_ms}"


def retry_key(r: Reservation) -> str:
    return str(uuid.uuid5(RETRY_NAMESPACE, f"{r.bot_id}:{r.id}:{r.day}T{r.start}"))


async def schedule(work: Work, rules: ShopRules, r: Reservation, now_ms: int) -> bool:
    """Schedule the reminder in `work`'s transaction (a handler's `ctx` or a console page's `cx`). False
    when the reminder time has already passed (a booking made for tomorrow evening after the reminder hour:
    the confirmation is reminder enough)."""
    if r.user_id is None or not await work.billing.allows(plans.REMINDERS):
        return False
    run_at = rules.reminder_ms(r.day)
    if run_at <= now_ms:
        return False
    payload = {"reservation_id": r.id, "day": r.day, "start": r.start}
    return await work.schedule(JOB, payload, run_at_ms=run_at, key=job_key(r), bot_id=r.bot_id)


async def unschedule(work: Work, key: str) -> None:
    await work.cancel(key)


async def remind(jctx: JobContext, payload: dict[str, Any]) -> None:
    """The job: push the reminder unless the reservation was cancelled, moved or already reminded."""
    session: AsyncSession = jctx.db
    r = await session.get(Reservation, int(payload["reservation_id"]))
    if (
        r is None
        or jctx.line is None
        or r.status != ReservationStatus.CONFIRMED
        or (r.day, r.start) != (payload.get("day"), payload.get("start"))
        or r.reminded_at_ms is not None
        or r.user_id is None
    ):
        return
    if not await jctx.billing_for(r.bot_id).allows(plans.REMINDERS):
        log.info("reminder of reservation %s not sent: the subscription of %s does not include reminders now",
                 r.number, r.bot_id)
        return
    customer = await session.get(Customer, (r.bot_id, r.user_id))
    if customer is not None and not customer.friend:
        return  # blocked: a push would not arrive (and would still count against the OA's quota)
    jctx.lang = language(customer.language if customer else None)
    await jctx.line.push(r.user_id, [summary(jctx, REMINDER, r)], retry_key=retry_key(r))
    r.reminded_at_ms = jctx.now_ms()
    log.info("reminder sent for reservation %s of %s", r.number, r.bot_id)
