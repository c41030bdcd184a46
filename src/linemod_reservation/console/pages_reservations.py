"""Console pages of reservations: a day, a week, a reservation taken by phone, an edit, a cancel, a CSV.

Every change and its consequences (the reminder job, the push that tells the customer) are written in the
page's own transaction (`cx.db`), so they are saved together or not at all.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from fastapi.responses import Response

from linemod import N_, ConsoleContext, parse_row_id
from linemod_reservation import customers, notices, plans, reminders, store
from linemod_reservation.console.forms import WEEKDAY_NAMES, ReservationForm
from linemod_reservation.console.views import day_view, to_csv, week_start, week_view
from linemod_reservation.languages import day_label
from linemod_reservation.models import Customer, Reservation, ReservationStatus
from linemod_reservation.slots import ShopRules

if TYPE_CHECKING:
    from linemod_reservation.app import Reservation as ReservationModule

BOOKING_ERRORS = {
    "full": N_("That time has no room for this party any more."),
    "closed": N_("The shop takes no reservations at that time."),
    "too_late": N_("That time has already passed."),
    "party_size": N_("That party is larger than a slot can seat."),
    "not_found": N_("This reservation was cancelled meanwhile."),
}


async def _reservation(cx: ConsoleContext, rid: str) -> Reservation | None:
    """The OA's reservation `rid` names; None, as for one that does not exist, when no row can have it."""
    number = parse_row_id(rid)
    return await store.get_reservation(cx.db, cx.tenant.bot_id, number) if number is not None else None


def _common(cx: ConsoleContext, rules: ShopRules, today: date) -> dict[str, Any]:
    lang = cx.lang
    return {
        "today": today,
        "day_label": lambda d: day_label(lang, d),
        "weekday_name": lambda d: WEEKDAY_NAMES[d.weekday()],
        "rules": rules,
        "errors": {},
    }


def _all_starts(rules: ShopRules) -> list[str]:
    """Every start time any weekday has: the time choices of the reservation form."""
    monday, every_day = date(2024, 1, 1), replace(rules, holidays=frozenset())
    return sorted({s for i in range(7) for s in every_day.starts(monday + timedelta(days=i))})


def register(module: ReservationModule) -> None:
    console = module.app.console

    async def context(cx: ConsoleContext) -> tuple[ShopRules, date]:
        rules = await module.rules(cx.db, cx.tenant.bot_id)
        return rules, rules.today(cx.now_ms())

    @console.page("/reservations", title=N_("Reservations"))
    async def day_page(cx: ConsoleContext) -> Response:
        rules, today = await context(cx)
        day = cx.query_day("day", today)
        view = await day_view(cx.db, rules, cx.tenant.bot_id, day)
        return cx.render(
            "reservation/day.html",
            {
                **_common(cx, rules, today),
                "view": view,
                "prev": day - timedelta(days=1),
                "next": day + timedelta(days=1),
                "monday": week_start(day),
                # this month's reservations against the plan's included ones (beyond them: ¥10 + tax each)
                "included": await cx.billing.limit(plans.INCLUDED),
            },
        )

    @console.page("/reservations/week", title=N_("Week"), nav=False)
    async def week_page(cx: ConsoleContext) -> Response:
        rules, today = await context(cx)
        first = week_start(cx.query_day("start", today))
        if not await cx.billing.allows(plans.WEEK_VIEW):
            # restricted (an invoice unpaid after dunning): the day view and bookings go on, this stops
            return cx.render("reservation/unavailable.html", {"billing_url": cx.url("/billing")}, status=402)
        view = await week_view(cx.db, rules, cx.tenant.bot_id, first)
        return cx.render(
            "reservation/week.html",
            {
                **_common(cx, rules, today),
                "view": view,
                "prev": first - timedelta(days=7),
                "next": first + timedelta(days=7),
            },
        )

    @console.page("/reservations/export.csv", title=N_("Export"), nav=False)
    async def export(cx: ConsoleContext) -> Response:
        rules, today = await context(cx)
        first = cx.query_day("from", week_start(today))
        last = cx.query_day("to", first + timedelta(days=30))
        rows = await store.between(cx.db, cx.tenant.bot_id, first.isoformat(), last.isoformat())
        name = f"reservations-{first.isoformat()}-{last.isoformat()}.csv"
        return Response(
            to_csv(rows, rules),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    async def form_page(
        cx: ConsoleContext,
        rules: ShopRules,
        today: date,
        form: ReservationForm,
        reservation: Reservation | None,
        status: int = 200,
    ) -> Response:
        people = [c for c in await customers.for_oa(cx.db, cx.tenant.bot_id) if c.friend]
        return cx.render(
            "reservation/form.html",
            {
                **_common(cx, rules, today),
                "form": form,
                "reservation": reservation,
                "customers": people,
                "starts": _all_starts(rules),
                "errors": form.errors,
                "parties": range(1, rules.capacity + 1),
            },
            status=status,
        )

    @console.page("/reservations/new", title=N_("New reservation"), nav=False, methods=("GET", "POST"))
    async def new(cx: ConsoleContext) -> Response:
        rules, today = await context(cx)
        if cx.request.method == "GET":
            day = cx.query_day("day", today).isoformat()
            start = cx.request.query_params.get("start", "")
            return await form_page(cx, rules, today, ReservationForm(day=day, start=start), None)
        form = ReservationForm.parse(await cx.form())
        user_id = form.user_id or None
        if user_id is not None and await cx.db.get(Customer, (cx.tenant.bot_id, user_id)) is None:
            form.errors["user_id"] = N_("Choose a customer from the list.")
        if form.errors:
            return await form_page(cx, rules, today, form, None, 400)
        now = cx.now_ms()
        try:
            r = await store.book(
                cx.db,
                rules,
                bot_id=cx.tenant.bot_id,
                user_id=user_id,
                name=form.name,
                party=form.party,
                day=form.day,
                start=form.start,
                note=form.note,
                now_ms=now,
                source="console",
                lead=False,
            )
        except store.BookingError as refused:
            form.errors["start"] = BOOKING_ERRORS.get(refused.reason, BOOKING_ERRORS["closed"])
            return await form_page(cx, rules, today, form, None, 409)
        await cx.meter(plans.RESERVATION_METER, key=f"reservation:{r.id}")
        await reminders.schedule(cx, rules, r, now)
        await notices.schedule(cx, r, "created")
        return cx.redirect(cx.url(f"/reservations?day={r.day}"), notice=N_("The reservation was saved."))

    @console.page("/reservations/{rid}", title=N_("Reservation"), nav=False, methods=("GET", "POST"))
    async def edit(cx: ConsoleContext, rid: str) -> Response:
        rules, today = await context(cx)
        r = await _reservation(cx, rid)
        if r is None:
            return cx.redirect(cx.url("/reservations"), notice=N_("There is no such reservation."))
        if cx.request.method == "GET":
            form = ReservationForm(
                day=r.day, start=r.start, party=r.party_size, name=r.customer_name, note=r.note, user_id=r.user_id or ""
            )
            return await form_page(cx, rules, today, form, r)
        form = ReservationForm.parse(await cx.form())
        form.user_id = r.user_id or ""  # who the reservation is for does not change
        if form.errors or r.status != ReservationStatus.CONFIRMED:
            return await form_page(cx, rules, today, form, r, 400)
        now, old_key = cx.now_ms(), reminders.job_key(r)
        try:
            await store.change(
                cx.db,
                rules,
                r,
                day=form.day,
                start=form.start,
                party=form.party,
                now_ms=now,
                name=form.name,
                note=form.note,
                lead=False,
            )
        except store.BookingError as refused:
            form.errors["start"] = BOOKING_ERRORS.get(refused.reason, BOOKING_ERRORS["closed"])
            return await form_page(cx, rules, today, form, r, 409)
        await reminders.unschedule(cx, old_key)
        await reminders.schedule(cx, rules, r, now)
        await notices.schedule(cx, r, "changed")
        return cx.redirect(cx.url(f"/reservations?day={r.day}"), notice=N_("The reservation was changed."))

    @console.page("/reservations/{rid}/cancel", title=N_("Cancel"), nav=False, methods=("POST",))
    async def cancel(cx: ConsoleContext, rid: str) -> Response:
        r = await _reservation(cx, rid)
        if r is None:
            return cx.redirect(cx.url("/reservations"), notice=N_("There is no such reservation."))
        key = reminders.job_key(r)
        if await store.cancel(cx.db, r, cx.now_ms()):
            await reminders.unschedule(cx, key)
            await notices.schedule(cx, r, "cancelled")
        return cx.redirect(cx.url(f"/reservations?day={r.day}"), notice=N_("The reservation was cancelled."))
