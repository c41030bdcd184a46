"""The reservation conversation: date (picker), time (free slots as quick replies), party size, name, note,
a Flex card to confirm, then the booking; and listing, changing and cancelling one's reservations.

The draft lives in `ctx.state["rsv"]`, the framework's per-chat state, saved with the event: a restart in
the middle of a conversation loses nothing. Every write goes through `ctx.db`, so the booking, the saved
state and the reminder job commit together with the webhook event, or not at all.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from linebot.v3.messaging import Message

from linemod_reservation import messages as m
from linemod_reservation import reminders, store
from linemod_reservation.i18n import day_label, t
from linemod_reservation.models import Customer, Reservation
from linemod_reservation.slots import ShopRules

STATE_KEY = "rsv"
START_WORDS = {"予約", "予約する", "よやく", "reserve", "reservation", "book"}
LIST_WORDS = {"予約確認", "確認", "my bookings", "bookings"}


class Turn:
    """One event of the conversation: the context, the customer, the shop's rules and the time."""

    def __init__(self, ctx: Any, customer: Customer, rules: ShopRules, now_ms: int) -> None:
        self.ctx = ctx
        self.customer = customer
        self.rules = rules
        self.now_ms = now_ms
        self.lang = customer.language

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
        await self.reply(m.ask_date(self.lang, self.today, self.rules.last_day(self.now_ms), prefix))

    async def pick_date(self, value: str | None) -> None:
        draft = self.draft
        if draft is None or not value:
            return await self.expired()
        day = date.fromisoformat(value[:10])
        last = self.rules.last_day(self.now_ms)
        if day < self.today or day > last:
            prefix = t(self.lang, "out_of_range", days=self.rules.days_ahead)
            return await self.reply(m.ask_date(self.lang, self.today, last, prefix))
        if not self.rules.is_open(day):
            prefix = t(self.lang, "closed_day", day=day_label(self.lang, day))
            return await self.reply(m.ask_date(self.lang, self.today, last, prefix))
        free = await store.free_seats(self.ctx.db, self.rules, self.ctx.bot_id, day, self.now_ms)
        if not any(seats > 0 for seats in free.values()):
            prefix = t(self.lang, "no_slots", day=day_label(self.lang, day))
            return await self.reply(m.ask_date(self.lang, self.today, last, prefix))
        draft.update(step="time", day=day.isoformat())
        self.set_draft(draft)
        await self.reply(m.ask_time(self.lang, day.isoformat(), free))

    async def more_times(self, day: str, offset: int) -> None:
        draft = self.draft
        if draft is None or draft.get("day") != day:
            return await self.expired()
        free = await store.free_seats(self.ctx.db, self.rules, self.ctx.bot_id, date.fromisoformat(day), self.now_ms)
        await self.reply(m.ask_time(self.lang, day, free, offset=offset))

    async def pick_time(self, day: str, start: str, prefix: str | None = None) -> None:
        draft = self.draft
        if draft is None or draft.get("day") != day:
            return await self.expired()
        free = await store.free_seats(self.ctx.db, self.rules, self.ctx.bot_id, date.fromisoformat(day), self.now_ms)
        if free.get(start, 0) < 1:
            return await self.reply(m.ask_time(self.lang, day, free, t(self.lang, "full")))
        draft.update(step="party", start=start)
        self.set_draft(draft)
        most = min(self.rules.max_party, free[start])
        await self.reply(m.ask_party(self.lang, day, start, most))

    async def pick_party(self, party: int) -> None:
        draft = self.draft
        if draft is None or draft.get("step") not in ("party", "name", "note", "confirm") or "start" not in draft:
            return await self.expired()
        draft["party"] = party
        if draft.get("change") is not None:  # a change keeps the name and the note
            return await self.confirm_step(draft)
        draft["step"] = "name"
        self.set_draft(draft)
        await self.reply(m.ask_name(self.lang, self.customer.display_name or None))

    async def give_name(self, name: str) -> None:
        draft = self.draft
        if draft is None or draft.get("step") != "name":
            return await self.expired()
        draft.update(step="note", name=name.strip()[:100])
        self.set_draft(draft)
        await self.reply(m.ask_note(self.lang))

    async def give_note(self, note: str) -> None:
        draft = self.draft
        if draft is None or draft.get("step") != "note":
            return await self.expired()
        draft["note"] = note.strip()[:500]
        await self.confirm_step(draft)

    async def confirm_step(self, draft: dict[str, Any]) -> None:
        draft["step"] = "confirm"
        self.set_draft(draft)
        await self.reply(m.confirm_card(self.lang, draft))

    async def confirm(self) -> None:
        draft = self.draft
        if draft is None or draft.get("step") != "confirm":
            return await self.expired()
        ctx, rules = self.ctx, self.rules
        try:
            if draft.get("change") is not None:
                reservation = await store.get_reservation(ctx.db, ctx.bot_id, int(draft["change"]))
                if reservation is None or reservation.user_id != ctx.user_id:
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
                key = "changed"
            else:
                reservation = await store.book(
                    ctx.db,
                    rules,
                    bot_id=ctx.bot_id,
                    user_id=ctx.user_id,
                    name=draft.get("name", ""),
                    party=int(draft["party"]),
                    day=draft["day"],
                    start=draft["start"],
                    note=draft.get("note", ""),
                    now_ms=self.now_ms,
                )
                key = "booked"
        except store.BookingError as failure:
            return await self.booking_failed(draft, failure.reason)
        await reminders.schedule(ctx, rules, reservation, self.now_ms)
        self.set_draft(None)
        await self.reply(m.summary(self.lang, key, reservation))

    async def booking_failed(self, draft: dict[str, Any], reason: str) -> None:
        """Someone else took the last seats (or the slot closed) while this customer was typing."""
        if reason not in ("full", "too_late"):
            return await self.start(prefix=t(self.lang, "expired"))
        day = date.fromisoformat(draft["day"])
        free = await store.free_seats(self.ctx.db, self.rules, self.ctx.bot_id, day, self.now_ms)
        draft["step"] = "time"
        draft.pop("start", None)
        self.set_draft(draft)
        if not any(seats > 0 for seats in free.values()):
            last = self.rules.last_day(self.now_ms)
            return await self.reply(m.ask_date(self.lang, self.today, last, t(self.lang, reason)))
        await self.reply(m.ask_time(self.lang, draft["day"], free, t(self.lang, reason)))

    async def abort(self) -> None:
        self.set_draft(None)
        await self.reply(m.text(t(self.lang, "aborted"), m.menu_actions(self.lang)))

    async def expired(self) -> None:
        await self.reply(m.text(t(self.lang, "expired"), m.menu_actions(self.lang)))

    # ---- the customer's reservations ------------------------------------------------------------------

    async def list(self) -> None:
        rows = await store.upcoming_for_user(self.ctx.db, self.ctx.bot_id, self.ctx.user_id, self.today.isoformat())
        await self.reply(m.reservation_list(self.lang, rows))

    async def _own(self, reservation_id: str) -> Reservation | None:
        if not reservation_id.isdigit():
            return None
        found = await store.get_reservation(self.ctx.db, self.ctx.bot_id, int(reservation_id))
        if found is None or found.user_id != self.ctx.user_id or found.status != "confirmed":
            return None
        return found

    async def change(self, reservation_id: str) -> None:
        found = await self._own(reservation_id)
        await (self.start(change=found) if found else self.expired())

    async def ask_cancel(self, reservation_id: str) -> None:
        found = await self._own(reservation_id)
        await (self.reply(m.ask_cancel(self.lang, found)) if found else self.expired())

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
        await self.reply(m.summary(self.lang, "cancelled", found))

    # ---- routing --------------------------------------------------------------------------------------

    async def postback(self, data: str, params: dict[str, Any] | None) -> bool:
        """Handle `rsv:` postback data; False if it is not the conversation's (the caller handles it)."""
        _, what, arg = [*data.split(":", 2), "", ""][:3]
        routes = {
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
            "cancel-no": lambda: self.reply(m.text(t(self.lang, "cancel.kept"))),
        }
        route = routes.get(what)
        if route is None:
            return False
        await route()
        return True

    def _more(self, arg: str) -> Any:
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
        await self.reply(m.text(t(self.lang, "help"), m.menu_actions(self.lang)))
