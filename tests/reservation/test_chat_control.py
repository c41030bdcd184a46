"""Who answers a customer: after お問い合わせ the staff in the inbox (the framework records the chat and the
module stays quiet until the inquiry is closed); when an operator takes the chat over in LINE's OA Manager,
the module stays quiet too (standby events are recorded, not answered) and the customer record says so."""

from __future__ import annotations

import asyncio
import re
import time

from sqlalchemy import select

from linemod.framework.support.inbox.records import InboxEntryRow
from linemod_reservation.models import Customer, StandbyEvent
from tests.reservation.world import Operator, Person, World


async def handled_by(world: World, person: Person) -> str:
    async with world.db.session() as session:
        customer = await session.get(Customer, (world.bot_id, person.line_id))
        assert customer is not None
        return customer.handled_by


async def wait_handled_by(world: World, person: Person, expected: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while await handled_by(world, person) != expected:
        assert time.monotonic() < deadline, f"never handled by {expected}"
        await asyncio.sleep(0.05)


def control_of(world: World, person: Person) -> dict:
    return world.control("GET", f"{person.chat_path}/control")  # type: ignore[no-any-return]


async def inquiry_entries(world: World) -> list[tuple[str, str, str]]:
    async with world.db.session() as session:
        rows = await session.scalars(select(InboxEntryRow).order_by(InboxEntryRow.id))
        return [(e.direction, e.kind, e.text) for e in rows]


async def test_contact_opens_an_inquiry_and_the_module_stays_quiet_while_its_chat_is_recorded(world: World) -> None:
    hanako = world.person()
    hanako.follow()
    await world.settled()
    [answer] = hanako.tap_menu(2)  # お問い合わせ
    assert answer["text"] == "担当者におつなぎします。このままメッセージをお送りください。"
    await world.settled()
    # The chat stays the module's on LINE's side (so the staff can answer with reply tokens).
    assert control_of(world, hanako)["active_channel_id"] == world.channel["channel_id"]

    before = len(hanako.from_module())
    question = "子供用の椅子はありますか？"
    world.control("POST", f"{hanako.chat_path}/messages", 202, json={"type": "text", "text": question})
    world.control("POST", f"{hanako.chat_path}/richmenu-tap", 202, json={"area": 0})
    await world.settled()
    assert len(hanako.from_module()) == before  # the module said nothing: people answer this chat
    entries = await inquiry_entries(world)
    assert entries == [
        ("event", "opened", "お問い合わせ"),
        ("in", "postback", "rsv:contact"),
        ("in", "text", question),
        ("in", "postback", "rsv:start"),
    ]
    async with world.db.session() as session:
        assert list(await session.scalars(select(StandbyEvent))) == []  # nothing went the standby way


async def test_closing_the_inquiry_in_the_inbox_gives_the_chat_back_to_the_module(world: World) -> None:
    hanako = world.person()
    hanako.follow()
    hanako.tap_menu(2)
    await world.settled()
    operator = Operator(world).sign_in()
    page = operator.get(operator.oa("/inbox"))
    [inquiry_id] = re.findall(r'data-testid="inquiry" data-id="(\d+)"', page.text)
    operator.get(operator.oa(f"/inbox/{inquiry_id}"))
    closed = operator.post(operator.oa(f"/inbox/{inquiry_id}/close"))
    assert closed.status_code == 200 and "対応済みにしました。" in closed.text
    [ask_date] = hanako.say("予約")
    assert ask_date["text"] == "ご希望の日付を選んでください。"
    assert ("event", "closed", "") in await inquiry_entries(world)
    # The old hand-over form now leads to the inbox.
    moved = operator.post(operator.oa(f"/customers/{hanako.line_id}/handover"))
    assert moved.status_code == 200 and moved.url.path == operator.oa("/inbox")


async def test_an_operator_taking_over_in_the_oa_manager_silences_the_module(world: World) -> None:
    hanako = world.person()
    hanako.follow()
    await world.settled()
    world.control("POST", f"{hanako.chat_path}/takeover", 200)
    world.flush()
    await wait_handled_by(world, hanako, "person")
    before = len(hanako.from_module())
    world.control("POST", f"{hanako.chat_path}/messages", 202, json={"type": "text", "text": "予約"})
    world.flush()
    await world.settled()
    time.sleep(0.5)
    assert len(hanako.from_module()) == before  # standby: the module stays quiet
    world.control("POST", f"{hanako.chat_path}/handback", 200)
    [ask_date] = hanako.say("予約")
    assert ask_date["text"] == "ご希望の日付を選んでください。"
