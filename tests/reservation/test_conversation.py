"""The reservation conversation through the emulator: picker, quick replies, Flex confirmation, number;
list, change and cancel; Japanese by default and English for others; the draft survives a restart."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from linemod_reservation.models import Reservation, Slot
from tests.reservation.world import Person, Server, World, flex_button, open_day, quick

NUMBER = re.compile(r"予約番号: ([A-Z0-9]{6})")


def reserve(person: Person, day: str, start: str = "18:00", party: str = "2名", note: str = "窓際の席を希望") -> str:
    """The whole conversation, from the rich menu to the confirmation; returns the reservation number."""
    [ask_date] = person.tap_menu(0)
    picker = quick(ask_date, "日付を選ぶ")
    assert picker["type"] == "datetimepicker" and picker["mode"] == "date"
    [ask_time] = person.tap(picker, {"date": day})
    [ask_party] = person.tap(quick(ask_time, start))
    [ask_name] = person.tap(quick(ask_party, party))
    assert ask_name["text"] == "ご予約のお名前を入力してください。"
    person.tap(quick(ask_name, person.name))  # the note is asked for next
    [card] = person.say(note)
    assert card["type"] == "flex"
    [done] = person.tap(flex_button(card, "この内容で予約する"))
    found = NUMBER.search(done["text"])
    assert found, done
    return found.group(1)


async def booked(world: World) -> list[Reservation]:
    await world.settled()
    async with world.db.session() as session:
        return list(await session.scalars(select(Reservation).order_by(Reservation.id)))


async def test_a_customer_reserves_through_the_picker_and_quick_replies(world: World) -> None:
    hanako = world.person()
    hanako.follow()
    day = open_day().isoformat()
    [ask_date] = hanako.tap_menu(0)
    assert ask_date["text"] == "ご希望の日付を選んでください。"
    [ask_time] = hanako.tap(quick(ask_date, "日付を選ぶ"), {"date": day})
    labels = [i["action"]["label"] for i in ask_time["quickReply"]["items"]]
    assert labels[:3] == ["11:00（残り8席）", "12:00（残り8席）", "13:00（残り8席）"]
    assert labels[-1] == "日付を選ぶ" and len(labels) == 11  # 11:00 … 20:00, then back to the picker
    [ask_party] = hanako.tap(quick(ask_time, "18:00"))
    assert "18:00 ですね" in ask_party["text"]
    assert [i["action"]["label"] for i in ask_party["quickReply"]["items"]] == [f"{n}名" for n in range(1, 7)]
    [ask_name] = hanako.tap(quick(ask_party, "2名"))
    assert quick(ask_name, "山田 花子")["displayText"] == "山田 花子"  # the LINE name, one tap away
    [ask_note] = hanako.say("山田")
    assert "ご要望" in ask_note["text"]
    [card] = hanako.tap(quick(ask_note, "なし"))
    assert card["type"] == "flex" and "ご予約内容の確認" in card["altText"]
    assert "山田" in str(card["contents"]) and "18:00" in str(card["contents"])
    [done] = hanako.tap(flex_button(card, "この内容で予約する"))
    number = NUMBER.search(done["text"])
    assert number and "2名様" in done["text"]
    [reservation] = await booked(world)
    assert (reservation.number, reservation.day, reservation.start) == (number.group(1), day, "18:00")
    assert (reservation.party_size, reservation.customer_name, reservation.user_id) == (2, "山田", hanako.line_id)


async def test_list_change_and_cancel_a_reservation(world: World) -> None:
    hanako = world.person()
    hanako.follow()
    day = open_day().isoformat()
    number = reserve(hanako, day)
    [listing] = hanako.tap_menu(1)
    assert listing["type"] == "flex" and number in str(listing["contents"])
    [ask_date] = hanako.tap(flex_button(listing, "変更する"))
    [ask_time] = hanako.tap(quick(ask_date, "日付を選ぶ"), {"date": day})
    [ask_party] = hanako.tap(quick(ask_time, "12:00"))
    [card] = hanako.tap(quick(ask_party, "4名"))  # a change keeps the name and note: straight to the card
    assert "変更内容の確認" in str(card["contents"])
    [changed] = hanako.tap(flex_button(card, "この内容で変更する"))
    assert "ご予約を変更しました" in changed["text"] and number in changed["text"]
    [reservation] = await booked(world)
    assert (reservation.start, reservation.party_size, reservation.note) == ("12:00", 4, "窓際の席を希望")
    await world.settled()
    async with world.db.session() as session:
        seats = {s.start: s.booked for s in await session.scalars(select(Slot))}
    assert seats == {"18:00": 0, "12:00": 4}  # the old seats were given back
    [listing] = hanako.tap_menu(1)
    [ask] = hanako.tap(flex_button(listing, "キャンセルする"))
    [cancelled] = hanako.tap(quick(ask, "キャンセルする"))
    assert f"予約番号 {number}" in cancelled["text"] and "キャンセルしました" in cancelled["text"]
    [reservation] = await booked(world)
    assert reservation.status == "cancelled"
    [listing] = hanako.tap_menu(1)
    assert listing["text"] == "現在、ご予約はありません。"


async def test_an_english_speaker_is_answered_in_english(world: World) -> None:
    emily = world.person("Emily Clark", "en")
    emily.follow()
    [ask_date] = emily.say("reserve")
    assert ask_date["text"] == "Please choose a date."
    [ask_time] = emily.tap(quick(ask_date, "Choose a date"), {"date": open_day().isoformat()})
    [ask_party] = emily.tap(quick(ask_time, "19:00"))
    [ask_name] = emily.tap(quick(ask_party, "3"))
    [ask_note] = emily.tap(quick(ask_name, "Emily Clark"))
    [card] = emily.tap(quick(ask_note, "None"))
    [done] = emily.tap(flex_button(card, "Book it"))
    assert done["text"].startswith("Your table is booked.") and "3 people" in done["text"]


async def test_a_closed_day_and_a_stale_button_are_answered_politely(world: World) -> None:
    hanako = world.person()
    hanako.follow()
    [ask_date] = hanako.tap_menu(0)
    tuesday = open_day()
    while tuesday.weekday() != 1:
        tuesday += timedelta(days=1)
    [again] = hanako.tap(quick(ask_date, "日付を選ぶ"), {"date": tuesday.isoformat()})
    assert "定休日" in again["text"]
    [abort] = hanako.tap(quick(again, "やめる"))
    assert abort["text"] == "ご予約の手続きを中止しました。"
    [stale] = hanako.tap({"type": "postback", "data": "rsv:confirm", "label": "x"})
    assert "もう一度" in stale["text"]


async def test_the_draft_survives_a_restart_of_the_module(world: World) -> None:
    hanako = world.person()
    hanako.follow()
    [ask_date] = hanako.tap_menu(0)
    [ask_time] = hanako.tap(quick(ask_date, "日付を選ぶ"), {"date": open_day().isoformat()})
    [ask_party] = hanako.tap(quick(ask_time, "18:00"))
    world.server.__exit__(None, None, None)  # the process goes away between two taps
    world.server = Server(world.app.asgi(), world.port)
    with world.server:
        [ask_name] = hanako.tap(quick(ask_party, "2名"))
        assert ask_name["text"] == "ご予約のお名前を入力してください。"
        [ask_note] = hanako.tap(quick(ask_name, hanako.name))
        [card] = hanako.tap(quick(ask_note, "なし"))
        [done] = hanako.tap(flex_button(card, "この内容で予約する"))
        assert NUMBER.search(done["text"])


async def test_more_slots_than_quick_replies_page_on(world: World) -> None:
    await world.shop_ready()
    world.booking_rules(slot_minutes=30)  # 20 slots from 11:00 to 21:00
    hanako = world.person()
    hanako.follow()
    [ask_date] = hanako.tap_menu(0)
    [first] = hanako.tap(quick(ask_date, "日付を選ぶ"), {"date": open_day().isoformat()})
    labels = [i["action"]["label"] for i in first["quickReply"]["items"]]
    assert len(labels) == 13 and labels[0].startswith("11:00") and labels[10].startswith("16:00")
    assert labels[11:] == ["もっと後の時間", "日付を選ぶ"]
    [later] = hanako.tap(quick(first, "もっと後の時間"))
    labels = [i["action"]["label"] for i in later["quickReply"]["items"]]
    assert labels[0].startswith("16:30") and labels[-3].startswith("20:30")
    assert labels[-2:] == ["前の時間に戻る", "日付を選ぶ"]
    [ask_party] = hanako.tap(quick(later, "20:30"))
    assert "20:30 ですね" in ask_party["text"]
