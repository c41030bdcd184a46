"""Console pages of the shop (hours per weekday, holidays; the booking rules are shown, and changed in their
settings form) and of its customers (who is handling each chat: the module, a person answering an inquiry
in the inbox, or a person in LINE's OA Manager)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from fastapi.responses import Response
from sqlalchemy import delete, select

from linemod import N_, ConsoleContext, ModuleApp, open_inquiries
from linemod_reservation import booking, customers, store
from linemod_reservation.console.forms import WEEKDAY_NAMES, HoursForm
from linemod_reservation.languages import day_label
from linemod_reservation.models import BusinessHours, Holiday, Reservation, ReservationStatus

if TYPE_CHECKING:
    from linemod_reservation.app import Reservation as ReservationModule


def register(module: ReservationModule) -> None:
    app = module.app
    console = app.console

    async def shop_page(cx: ConsoleContext, form: HoursForm | None = None, status: int = 200) -> Response:
        bot_id = cx.tenant.bot_id
        rules = await module.rules(cx.db, bot_id)
        today = rules.today(cx.now_ms()).isoformat()
        holidays = list(
            await cx.db.scalars(
                select(Holiday).where(Holiday.bot_id == bot_id, Holiday.day >= today).order_by(Holiday.day)
            )
        )
        return cx.render(
            "reservation/shop.html",
            {
                "rules": rules,
                "booking_url": cx.url(f"/settings/{booking.FORM}"),
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
        form = HoursForm.parse(await cx.form())
        if form.errors:
            return await shop_page(cx, form, 400)
        bot_id, now = cx.tenant.bot_id, cx.now_ms()
        row = await store.ensure_shop(cx.db, bot_id, cx.tenant.display_name or "", now)
        row.updated_at_ms = now
        await cx.db.execute(delete(BusinessHours).where(BusinessHours.bot_id == bot_id))
        for weekday, hours in form.hours.items():
            opens, closes = hours or ("11:00", "21:00")
            cx.db.add(BusinessHours(bot_id=bot_id, weekday=weekday, opens=opens, closes=closes, closed=hours is None))
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
        rules = await module.rules(cx.db, bot_id)
        today = rules.today(cx.now_ms()).isoformat()
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
            {
                "people": people,
                "upcoming": upcoming,
                "waiting": waiting,
                "inquiries": await open_inquiries(cx.db, bot_id),
                "inbox_url": f"/console/oas/{bot_id}/inbox",
                "manager_url": _manager_url(app, bot_id),
            },
        )

    # The hand-over buttons of earlier versions: people answer in the inbox now (お問い合わせ opens an
    # inquiry there, and closing it gives the chat back), so a bookmarked form lands on the inbox.
    @console.page("/customers/{uid}/handover", title=N_("Hand over"), nav=False, methods=("POST",))
    async def hand_over(cx: ConsoleContext, uid: str) -> Response:
        return cx.redirect(f"/console/oas/{cx.tenant.bot_id}/inbox", notice=N_("People answer customers in the inbox."))

    @console.page("/customers/{uid}/takeback", title=N_("Take back"), nav=False, methods=("POST",))
    async def take_back(cx: ConsoleContext, uid: str) -> Response:
        return cx.redirect(f"/console/oas/{cx.tenant.bot_id}/inbox", notice=N_("People answer customers in the inbox."))


def _manager_url(app: ModuleApp, bot_id: str) -> str | None:
    """The OA Manager's chat list, when LINE is the emulator (its pages are at the same origin)."""
    base = app.settings.line_base_url
    return f"{base.rstrip('/')}/_pages/manager/{bot_id}" if base else None
