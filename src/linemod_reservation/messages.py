"""The LINE messages of the conversation, built as the SDK's models (validated before they are sent).

Postback data is `rsv:<what>[:<argument>]`; every button carries what it needs, so a tap on an old message
is recognised (and refused politely) instead of being applied to whatever the chat is doing now.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from linebot.v3.messaging import (
    DatetimePickerAction,
    FlexMessage,
    Message,
    PostbackAction,
    QuickReply,
    QuickReplyItem,
    TextMessage,
)

from linemod_reservation.i18n import day_label, t
from linemod_reservation.models import Reservation

QUICK_REPLY_MAX = 13


def postback(label: str, data: str, display: str | None = None) -> PostbackAction:
    return PostbackAction(label=label[:20], data=data, displayText=display or label)


def text(body: str, actions: Sequence[Any] = ()) -> TextMessage:
    """A text message, with quick replies when `actions` are given (LINE shows at most 13)."""
    if not actions:
        return TextMessage(text=body)
    items = [QuickReplyItem(action=a) for a in list(actions)[:QUICK_REPLY_MAX]]
    return TextMessage(text=body, quickReply=QuickReply(items=items))


def menu_actions(lang: str) -> list[PostbackAction]:
    return [
        postback(t(lang, "menu.reserve"), "rsv:start"),
        postback(t(lang, "menu.list"), "rsv:list"),
        postback(t(lang, "menu.contact"), "rsv:contact"),
    ]


def date_picker(lang: str, today: date, last: date) -> DatetimePickerAction:
    return DatetimePickerAction(
        label=t(lang, "ask.date.button"),
        data="rsv:date",
        mode="date",
        initial=today.isoformat(),
        min=today.isoformat(),
        max=last.isoformat(),
    )


def ask_date(lang: str, today: date, last: date, prefix: str | None = None) -> TextMessage:
    body = f"{prefix}\n{t(lang, 'ask.date')}" if prefix else t(lang, "ask.date")
    return text(body, [date_picker(lang, today, last), postback(t(lang, "button.abort"), "rsv:abort")])


def ask_time(lang: str, day: str, free: dict[str, int], prefix: str | None = None, offset: int = 0) -> TextMessage:
    """Quick replies for the free slots of `day` (full slots are left out). LINE shows 13 quick replies: past
    11 slots a "later" button pages on, and the last one always goes back to the date picker."""
    open_slots = [(start, seats) for start, seats in free.items() if seats > 0]
    page = open_slots[offset : offset + 11]
    actions: list[Any] = [
        postback(t(lang, "slot.label", start=start, free=seats), f"rsv:time:{day}:{start}", start)
        for start, seats in page
    ]
    if offset + 11 < len(open_slots):
        actions.append(postback(t(lang, "slot.later"), f"rsv:times:{day}:{offset + 11}"))
    elif offset:
        actions.append(postback(t(lang, "slot.earlier"), f"rsv:times:{day}:0"))
    actions.append(postback(t(lang, "ask.date.button"), "rsv:start"))
    body = t(lang, "ask.time", day=day_label(lang, day))
    return text(f"{prefix}\n{body}" if prefix else body, actions)


def ask_party(lang: str, day: str, start: str, most: int) -> TextMessage:
    actions = [postback(t(lang, "party.label", n=n), f"rsv:party:{n}") for n in range(1, min(most, 12) + 1)]
    return text(t(lang, "ask.party", day=day_label(lang, day), start=start), actions)


def ask_name(lang: str, display_name: str | None) -> TextMessage:
    actions = [postback(display_name, "rsv:name:profile", display_name)] if display_name else []
    return text(t(lang, "ask.name"), actions)


def ask_note(lang: str) -> TextMessage:
    return text(t(lang, "ask.note"), [postback(t(lang, "note.none"), "rsv:note:none")])


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


def confirm_card(lang: str, draft: dict[str, Any]) -> FlexMessage:
    """The Flex card a customer confirms a reservation (or a change) with."""
    changing = draft.get("change") is not None
    rows = [
        _row(t(lang, "field.date"), day_label(lang, draft["day"])),
        _row(t(lang, "field.time"), draft["start"]),
        _row(t(lang, "field.party"), t(lang, "party.label", n=draft["party"])),
        _row(t(lang, "field.name"), draft.get("name", "")),
        _row(t(lang, "field.note"), draft.get("note", "")),
    ]
    buttons = [
        _button(t(lang, "button.confirm_change" if changing else "button.confirm"), "rsv:confirm", "primary"),
        _button(t(lang, "button.restart"), "rsv:start", "secondary"),
        _button(t(lang, "button.abort"), "rsv:abort", "link"),
    ]
    title = t(lang, "confirm.change_title" if changing else "confirm.title")
    alt = t(lang, "confirm.alt", day=day_label(lang, draft["day"]), start=draft["start"], party=draft["party"])
    return FlexMessage.from_dict({"type": "flex", "altText": alt, "contents": _bubble(title, rows, buttons)})


def reservation_list(lang: str, reservations: Sequence[Reservation]) -> Message:
    """The customer's upcoming reservations, one bubble each, with change and cancel buttons."""
    if not reservations:
        return text(t(lang, "list.empty"), menu_actions(lang)[:1])
    bubbles = []
    for r in list(reservations)[:10]:
        rows = [
            _row(t(lang, "field.date"), day_label(lang, r.day)),
            _row(t(lang, "field.time"), r.start),
            _row(t(lang, "field.party"), t(lang, "party.label", n=r.party_size)),
            _row(t(lang, "field.name"), r.customer_name),
        ]
        buttons = [
            _button(t(lang, "button.change"), f"rsv:change:{r.id}", "secondary"),
            _button(t(lang, "button.cancel"), f"rsv:cancel:{r.id}", "link"),
        ]
        bubbles.append(_bubble(f"{t(lang, 'field.number')} {r.number}", rows, buttons))
    contents: dict[str, Any] = bubbles[0] if len(bubbles) == 1 else {"type": "carousel", "contents": bubbles}
    alt = t(lang, "list.alt", count=len(reservations))
    return FlexMessage.from_dict({"type": "flex", "altText": alt, "contents": contents})


def ask_cancel(lang: str, r: Reservation) -> TextMessage:
    body = t(lang, "cancel.ask", number=r.number, day=day_label(lang, r.day), start=r.start, party=r.party_size)
    return text(
        body,
        [
            postback(t(lang, "cancel.yes"), f"rsv:cancel-yes:{r.id}"),
            postback(t(lang, "cancel.no"), f"rsv:cancel-no:{r.id}"),
        ],
    )


def summary(lang: str, key: str, r: Reservation, **extra: Any) -> TextMessage:
    """A message about one reservation: booked, changed, cancelled, reminder, shop notices."""
    values = {
        "number": r.number,
        "day": day_label(lang, r.day),
        "start": r.start,
        "party": r.party_size,
        "name": r.customer_name,
        **extra,
    }
    return TextMessage(text=t(lang, key, **values))
