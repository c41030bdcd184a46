"""The inquiry inbox against the real emulator: a customer's お問い合わせ reaches the operator's inbox; an
answer goes out as a free reply while the reply token is good and as a push after; group chats; media
copied before LINE expires it; the automatic answer outside business hours; "ask the provider"."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from linemod.framework.support.records import SupportTicketRow
from tests.reservation.inbox_world import (
    answer,
    ask_for_a_person,
    entries,
    image_message,
    media_kept,
    open_inquiry_of,
    png,
    send,
    sends,
)
from tests.reservation.world import Operator, World, wait_until

REPLY, PUSH = "/v2/bot/message/reply", "/v2/bot/message/push"
# The reply-or-push test runs on both engines; the rest add nothing engine-specific (their queries are the
# same ones, and the tables are checked on both by the migration tests) and run on SQLite only, to keep the
# suite quick.
sqlite_only = pytest.mark.parametrize("db", ["sqlite"], indirect=True)


async def test_an_answer_30_seconds_later_is_a_free_reply_and_2_hours_later_a_push(world: World) -> None:
    hanako = world.person()
    inquiry = await ask_for_a_person(world, hanako)
    operator = Operator(world).sign_in()
    listed = operator.get(operator.oa("/inbox"))
    assert f'data-id="{inquiry}"' in listed.text and "要対応 (1)" in listed.text

    send(world, hanako, {"type": "text", "text": "駐車場はありますか？"})
    await world.settled()
    world.advance(30)
    replies = sends(world, REPLY)
    planned, page = answer(operator, inquiry, "はい、3台分ございます。")
    assert planned == "reply" and "応答メッセージ（無料）で送信しました。" in page
    assert sends(world, REPLY) == replies + 1
    assert hanako.from_module()[-1]["text"] == "はい、3台分ございます。"

    send(world, hanako, {"type": "text", "text": "予約なしでも入れますか？"})
    await world.settled()
    world.advance(2 * 3600)
    pushes = sends(world, PUSH)
    planned, page = answer(operator, inquiry, "空いていればご案内できます。")
    assert planned == "push" and "プッシュメッセージで送信しました。" in page
    assert sends(world, PUSH) == pushes + 1
    assert hanako.from_module()[-1]["text"] == "空いていればご案内できます。"

    sent = [(e.direction, e.text, e.sent_via) for e in await entries(world, inquiry) if e.direction == "out"]
    assert sent == [("out", "はい、3台分ございます。", "reply"), ("out", "空いていればご案内できます。", "push")]


@sqlite_only
async def test_a_group_chat_inquiry_is_answered_in_the_group(world: World) -> None:
    hanako, taro = world.person("山田 花子"), world.person("佐藤 太郎")
    group = world.control(
        "POST",
        f"/_emulator/accounts/{world.bot_id}/groups",
        201,
        json={"name": "歓送迎会", "members": [hanako.user_id, taro.user_id]},
    )["group_id"]
    group_path = f"/_emulator/accounts/{world.bot_id}/groups/{group}/messages"

    def in_group(person_id: str, text: str) -> None:
        world.control("POST", group_path, 202, json={"user_id": person_id, "message": {"type": "text", "text": text}})

    def from_module() -> list[str]:
        return [
            m["message"].get("text", "")
            for m in world.control("GET", group_path)["messages"]
            if m["from"].startswith("channel:")
        ]

    in_group(taro.user_id, "お問い合わせ")
    world.flush()
    wait_until(
        lambda: "担当者におつなぎします。このままメッセージをお送りください。" in from_module(),
        what="the module's answer",
    )
    await world.settled()
    inquiry = await open_inquiry_of(world, group)
    in_group(hanako.user_id, "12人で個室は使えますか？")
    await world.settled()
    assert len(from_module()) == 1  # the module stays quiet in the group now

    operator = Operator(world).sign_in()
    page = operator.get(operator.oa(f"/inbox/{inquiry}"))
    assert "グループ" in page.text and "12人で個室は使えますか？" in page.text
    world.advance(20)
    planned, _ = answer(operator, inquiry, "はい、14名様までご利用いただけます。")
    assert planned == "reply"
    in_group(hanako.user_id, "金曜日の19時は空いていますか？")
    await world.settled()
    world.advance(2 * 3600)
    pushes = sends(world, PUSH)
    planned, _ = answer(operator, inquiry, "金曜日19時、ご用意できます。")
    assert planned == "push" and sends(world, PUSH) == pushes + 1
    assert from_module()[-2:] == ["はい、14名様までご利用いただけます。", "金曜日19時、ご用意できます。"]


@sqlite_only
async def test_media_is_copied_and_still_downloadable_after_line_expired_it(world: World) -> None:
    hanako = world.person()
    inquiry = await ask_for_a_person(world, hanako)
    picture = png()
    send(world, hanako, image_message(picture))
    await world.settled()
    kept = await media_kept(world, inquiry)
    assert (kept.state, kept.content_type, kept.size_bytes) == ("kept", "image/png", len(picture))
    [image] = [e for e in await entries(world, inquiry) if e.kind == "image"]

    world.advance(8 * 24 * 3600)  # past the emulator's content retention (7 days)
    line = world.in_server(world.app.line_for, world.bot_id)
    try:
        world.in_server(line.get_message_content, image.message_id)
        raise AssertionError("LINE still has the content")
    except Exception as gone:
        assert getattr(gone, "status", None) == 404, gone

    operator = Operator(world).sign_in()
    page = operator.get(operator.oa(f"/inbox/{inquiry}"))
    url = operator.oa(f"/inbox/{inquiry}/media/{kept.id}")
    assert f'src="{url}"' in page.text
    download = operator.get(url)
    assert download.status_code == 200 and download.content == picture
    assert download.headers["content-type"] == "image/png"


@sqlite_only
async def test_outside_business_hours_the_customer_gets_one_automatic_answer(world: World) -> None:
    operator = Operator(world).sign_in()
    operator.get(operator.oa("/inbox/settings"))
    closed_every_day = {f"closed_{day}": "on" for day in range(7)}
    refused = operator.post(
        operator.oa("/inbox/settings"),
        {"open_0": "25:00", "close_0": "18:00", "auto_answer": "on", "auto_answer_text": "x"},
    )
    assert refused.status_code == 400 and "時刻は HH:MM の形で入力してください。" in refused.text
    text = "ただいま営業時間外です。翌営業日にご返信します。"
    saved = operator.post(
        operator.oa("/inbox/settings"), {**closed_every_day, "auto_answer": "on", "auto_answer_text": text}
    )
    assert saved.status_code == 200 and "営業時間を保存しました。" in saved.text

    hanako = world.person()
    inquiry = await ask_for_a_person(world, hanako)
    replies = sends(world, REPLY)
    before = len(hanako.from_module())
    send(world, hanako, {"type": "text", "text": "明日の予約を変更したいです。"})
    [auto] = hanako.replies_after(before)
    assert auto["text"] == text
    send(world, hanako, {"type": "sticker", "packageId": "446", "stickerId": "1988"})
    await world.settled()
    assert len(hanako.from_module()) == before + 1  # once per closed spell, not once per message
    assert sends(world, REPLY) == replies + 1  # the free way
    recorded = [(e.direction, e.kind, e.sent_via) for e in await entries(world, inquiry)][-3:]
    assert recorded == [("in", "text", None), ("auto", "text", "reply"), ("in", "sticker", None)]
    # The sticker's token is still good (the automatic answer used the text's): the operator's answer is free.
    planned, _ = answer(operator, inquiry, "承知しました。")
    assert planned == "reply" and sends(world, REPLY) == replies + 2


@sqlite_only
async def test_asking_the_provider_makes_a_ticket_with_the_transcript(world: World) -> None:
    hanako = world.person()
    inquiry = await ask_for_a_person(world, hanako)
    send(world, hanako, {"type": "text", "text": "領収書の宛名を変えられますか？"})
    await world.settled()
    operator = Operator(world).sign_in()
    operator.get(operator.oa(f"/inbox/{inquiry}"))
    empty = operator.post(operator.oa(f"/inbox/{inquiry}/reply"), {"text": "   "})
    assert empty.status_code == 400 and "返信を入力してください。" in empty.text
    page = operator.post(operator.oa(f"/inbox/{inquiry}/escalate"), {"note": "宛名変更の機能はありますか？"})
    assert page.status_code == 200 and "提供者のヘルプデスクにお問い合わせを送りました。" in page.text
    async with world.db.session() as session:
        [ticket] = list(await session.scalars(select(SupportTicketRow)))
    assert ticket.bot_id == world.bot_id and f"#{inquiry}" in ticket.subject
    ticket_url = f"/console/support/tickets/{ticket.id}"
    assert f'data-testid="ticket" href="{ticket_url}"' in page.text and f"#{ticket.id}" in page.text
    # The operator follows the link to the ticket, which carries the transcript.
    opened = operator.get(ticket_url)
    assert opened.status_code == 200 and "領収書の宛名を変えられますか？" in opened.text
    twice = operator.post(operator.oa(f"/inbox/{inquiry}/escalate"), {"note": "もう一度"})
    assert "このお問い合わせはすでに提供者に送っています。" in twice.text
    async with world.db.session() as session:
        assert len(list(await session.scalars(select(SupportTicketRow)))) == 1


@sqlite_only
async def test_canned_replies_and_tags(world: World) -> None:
    hanako = world.person()
    inquiry = await ask_for_a_person(world, hanako)
    operator = Operator(world).sign_in()
    operator.get(operator.oa("/inbox/canned"))
    bad = operator.post(operator.oa("/inbox/canned"), {"title": "挨拶", "body": "{{ secret }} さま"})
    assert bad.status_code == 400 and "本文に使えない変数があります。" in bad.text
    operator.post(
        operator.oa("/inbox/canned"),
        {"title": "挨拶", "body": "{{ customer_name }} さま、お問い合わせありがとうございます。"},
    )
    listing = operator.get(operator.oa("/inbox/canned"))
    canned_id = listing.text.split("/canned/")[1].split("/delete")[0]
    page = operator.get(operator.oa(f"/inbox/{inquiry}"), params={"canned": canned_id})
    assert "山田 花子 さま、お問い合わせありがとうございます。" in page.text
    tagged = operator.post(operator.oa(f"/inbox/{inquiry}/tags"), {"tags": "予約、 駐車場, 予約"})
    assert "タグを保存しました。" in tagged.text
    filtered = operator.get(operator.oa("/inbox"), params={"tag": "駐車場"})
    assert f'data-id="{inquiry}"' in filtered.text
    assert 'data-id="' not in operator.get(operator.oa("/inbox"), params={"tag": "苦情"}).text
