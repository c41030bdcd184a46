"""Which decorated handler an event reaches."""

from __future__ import annotations

from linebot.v3.webhooks import Event

from linemod.framework.app import ModuleApp
from linemod.framework.dispatch import event_kind
from tests.framework.helpers import (
    attached_event,
    base_event,
    detached_event,
    message_event,
    postback_event,
    sticker_event,
    user_id,
)


def parsed(raw: dict) -> Event:
    return Event.from_dict(raw)


def build() -> tuple[ModuleApp, list[str]]:
    app = ModuleApp()
    names: list[str] = []

    def handler(name: str):  # type: ignore[no-untyped-def]
        async def run(ctx, event) -> None:  # type: ignore[no-untyped-def]
            names.append(name)

        run.__name__ = name
        return run

    app.on_message(text="予約")(handler("exact"))
    app.on_message(regex=r"^cancel (\d+)$")(handler("regex"))
    app.on_message(type="sticker")(handler("sticker"))
    app.on_message(type="text")(handler("any-text"))
    app.on_message(standby=True)(handler("standby-watch"))
    app.on_postback("book=")(handler("book"))
    app.on_postback()(handler("other-postback"))
    app.on_follow()(handler("follow"))
    app.on_lifecycle("attached")(handler("attached"))
    app.on_lifecycle("detached")(handler("detached"))
    app.on_lifecycle("suspended")(handler("suspended"))
    app.on_activated()(handler("activated"))
    app.on_event("unsend")(handler("unsend"))
    return app, names


def found(app: ModuleApp, raw: dict) -> str | None:
    result = app.dispatcher.find(parsed(raw))
    return result[0].handler.__name__ if result else None


def test_message_matchers_take_the_first_matching_listener() -> None:
    app, _ = build()
    assert found(app, message_event("予約")) == "exact"
    assert found(app, message_event("cancel 42")) == "regex"
    assert found(app, message_event("hello")) == "any-text"
    assert found(app, sticker_event()) == "sticker"


def test_the_regex_match_is_handed_over() -> None:
    app, _ = build()
    _listener, match = app.dispatcher.find(parsed(message_event("cancel 42")))  # type: ignore[misc]
    assert match is not None and match.group(1) == "42"


def test_standby_events_only_reach_listeners_that_opt_in() -> None:
    app, _ = build()
    assert found(app, message_event("予約", mode="standby")) == "standby-watch"
    only_active = ModuleApp()

    @only_active.on_message()
    async def echo(ctx, event) -> None:  # type: ignore[no-untyped-def]
        pass

    assert found(only_active, message_event("hi", mode="standby")) is None


def test_postbacks_by_data_prefix() -> None:
    app, _ = build()
    assert found(app, postback_event("book=1&date=2026-08-10")) == "book"
    assert found(app, postback_event("menu=2")) == "other-postback"


def test_lifecycle_and_module_events() -> None:
    app, _ = build()
    assert found(app, attached_event()) == "attached"
    assert found(app, detached_event()) == "detached"
    assert found(app, base_event("botSuspended")) == "suspended"
    assert found(app, base_event("botResumed")) is None
    activated = base_event("activated", chatControl={"expireAt": 1}, source={"type": "user", "userId": user_id()})
    assert found(app, activated) == "activated"
    assert event_kind(parsed(base_event("botResumed"))) == "lifecycle:resumed"


def test_follow_and_generic_event_types() -> None:
    app, _ = build()
    follow = base_event(
        "follow", replyToken="r", source={"type": "user", "userId": user_id()}, follow={"isUnblocked": False}
    )
    assert found(app, follow) == "follow"
    unsend = base_event("unsend", source={"type": "user", "userId": user_id()}, unsend={"messageId": "1"})
    assert found(app, unsend) == "unsend"


def test_on_lifecycle_rejects_unknown_kinds() -> None:
    import pytest

    with pytest.raises(ValueError):
        ModuleApp().on_lifecycle("paused")
