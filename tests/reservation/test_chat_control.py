"""Chat control in practice: while a person handles a chat the module stays quiet (standby events are
recorded, not answered), and the customer record says who is handling the chat."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import select

from linemod_reservation import handover
from linemod_reservation.models import Customer, StandbyEvent
from tests.reservation.world import Person, World


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


async def test_contact_hands_the_chat_to_a_person_and_the_module_stays_quiet(world: World) -> None:
    hanako = world.person()
    hanako.follow()
    await world.settled()
    assert await handled_by(world, hanako) == "module"
    [answer] = hanako.tap_menu(2)  # お問い合わせ
    assert answer["text"] == "担当者におつなぎします。このままメッセージをお送りください。"
    world.flush()
    await wait_handled_by(world, hanako, "person")
    assert control_of(world, hanako)["active_channel_id"] != world.channel["channel_id"]

    before = len(hanako.from_module())
    question = "子供用の椅子はありますか？"
    world.control("POST", f"{hanako.chat_path}/messages", 202, json={"type": "text", "text": question})
    world.control("POST", f"{hanako.chat_path}/richmenu-tap", 202, json={"area": 0})
    world.flush()
    world.control("POST", f"{hanako.chat_path}/operator-messages", 202, json={"text": "はい、ご用意しております。"})
    await world.settled()
    time.sleep(0.5)
    assert len(hanako.from_module()) == before  # standby: nothing sent
    operator = [m["message"]["text"] for m in hanako.messages() if m["from"] == "operator"]
    assert operator == ["はい、ご用意しております。"]
    async with world.db.session() as session:
        events = await session.scalars(select(StandbyEvent).order_by(StandbyEvent.id))
        recorded = [(e.event_type, e.summary) for e in events]
    assert recorded == [("message", question), ("postback", "postback rsv:start")]


async def test_the_module_takes_the_chat_back_and_answers_again(world: World) -> None:
    hanako = world.person()
    hanako.follow()
    world.in_server(handover.hand_to_person, world.app, world.bot_id, hanako.line_id)
    world.flush()
    await wait_handled_by(world, hanako, "person")
    world.in_server(handover.take_back, world.app, world.bot_id, hanako.line_id)
    world.flush()
    await wait_handled_by(world, hanako, "module")
    assert control_of(world, hanako)["active_channel_id"] == world.channel["channel_id"]
    [ask_date] = hanako.say("予約")
    assert ask_date["text"] == "ご希望の日付を選んでください。"


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
