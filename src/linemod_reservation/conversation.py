"""The reservation conversation: date (picker), time (free slots as quick replies), party size, name, note,
a Flex card to confirm, then the booking; and listing, changing and cancelling one's reservations.

The draft lives in `ctx.state["rsv"]`, the framework's per-chat state, saved with the event: a restart in
the middle of a conversation loses nothing. Every write goes through `ctx.db`, so the booking, the saved
state and the reminder job commit together with the webhook event, or not at all. Texts are translated with
`ctx.gettext` into `ctx.lang`, the customer's language.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import date
from typing import Any

from linebot.v3.messaging import Message

from linemod import N_, Context
from linemod_reservation import messages as m
from linemod_reservation import plans, reminders, store
from linemod_reservation.languages import day_label
from linemod_reservation.models import Customer, Reservation
from linemod_reservation.slots import ShopRules

STATE_KEY = "rsv"
START_WORDS = {"予約", "予約する", "よやく", "reserve", "reservation", "book"}
LIST_WORDS = {"予約確認", "確認", "my bookings", "bookings"}
BOOKED = N_(
    "Your table is booked.\n"
    "Reservation number: %(number)s\n"
    "%(day)s %(start)s, %(party)s people\n"
    "We look forward to seeing you."
)
CHANGED = N_("Your reservation was changed.\nReservation number: %(number)s\n%(day)s %(start)s, %(party)s people")
CANCELLED = N_("Reservation %(number)s (%(day)s %(start)s) was cancelled.")
FULL = N_("Sorry, that time has just been fully booked. Please choose another time.")
TOO_LATE = N_("Sorry, bookings for that time are closed. Please choose another time.")
EXPIRED = N_("That option is no longer available. Please start again from “Reserve”.")
PAUSED = N_("Sorry, this shop is not taking reservations through LINE at the moment. Please call the shop.")
REFUSED = {"full": FULL, "too_late": TOO_LATE}
"""What a customer is told when the booking itself is refused (`store.BookingError.reason`)."""


class Turn:
    """One event of the conversation: the context (its `lang` the customer's), the customer, the shop's
    rules and the time."""

    def __init__(self, ctx: Context, customer: Customer, rules: ShopRules, now_ms: int) -> None:
        self.ctx = ctx
        self.customer = customer
        self.rules = rules
        self.now_ms = now_ms

    @property
    def draft(self) -> dict[str, Any] | None:
        value = self.ctx.state.get(STATE_KEY)
        return value if isinstance(value, dict) else None

    def set_draft(self, draft: dict[str, Any] | None) -> None:
        if draft is None:
            self.ctx.state.pop(STATE_KEY, None)
        else:
            self.ctx.state[STATE_KEY] = draft

    async def reply(self, *items: Message) -> None:
        await self.ctx.reply(list(items))

    @property
    def today(self) -> date:
        return self.rules.today(self.now_ms)

    # ---- the steps --------------------------------------------------------------------------------------

    async def start(self, change: Reservation | None = None, prefix: str | None = None) -> None:
        draft: dict[str, Any] = {"step": "date"}
        if change is not None:
            draft.update(change=change.id, name=change.customer_name, note=change.note)
        self.set_draft(draft)
        await self.reply(m.ask_date(self.ctx, self.today, self.rules.last_day(self.now_ms), prefix))

    async def pick_date(self, value: str | None) -> None:
        draft = self.draft
        if draft is None or not value:
            return await self.expired()
        day = date.fromisoformat(value[:10])
        last = self.rules.last_day(self.now_ms)
        if day < self.today or day > last:
            prefix = self.ctx.gettext(
                "That date cannot be booked (from today up to %(days)s days ahead).", days=self.rules.days_ahead
            )
            return await self.reply(m.ask_date(self.ctx, self.today, last, prefix))
        if not self.rules.is_open(day):
            prefix = self.ctx.gettext(
                "We are closed on %(day)s. Please choose another date.", day=day_label(self.ctx.lang, day)
            )
            return await self.reply(m.ask_date(self.ctx, self.today, last, prefix))
        free = await store.free_seats(self.ctx.db, self.rules, self.ctx.bot_id, day, self.now_ms)
        if not any(seats > 0 for seats in free.values()):
            prefix = self.ctx.gettext(
                "Sorry, %(day)s is fully booked. Please choose another date.", day=day_label(self.ctx.lang, day)
            )
            return await self.reply(m.ask_date(self.ctx, self.today, last, prefix))
        draft.update(step="time", day=day.isoformat())
        self.set_draft(draft)
        await self.reply(m.ask_time(self.ctx, day.isoformat(), free))

    async def more_times(self, day: str, offset: int) -> None:
        draft = self.draft
        if draft is None or draft.get("day") != day:
            return await self.expired()
        free = await store.free_seats(self.ctx.db, self.rules, self.ctx.bot_id, date.fromisoformat(day), self.now_ms)
        await self.reply(m.ask_time(self.ctx, day, free, offset=offset))

    async def pick_time(self, day: str, start: str, prefix: str | None = None) -> None:
        draft = self.draft
        if draft is None or draft.get("day") != day:
            return await self.expired()
        free = await store.free_seats(self.ctx.db, self.rules, self.ctx.bot_id, date.fromisoformat(day), self.now_ms)
        if free.get(start, 0) < 1:
            return await self.reply(m.ask_time(self.ctx, day, free, self.ctx.gettext(FULL)))
        draft.update(step="party", start=start)
        self.set_draft(draft)
        most = min(self.rules.max_party, free[start])
        await self.reply(m.ask_party(self.ctx, day, start, most))

    async def pick_party(self, party: int) -> None:
        draft = self.draft
        if draft is None or draft.get("step") not in ("party", "name", "note", "confirm") or "start" not in draft:
            return await self.expired()
        draft["party"] = party
        if draft.get("change") is not None:  # a change keeps the name and the note
            return await self.confirm_step(draft)
        draft["step"] = "name"
        self.set_draft(draft)
        await self.reply(m.ask_name(self.ctx, self.customer.display_name or None))

    async def give_name(self, name: str) -> None:
        draft = self.draft
        if draft is None or draft.get("step") != "name":
            return await self.expired()
        draft.update(step="note", name=name.strip()[:100])
        self.set_draft(draft)
        await self.reply(m.ask_note(self.ctx))

    async def give_note(self, note: str) -> None:
        draft = self.draft
        if draft is None or draft.get("step") != "note":
            return await self.expired()
        draft["note"] = note.strip()[:500]
        await self.confirm_step(draft)

    async def confirm_step(self, draft: dict[str, Any]) -> None:
        draft["step"] = "confirm"
        self.set_draft(draft)
        await self.reply(m.confirm_card(self.ctx, draft))

    async def confirm(self) -> None:
        draft = self.draft
        if draft is None or draft.get("step") != "confirm":
            return await self.expired()
        ctx, rules = self.ctx, self.rules
        try:
            if draft.get("change") is not None:
                reservation = await store.get_reservation(ctx.db, ctx.bot_id, int(draft["change"]))
                if reservation is None or reservation.user_id != self.customer.user_id:
                    return await self.expired()
                old_key = reminders.job_key(reservation)
                await store.change(
                    ctx.db,
                    rules,
                    reservation,
                    day=draft["day"],
                    start=draft["start"],
                    party=int(draft["party"]),
                    now_ms=self.now_ms,
                )
                await reminders.unschedule(ctx, old_key)
                done = CHANGED
            else:
                if not await ctx.billing.allows(plans.BOOKINGS):  # the subscription is paused or has ended
                    self.set_draft(None)
                    return await self.reply(m.text(ctx.gettext(PAUSED), m.menu_actions(ctx)))
                reservation = await store.book(
                    ctx.db,
                    rules,
                    bot_id=ctx.bot_id,
                    user_id=self.customer.user_id,
                    name=draft.get("name", ""),
                    party=int(draft["party"]),
                    day=draft["day"],
                    start=draft["start"],
                    note=draft.get("note", ""),
                    now_ms=self.now_ms,
                )
                # one count per reservation, keyed by it: a re-run of this event meters it once
                await ctx.meter(plans.RESERVATION_METER, key=f"reservation:{reservation.id}")
                done = BOOKED
        except store.BookingError as failure:
            return await self.booking_failed(draft, failure.reason)
        await reminders.schedule(ctx, rules, reservation, self.now_ms)
        self.set_draft(None)
        await self.reply(m.summary(self.ctx, done, reservation))

    async def booking_failed(self, draft: dict[str, Any], reason: str) -> None:
        """Someone else took the last seats (or the slot closed) while this customer was typing."""
        if reason not in ("full", "too_late"):
            return await self.start(prefix=self.ctx.gettext(EXPIRED))
        day = date.fromisoformat(draft["day"])
        free = await store.free_seats(self.ctx.db, self.rules, self.ctx.bot_id, day, self.now_ms)
        draft["step"] = "time"
        draft.pop("start", None)
        self.set_draft(draft)
        if not any(seats > 0 for seats in free.values()):
            last = self.rules.last_day(self.now_ms)
            return await self.reply(m.ask_date(self.ctx, self.today, last, self.ctx.gettext(REFUSED[reason])))
        await self.reply(m.ask_time(self.ctx, draft["day"], free, self.ctx.gettext(REFUSED[reason])))

    async def abort(self) -> None:
        self.set_draft(None)
        await self.reply(m.text(self.ctx.gettext("The reservation was not made."), m.menu_actions(self.ctx)))

    async def expired(self) -> None:
        await self.reply(m.text(self.ctx.gettext(EXPIRED), m.menu_actions(self.ctx)))

    # ---- the customer's reservations ------------------------------------------------------------------

    async def list(self) -> None:
        rows = await store.upcoming_for_user(
            self.ctx.db, self.ctx.bot_id, self.customer.user_id, self.today.isoformat()
        )
        await self.reply(m.reservation_list(self.ctx, rows))

    async def _own(self, reservation_id: str) -> Reservation | None:
        if not reservation_id.isdigit():
            return None
        found = await store.get_reservation(self.ctx.db, self.ctx.bot_id, int(reservation_id))
        if found is None or found.user_id != self.customer.user_id or found.status != "confirmed":
            return None
        return found

    async def change(self, reservation_id: str) -> None:
        found = await self._own(reservation_id)
        await (self.start(change=found) if found else self.expired())

    async def ask_cancel(self, reservation_id: str) -> None:
        found = await self._own(reservation_id)
        await (self.reply(m.ask_cancel(self.ctx, found)) if found else self.expired())

    async def cancel(self, reservation_id: str) -> None:
        found = await self._own(reservation_id)
        if found is None:
            return await self.expired()
        key = reminders.job_key(found)
        if await store.cancel(self.ctx.db, found, self.now_ms):
            await reminders.unschedule(self.ctx, key)
        draft = self.draft
        if draft is not None and str(draft.get("change")) == reservation_id:
            self.set_draft(None)
        await self.reply(m.summary(self.ctx, CANCELLED, found))

    # ---- routing --------------------------------------------------------------------------------------

    async def postback(self, data: str, params: Mapping[str, str] | None) -> bool:
        """Handle `rsv:` postback data; False if it is not the conversation's (the caller handles it)."""
        _, what, arg = [*data.split(":", 2), "", ""][:3]
        routes: dict[str, Callable[[], Awaitable[None]]] = {
            "start": lambda: self.start(),
            "date": lambda: self.pick_date((params or {}).get("date") or arg or None),
            "time": lambda: self.pick_time(*arg.split(":", 1)) if arg.count(":") >= 1 else self.expired(),
            "times": lambda: self._more(arg),
            "party": lambda: self.pick_party(int(arg)) if arg.isdigit() and int(arg) > 0 else self.expired(),
            "name": lambda: self.give_name(self.customer.display_name or "-"),
            "note": lambda: self.give_note(""),
            "confirm": lambda: self.confirm(),
            "abort": lambda: self.abort(),
            "list": lambda: self.list(),
            "change": lambda: self.change(arg),
            "cancel": lambda: self.ask_cancel(arg),
            "cancel-yes": lambda: self.cancel(arg),
            "cancel-no": lambda: self.reply(m.text(self.ctx.gettext("Your reservation is unchanged."))),
        }
        route = routes.get(what)
        if route is None:
            return False
        await route()
        return True

    def _more(self, arg: str) -> Awaitable[None]:
        day, _, offset = arg.partition(":")
        return self.more_times(day, int(offset)) if offset.isdigit() else self.expired()

    async def text(self, body: str) -> None:
        """A typed message: the name or the note when the draft waits for one, else a keyword or help."""
        draft = self.draft
        step = draft.get("step") if draft else None
        if step == "name":
            return await self.give_name(body)
        if step == "note":
            return await self.give_note(body)
        word = body.strip().lower()
        if word in START_WORDS:
            return await self.start()
        if word in LIST_WORDS:
            return await self.list()
        await self.reply(m.text(self.ctx.gettext("How can we help you?"), m.menu_actions(self.ctx)))
