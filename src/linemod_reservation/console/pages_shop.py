"""Console pages of the shop (hours per weekday, holidays, booking rules) and of its customers (who is
handling each chat: the module or a person, with the buttons that move it)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.responses import Response
from sqlalchemy import case, delete, select, update

from linemod.framework.console import ConsoleContext
from linemod.framework.i18n import N_
from linemod_reservation import customers, handover, store
from linemod_reservation.console.forms import WEEKDAY_NAMES, ShopForm
from linemod_reservation.i18n import day_label
from linemod_reservation.models import BusinessHours, Customer, Holiday, Reservation, ReservationStatus, Slot
from linemod_reservation.slots import ShopRules


def register(module: Any) -> None:
    console = module.app.console

    async def shop_page(cx: ConsoleContext, form: ShopForm | None = None, status: int = 200) -> Response:
        bot_id = cx.tenant.bot_id
        rules = await store.rules_for(cx.db, bot_id)
        today = rules.today(module.app.clock.now_ms()).isoformat()
        holidays = list(
            await cx.db.scalars(
                select(Holiday).where(Holiday.bot_id == bot_id, Holiday.day >= today).order_by(Holiday.day)
            )
        )
        return cx.render(
            "reservation/shop.html",
            {
                "rules": rules,
                "form": form,
                "errors": form.errors if form else {},
                "holidays": holidays,
                "weekdays": list(enumerate(WEEKDAY_NAMES)),
                "day_label": lambda d: day_label(cx.lang, d),
            },
            status=status,
        )

    @console.page("/shop", title=N_("Shop settings"), methods=("GET", "POST"))
    async def shop(cx: ConsoleContext) -> Response:
        if cx.request.method == "GET":
            return await shop_page(cx)
        form = ShopForm.parse(await cx.form())
        if form.errors:
            return await shop_page(cx, form, 400)
        bot_id, now = cx.tenant.bot_id, module.app.clock.now_ms()
        row = await store.ensure_shop(cx.db, bot_id, cx.tenant.display_name or "", now)
        for name in ("slot_minutes", "capacity", "lead_minutes", "max_party", "days_ahead"):
            setattr(row, name, getattr(form, name))
        row.updated_at_ms = now
        await cx.db.execute(delete(BusinessHours).where(BusinessHours.bot_id == bot_id))
        for weekday, hours in form.hours.items():
            opens, closes = hours or ("11:00", "21:00")
            cx.db.add(BusinessHours(bot_id=bot_id, weekday=weekday, opens=opens, closes=closes, closed=hours is None))
        # Future slots take the new capacity, never below what is already booked in them (the CHECK).
        today = ShopRules(timezone=row.timezone).today(now).isoformat()
        await cx.db.execute(
            update(Slot)
            .where(Slot.bot_id == bot_id, Slot.day >= today)
            .values(capacity=_at_least_booked(form.capacity))
            .execution_options(synchronize_session=False)
        )
        return cx.redirect(cx.url("/shop"), notice=N_("The shop settings were saved."))

    @console.page("/shop/holidays", title=N_("Holidays"), nav=False, methods=("POST",))
    async def holidays(cx: ConsoleContext) -> Response:
        form = await cx.form()
        bot_id = cx.tenant.bot_id
        try:
            day = date.fromisoformat(form.get("day", "")).isoformat()
        except ValueError:
            return cx.redirect(cx.url("/shop"), notice=N_("Choose a date."))
        if form.get("action") == "remove":
            await cx.db.execute(delete(Holiday).where(Holiday.bot_id == bot_id, Holiday.day == day))
            return cx.redirect(cx.url("/shop"), notice=N_("The holiday was removed."))
        if await cx.db.get(Holiday, (bot_id, day)) is None:
            cx.db.add(Holiday(bot_id=bot_id, day=day, note=form.get("note", "").strip()[:255]))
        return cx.redirect(cx.url("/shop"), notice=N_("The holiday was added."))

    @console.page("/customers", title=N_("Customers"))
    async def customer_list(cx: ConsoleContext) -> Response:
        bot_id = cx.tenant.bot_id
        rules = await store.rules_for(cx.db, bot_id)
        today = rules.today(module.app.clock.now_ms()).isoformat()
        people = await customers.for_oa(cx.db, bot_id)
        upcoming: dict[str, int] = {}
        for r in await cx.db.scalars(
            select(Reservation).where(
                Reservation.bot_id == bot_id,
                Reservation.status == ReservationStatus.CONFIRMED,
                Reservation.day >= today,
            )
        ):
            upcoming[r.user_id or ""] = upcoming.get(r.user_id or "", 0) + 1
        waiting = {
            c.user_id: await customers.standby_log(cx.db, bot_id, c.user_id, 3)
            for c in people
            if c.handled_by == "person"
        }
        return cx.render(
            "reservation/customers.html",
            {"people": people, "upcoming": upcoming, "waiting": waiting, "manager_url": _manager_url(module, bot_id)},
        )

    async def move(cx: ConsoleContext, uid: str, to_person: bool) -> Response:
        bot_id = cx.tenant.bot_id
        if await cx.db.get(Customer, (bot_id, uid)) is None:
            return cx.redirect(cx.url("/customers"), notice=N_("There is no such customer."))
        try:
            if to_person:
                await handover.hand_to_person(module, bot_id, uid, cx.db)
            else:
                await handover.take_back(module, bot_id, uid, cx.db)
        except Exception:  # LINE refused (the OA is suspended, the scope is missing, ...): say so, keep going
            return cx.redirect(cx.url("/customers"), notice=N_("LINE did not accept the change. Try again later."))
        notice = N_("A person now handles this chat.") if to_person else N_("The module handles this chat again.")
        return cx.redirect(cx.url("/customers"), notice=notice)

    @console.page("/customers/{uid}/handover", title=N_("Hand over"), nav=False, methods=("POST",))
    async def hand_over(cx: ConsoleContext, uid: str) -> Response:
        return await move(cx, uid, True)

    @console.page("/customers/{uid}/takeback", title=N_("Take back"), nav=False, methods=("POST",))
    async def take_back(cx: ConsoleContext, uid: str) -> Response:
        return await move(cx, uid, False)


def _at_least_booked(capacity: int) -> Any:
    return case((Slot.booked > capacity, Slot.booked), else_=capacity)


def _manager_url(module: Any, bot_id: str) -> str | None:
    """The OA Manager's chat list, when LINE is the emulator (its pages are at the same origin)."""
    base = module.app.settings.line_base_url
    return f"{base.rstrip('/')}/_pages/manager/{bot_id}" if base else None
