"""The LINE messages of the conversation, built as the SDK's models (validated before they are sent).

Postback data is `rsv:<what>[:<argument>]`; every button carries what it needs, so a tap on an old message
is recognised (and refused politely) instead of being applied to whatever the chat is doing now.

Every builder takes the unit of work it answers in (`ctx` in a handler, `jctx` in a job): its `gettext`
translates the English message IDs into its `lang`, which the caller set from the customer's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from linebot.v3.messaging import (
    Action,
    DatetimePickerAction,
    FlexMessage,
    Message,
    PostbackAction,
    QuickReply,
    QuickReplyItem,
    TextMessage,
)

from linemod import Work
from linemod_reservation.languages import day_label
from linemod_reservation.models import Reservation
from linemod_reservation.richmenu import BUTTONS

QUICK_REPLY_MAX = 13


def postback(label: str, data: str, display: str | None = None) -> PostbackAction:
    return PostbackAction(label=label[:20], data=data, displayText=display or label)


def text(body: str, actions: Sequence[Action] = ()) -> TextMessage:
    """A text message, with quick replies when `actions` are given (LINE shows at most 13)."""
    if not actions:
        return TextMessage(text=body)
    items = [QuickReplyItem(action=a) for a in list(actions)[:QUICK_REPLY_MAX]]
    return TextMessage(text=body, quickReply=QuickReply(items=items))


def menu_actions(w: Work) -> list[PostbackAction]:
    """The rich menu's three buttons, as quick replies."""
    return [postback(w.gettext(button.label), button.data) for button in BUTTONS]


def date_picker(w: Work, today: date, last: date) -> DatetimePickerAction:
    return DatetimePickerAction(
        label=w.gettext("Choose a date"),
        data="rsv:date",
        mode="date",
        initial=today.isoformat(),
        min=today.isoformat(),
        max=last.isoformat(),
    )


def ask_date(w: Work, today: date, last: date, prefix: str | None = None) -> TextMessage:
    ask = w.gettext("Please choose a date.")
    body = f"{prefix}\n{ask}" if prefix else ask
    return text(body, [date_picker(w, today, last), postback(w.gettext("Stop"), "rsv:abort")])


def ask_time(w: Work, day: str, free: dict[str, int], prefix: str | None = None, offset: int = 0) -> TextMessage:
    """Quick replies for the free slots of `day` (full slots are left out). LINE shows 13 quick replies: past
    11 slots a "later" button pages on, and the last one always goes back to the date picker."""
    open_slots = [(start, seats) for start, seats in free.items() if seats > 0]
    page = open_slots[offset : offset + 11]
    actions: list[Action] = [
        postback(w.gettext("%(start)s (%(free)s left)", start=start, free=seats), f"rsv:time:{day}:{start}", start)
        for start, seats in page
    ]
    if offset + 11 < len(open_slots):
        actions.append(postback(w.gettext("Later times"), f"rsv:times:{day}:{offset + 11}"))
    elif offset:
        actions.append(postback(w.gettext("Earlier times"), f"rsv:times:{day}:0"))
    actions.append(postback(w.gettext("Choose a date"), "rsv:start"))
    body = w.gettext("Free times on %(day)s. Please choose one.", day=day_label(w.lang, day))
    return text(f"{prefix}\n{body}" if prefix else body, actions)


def party_label(w: Work, n: int) -> str:
    # TRANSLATORS: a number of people ("2" in English, "2名" in Japanese).
    return w.gettext("%(n)s", n=n)


def ask_party(w: Work, day: str, start: str, most: int) -> TextMessage:
    actions = [postback(party_label(w, n), f"rsv:party:{n}") for n in range(1, min(most, 12) + 1)]
    return text(w.gettext("%(day)s at %(start)s. How many people?", day=day_label(w.lang, day), start=start), actions)


def ask_name(w: Work, display_name: str | None) -> TextMessage:
    actions = [postback(display_name, "rsv:name:profile", display_name)] if display_name else []
    return text(w.gettext("Please type the name for the reservation."), actions)


def ask_note(w: Work) -> TextMessage:
    return text(
        w.gettext("Any requests (allergies, a celebration, ...)? Type them, or tap “None”."),
        [postback(w.gettext("None"), "rsv:note:none")],
    )


def _row(label: str, value: str) -> dict[str, Any]:
    return {
        "type": "box",
        "layout": "baseline",
        "spacing": "md",
        "contents": [
            {"type": "text", "text": label, "size": "sm", "color": "#8C8C8C", "flex": 2},
            {"type": "text", "text": value or "-", "size": "sm", "color": "#111111", "flex": 5, "wrap": True},
        ],
    }


def _button(label: str, data: str, style: str, display: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "style": style,
        "height": "sm",
        "action": {"type": "postback", "label": label[:20], "data": data, "displayText": display or label},
    }
    if style == "primary":
        button["color"] = "#06C755"
    return button


def _bubble(title: str, rows: list[dict[str, Any]], buttons: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "bubble",
        "header": {
            "type": "box",
            "layout": "vertical",
            "backgroundColor": "#06C755",
            "contents": [{"type": "text", "text": title, "weight": "bold", "color": "#FFFFFF", "size": "md"}],
        },
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": rows},
        "footer": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": buttons},
    }


def confirm_card(w: Work, draft: dict[str, Any]) -> FlexMessage:
    """The Flex card a customer confirms a reservation (or a change) with."""
    changing = draft.get("change") is not None
    rows = [
        _row(w.gettext("Date"), day_label(w.lang, draft["day"])),
        _row(w.gettext("Time"), draft["start"]),
        _row(w.gettext("People"), party_label(w, draft["party"])),
        _row(w.gettext("Name"), draft.get("name", "")),
        _row(w.gettext("Requests"), draft.get("note", "")),
    ]
    buttons = [
        _button(w.gettext("Change it") if changing else w.gettext("Book it"), "rsv:confirm", "primary"),
        _button(w.gettext("Start over"), "rsv:start", "secondary"),
        _button(w.gettext("Stop"), "rsv:abort", "link"),
    ]
    title = w.gettext("Please confirm the change") if changing else w.gettext("Please confirm")
    alt = w.gettext(
        "Please confirm: %(day)s %(start)s, %(party)s people",
        day=day_label(w.lang, draft["day"]),
        start=draft["start"],
        party=draft["party"],
    )
    return FlexMessage.from_dict({"type": "flex", "altText": alt, "contents": _bubble(title, rows, buttons)})


def reservation_list(w: Work, reservations: Sequence[Reservation]) -> Message:
    """The customer's upcoming reservations, one bubble each, with change and cancel buttons."""
    if not reservations:
        return text(w.gettext("You have no reservations."), menu_actions(w)[:1])
    bubbles = []
    for r in list(reservations)[:10]:
        rows = [
            _row(w.gettext("Date"), day_label(w.lang, r.day)),
            _row(w.gettext("Time"), r.start),
            _row(w.gettext("People"), party_label(w, r.party_size)),
            _row(w.gettext("Name"), r.customer_name),
        ]
        buttons = [
            _button(w.gettext("Change"), f"rsv:change:{r.id}", "secondary"),
            _button(w.gettext("Cancel it"), f"rsv:cancel:{r.id}", "link"),
        ]
        bubbles.append(_bubble(f"{w.gettext('Number')} {r.number}", rows, buttons))
    contents: dict[str, Any] = bubbles[0] if len(bubbles) == 1 else {"type": "carousel", "contents": bubbles}
    alt = w.gettext("Your reservations (%(count)s)", count=len(reservations))
    return FlexMessage.from_dict({"type": "flex", "altText": alt, "contents": contents})


def ask_cancel(w: Work, r: Reservation) -> TextMessage:
    body = w.gettext(
        "Cancel reservation %(number)s (%(day)s %(start)s, %(party)s people)?",
        number=r.number,
        day=day_label(w.lang, r.day),
        start=r.start,
        party=r.party_size,
    )
    return text(
        body,
        [
            postback(w.gettext("Cancel it"), f"rsv:cancel-yes:{r.id}"),
            postback(w.gettext("Keep it"), f"rsv:cancel-no:{r.id}"),
        ],
    )


def summary(w: Work, message: str, r: Reservation, **extra: Any) -> TextMessage:
    """A message about one reservation (booked, changed, cancelled, reminder, shop notices): `message` is
    its message ID, with any of the placeholders `%(number)s`, `%(day)s`, `%(start)s`, `%(party)s`,
    `%(name)s` and those of `extra`."""
    values = {
        "number": r.number,
        "day": day_label(w.lang, r.day),
        "start": r.start,
        "party": r.party_size,
        "name": r.customer_name,
        **extra,
    }
    return TextMessage(text=w.gettext(message, **values))
