"""Durable webhook intake: signature on the raw body, events stored (deduplicated) before the 200."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from linemod.framework.app import ModuleApp
from linemod.framework.queue.intake import compute_signature, signature_is_valid
from linemod.framework.storage.models import EventRow
from tests.framework.helpers import (
    BOT,
    OTHER_BOT,
    Running,
    attached_event,
    make_settings,
    message_event,
    signed,
    webhook_body,
)


async def stored(db) -> list[EventRow]:  # type: ignore[no-untyped-def]
    async with db.session() as session:
        return list(await session.scalars(select(EventRow).order_by(EventRow.id)))


def test_signature_matches_the_documented_test_vector() -> None:
    body = b'{"destination":"U8e742f61d673b39c7fff3cecb7536ef0","events":[]}'
    assert compute_signature("8c570fa6dd201bb328f1c1eac23a96d8", body) == "GhRKmvmHys4Pi8DxkF4+EayaH0OqtJtaZxgTD9fMDLs="
    assert signature_is_valid("8c570fa6dd201bb328f1c1eac23a96d8", body, "GhRKmvmHys4Pi8DxkF4+EayaH0OqtJtaZxgTD9fMDLs=")
    assert not signature_is_valid(
        "8c570fa6dd201bb328f1c1eac23a96d8", body + b" ", "GhRKmvmHys4Pi8DxkF4+EayaH0OqtJtaZxgTD9fMDLs="
    )


def app_for(db) -> ModuleApp:  # type: ignore[no-untyped-def]
    return ModuleApp(make_settings(), database=db)


async def test_valid_webhook_is_stored_before_200(db) -> None:  # type: ignore[no-untyped-def]
    async with Running(app_for(db), workers=False) as run:
        events = [attached_event(), message_event("hi")]
        response = await run.post_webhook(events)
        assert response.status_code == 200
        rows = await stored(db)
        assert [r.webhook_event_id for r in rows] == [e["webhookEventId"] for e in events]
        assert rows[1].chat_key == f"{BOT}:{events[1]['source']['userId']}"
        assert rows[0].chat_key == f"{BOT}:-"
        assert {r.status for r in rows} == {"pending"}


async def test_bad_signature_is_401_and_nothing_is_stored(db) -> None:  # type: ignore[no-untyped-def]
    async with Running(app_for(db), workers=False) as run:
        body = webhook_body([attached_event()])
        wrong = await run.http.post("/webhook", content=body, headers=signed(body, secret="0" * 32))
        missing = await run.http.post("/webhook", content=body, headers={"content-type": "application/json"})
        tampered = await run.http.post("/webhook", content=body + b" ", headers=signed(body))
        assert (wrong.status_code, missing.status_code, tampered.status_code) == (401, 401, 401)
        assert "message" in wrong.json()
        assert await stored(db) == []


async def test_malformed_json_is_400_with_a_message(db) -> None:  # type: ignore[no-untyped-def]
    async with Running(app_for(db), workers=False) as run:
        body = b'{"destination": "U' + b"1" * 32 + b'", "events": [}'
        response = await run.http.post("/webhook", content=body, headers=signed(body))
        assert response.status_code == 400
        assert "JSON" in response.json()["message"]
        no_id = webhook_body([{"type": "message", "timestamp": 1}])
        response = await run.http.post("/webhook", content=no_id, headers=signed(no_id))
        assert response.status_code == 400
        assert "webhookEventId" in response.json()["message"]
        assert await stored(db) == []


async def test_unknown_destination_is_404_unless_the_webhook_attaches_it(db) -> None:  # type: ignore[no-untyped-def]
    async with Running(app_for(db), workers=False) as run:
        response = await run.post_webhook([message_event("hi")], destination=OTHER_BOT)
        assert response.status_code == 404
        assert OTHER_BOT in response.json()["message"]
        assert await stored(db) == []
        response = await run.post_webhook([attached_event(OTHER_BOT)], destination=OTHER_BOT)
        assert response.status_code == 200
        assert len(await stored(db)) == 1


async def test_connectivity_check_with_no_events_is_200(db) -> None:  # type: ignore[no-untyped-def]
    async with Running(app_for(db), workers=False) as run:
        response = await run.post_webhook([], destination=OTHER_BOT)
        assert response.status_code == 200
        assert await stored(db) == []


async def test_oversized_body_is_413(db) -> None:  # type: ignore[no-untyped-def]
    async with Running(ModuleApp(make_settings(webhook_max_body_bytes=2000), database=db), workers=False) as run:
        events = [attached_event()] + [message_event("x" * 500) for _ in range(5)]
        response = await run.post_webhook(events)
        assert response.status_code == 413
        assert await stored(db) == []


async def test_redelivered_duplicate_is_stored_once(db) -> None:  # type: ignore[no-untyped-def]
    async with Running(app_for(db), workers=False) as run:
        attach, msg = attached_event(), message_event("hi")
        assert (await run.post_webhook([attach, msg])).status_code == 200
        again = dict(msg, deliveryContext={"isRedelivery": True})
        assert (await run.post_webhook([again])).status_code == 200
        assert (await run.post_webhook([again, again])).status_code == 200
        rows = await stored(db)
        assert len(rows) == 2
        assert rows[1].is_redelivery is False


async def test_concurrent_webhooks_are_all_stored(db) -> None:  # type: ignore[no-untyped-def]
    async with Running(app_for(db), workers=False) as run:
        assert (await run.post_webhook([attached_event()])).status_code == 200
        messages = [message_event(f"m{i}") for i in range(60)]
        responses = await asyncio.gather(*(run.post_webhook([m]) for m in messages))
        assert {r.status_code for r in responses} == {200}
        async with db.session() as session:
            assert await session.scalar(select(func.count()).select_from(EventRow)) == 61


async def test_an_event_repeated_inside_one_batch_is_stored_once_in_webhook_order(db) -> None:  # type: ignore[no-untyped-def]
    async with Running(app_for(db), workers=False) as run:
        first, second = message_event("one"), message_event("two")
        response = await run.post_webhook([attached_event(), first, second, first])
        assert response.status_code == 200
        assert [r.webhook_event_id for r in await stored(db)][1:] == [first["webhookEventId"], second["webhookEventId"]]


async def test_a_destination_with_a_trailing_newline_is_not_a_bot_id(db) -> None:  # type: ignore[no-untyped-def]
    app = ModuleApp(make_settings(), database=db)
    async with Running(app, workers=False) as run:
        answer = await run.post_webhook([message_event("hi")], destination=BOT + "\n")
        assert answer.status_code == 400
        assert "destination must be a bot user ID" in answer.json()["message"]


async def test_a_deeply_nested_body_is_a_400_not_a_500(db) -> None:  # type: ignore[no-untyped-def]
    app = ModuleApp(make_settings(), database=db)
    async with Running(app, workers=False) as run:
        body = b'{"destination": "' + BOT.encode() + b'", "events": ' + b"[" * 5000 + b"]" * 5000 + b"}"
        answer = await run.http.post("/webhook", content=body, headers=signed(body))
        assert answer.status_code == 400
        assert "nested too deeply" in answer.json()["message"]
