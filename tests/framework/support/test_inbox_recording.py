"""The inbox's framework side, through the real intake and worker (`linemod.testing`): while a chat has an
open inquiry its messages, postbacks and follows are recorded and reach no handler, other events reach both,
other chats are untouched; once the inquiry is closed the chat's events go to the module again. And the
pure pieces: business hours and the automatic answer, tags, the media type read from the bytes."""

from __future__ import annotations

import json
from pathlib import Path

from linebot.v3.webhooks import MessageEvent, TextMessageContent, UnfollowEvent
from sqlalchemy import select

from linemod import Context, ModuleApp, Settings
from linemod.framework.storage.models import ChatStateRow
from linemod.framework.support.business_hours import jst_ms
from linemod.framework.support.inbox import service
from linemod.framework.support.inbox.hours import InboxHours, parse_hours_form
from linemod.framework.support.inbox.media import sniff
from linemod.framework.support.inbox.records import InboxEntryRow, InboxInquiryRow
from linemod.testing import (
    BOT_ID,
    ManualClock,
    RunningApp,
    attached_event,
    message_event,
    postback_event,
    unfollow_event,
    user_id,
)


def module(tmp_path: Path, clock: ManualClock) -> tuple[ModuleApp, list[str]]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        channel_secret="secret",
        database_url=f"sqlite+aiosqlite:///{tmp_path}/module.db",
        line_base_url="http://127.0.0.1:9",  # nothing answers: these handlers do not call LINE
        worker_poll_seconds=0.05,
    )
    app = ModuleApp(settings, clock=clock)
    seen: list[str] = []

    @app.on_message(text="help")
    async def help_wanted(ctx: Context, event: MessageEvent) -> None:
        inquiry = await ctx.support.open_inquiry("Help", display_name="Hanako")
        seen.append(f"opened {inquiry.subject} {inquiry.chat_type}")

    @app.on_message
    async def talk(ctx: Context, event: MessageEvent) -> None:
        assert isinstance(event.message, TextMessageContent)
        seen.append(f"{ctx.user_id}:{event.message.text}")

    @app.on_postback
    async def tapped(ctx: Context, event: object) -> None:
        seen.append("postback")

    @app.on_unfollow
    async def blocked(ctx: Context, event: UnfollowEvent) -> None:
        seen.append(f"unfollow {ctx.user_id}")

    return app, seen


async def test_an_open_inquiry_records_its_chat_and_keeps_the_module_quiet_until_closed(tmp_path: Path) -> None:
    clock = ManualClock()
    app, seen = module(tmp_path, clock)
    hanako, taro = user_id(1), user_id(2)
    async with RunningApp(app, upgrade=True) as run:
        await run.post_webhook([attached_event(ts=clock.now_ms())])
        await run.post_webhook([message_event("help", user=hanako, ts=clock.now_ms())])
        await run.drain()
        assert seen == ["opened Help user"]
        ts = clock.now_ms()
        await run.post_webhook(
            [
                message_event("my order is late", user=hanako, ts=ts),
                postback_event("menu", user=hanako, ts=ts),
                message_event("hello", user=taro, ts=ts),
                unfollow_event(user=hanako, ts=ts),
            ]
        )
        await run.drain()
        assert seen == ["opened Help user", f"{taro}:hello", f"unfollow {hanako}"]

        db = app.runtime.db  # type: ignore[union-attr]
        async with db.session() as session:
            inquiry = await session.scalar(select(InboxInquiryRow))
            assert inquiry is not None and (inquiry.chat_id, inquiry.display_name) == (hanako, "Hanako")
            rows = await session.scalars(select(InboxEntryRow).order_by(InboxEntryRow.id))
            assert [(e.direction, e.kind, e.text) for e in rows] == [
                ("event", "opened", "Help"),
                ("in", "text", "help"),
                ("in", "text", "my order is late"),
                ("in", "postback", "menu"),
                ("in", "unfollow", ""),
            ]
        # Closed without touching the chat's state (as when the worker held it): the next event finds the
        # inquiry closed, drops the mark and goes to the module.
        async with db.transaction() as session:
            row = await service.load(session, BOT_ID, inquiry.id)
            assert service.close(session, row, None, clock.now_ms())
        await run.post_webhook([message_event("thanks", user=hanako, ts=clock.now_ms())])
        await run.drain()
        assert seen[-1] == f"{hanako}:thanks"
        async with db.session() as session:
            state = await session.get(ChatStateRow, (BOT_ID, hanako))
            assert state is not None and service.CHAT_STATE_KEY not in json.loads(state.data)
            assert await session.scalar(select(InboxEntryRow.id).where(InboxEntryRow.text == "thanks")) is None


def test_the_automatic_answer_comes_once_per_closed_spell() -> None:
    weekdays = InboxHours({d: ("09:00", "18:00") for d in range(5)}, True, True, "閉店中です")
    monday_night, tuesday_noon = jst_ms(2026, 12, 7, 20), jst_ms(2026, 12, 8, 12)
    assert weekdays.is_open(tuesday_noon) and not weekdays.is_open(monday_night)
    assert weekdays.answer_due(monday_night, None)
    assert not weekdays.answer_due(monday_night + 3_600_000, monday_night)  # the same night: once
    assert not weekdays.answer_due(tuesday_noon, monday_night)  # open now: people answer
    assert weekdays.answer_due(jst_ms(2026, 12, 8, 19), monday_night)  # a new night after an open day
    new_year = jst_ms(2027, 1, 1, 12)  # a Friday noon, and 元日: a public holiday
    assert not weekdays.is_open(new_year) and weekdays.answer_due(new_year, None)
    off = InboxHours(weekdays.hours, True, False, "閉店中です")
    assert not off.answer_due(monday_night, None)


def test_the_hours_form_refuses_what_it_cannot_use() -> None:
    hours, errors = parse_hours_form({"open_0": "9:00", "close_0": "18:00", "auto_answer": "on"})
    assert hours is None and set(errors) >= {"day_0", "auto_answer_text"}
    hours, errors = parse_hours_form({"open_0": "18:00", "close_0": "09:00"})
    assert hours is None and errors["day_0"] == "The closing time must be after the opening time."
    form = {f"closed_{d}": "on" for d in range(1, 7)} | {"open_0": "10:00", "close_0": "19:30", "holidays": "on"}
    hours, errors = parse_hours_form(form)
    assert errors == {} and hours is not None and hours.hours == {0: ("10:00", "19:30")} and hours.japanese_holidays


def test_tags_and_media_types() -> None:
    assert service.clean_tags("予約、 駐車場 , 予約,,") == ["予約", "駐車場"]
    assert len(service.clean_tags(",".join(str(n) for n in range(50)))) == service.MAX_TAGS
    assert sniff(b"\x89PNG\r\n\x1a\n....") == "image/png" and sniff(b"\xff\xd8\xff\xe0") == "image/jpeg"
    assert sniff(b"\x00\x00\x00\x18ftypmp42") == "video/mp4" and sniff(b"\x00\x00\x00\x18ftypM4A ") == "audio/mp4"
    assert sniff(b"<html><script>") is None and sniff(b"") is None
