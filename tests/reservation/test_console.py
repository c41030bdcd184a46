"""The management console: reservations by day and week, phone bookings, edits, cancellations (the customer
is told on LINE), CSV, shop settings that the LINE conversation obeys, and who handles each chat."""

from __future__ import annotations

import csv
import io
import re

from tests.reservation.test_conversation import reserve
from tests.reservation.world import Operator, Person, World, open_day, quick, wait_until


def texts(person: Person) -> list[str]:
    return [m.get("text", "") for m in person.from_module()]


def test_the_console_needs_a_member_of_the_oa(world: World) -> None:
    stranger = Operator(world)
    page = stranger.get(stranger.oa("/reservations"))
    assert "/console/signin" in str(page.url)


async def test_a_reservation_made_on_line_shows_in_the_day_and_week_views(world: World) -> None:
    hanako = world.person()
    hanako.follow()
    day = open_day().isoformat()
    number = reserve(hanako, day)
    await world.settled()
    operator = Operator(world).sign_in()
    page = operator.get(operator.oa(f"/reservations?day={day}"))
    assert page.status_code == 200
    assert f'data-number="{number}"' in page.text and "窓際の席を希望" in page.text
    assert "2 / 8 席" in page.text  # the 18:00 slot
    week = operator.get(operator.oa(f"/reservations/week?start={day}"))
    assert f'data-day="{day}" data-start="18:00"' in week.text and ">2/8<" in week.text


async def test_the_operator_cancels_and_the_customer_is_told_on_line(world: World) -> None:
    hanako = world.person()
    hanako.follow()
    day = open_day().isoformat()
    number = reserve(hanako, day)
    await world.settled()
    operator = Operator(world).sign_in()
    page = operator.get(operator.oa(f"/reservations?day={day}"))
    rid = re.search(
        rf'href="/console/oas/{world.bot_id}/reservations/(\d+)" data-testid="reservation-chip" '
        rf'data-number="{number}"',
        page.text,
    )
    assert rid, page.text
    done = operator.post(operator.oa(f"/reservations/{rid.group(1)}/cancel"))
    assert "予約をキャンセルしました。" in done.text
    assert 'data-status="cancelled"' in done.text
    told = wait_until(lambda: [t for t in texts(hanako) if "キャンセルされました" in t], what="the push")
    assert told == [f"カフェ さくらからのお知らせ: 予約番号 {number}（{_label(day)} 18:00）はキャンセルされました。"]


async def test_a_phone_booking_and_an_edit_are_pushed_to_the_customer(world: World) -> None:
    hanako = world.person()
    hanako.follow()
    await world.settled()
    day = open_day().isoformat()
    operator = Operator(world).sign_in()
    form = operator.get(operator.oa(f"/reservations/new?day={day}"))
    assert hanako.name in form.text
    saved = operator.post(
        operator.oa("/reservations/new"),
        {"user_id": hanako.line_id, "day": day, "start": "19:00", "party": "3", "name": "山田 花子", "note": "電話"},
    )
    assert "予約を登録しました" in saved.text
    created = wait_until(lambda: [t for t in texts(hanako) if "お電話にて" in t], what="the booking push")
    number = re.search(r"予約番号: (\w{6})", created[0]).group(1)  # type: ignore[union-attr]
    rid = re.search(rf'/reservations/(\d+)" data-testid="reservation-chip" data-number="{number}"', saved.text)
    assert rid
    edited = operator.post(
        operator.oa(f"/reservations/{rid.group(1)}"),
        {"day": day, "start": "20:00", "party": "4", "name": "山田 花子", "note": "電話"},
    )
    assert "予約を変更しました" in edited.text
    changed = wait_until(lambda: [t for t in texts(hanako) if "ご予約を変更しました" in t], what="the change push")
    assert "20:00 4名様" in changed[0]
    full = operator.post(
        operator.oa("/reservations/new"),
        {"user_id": "", "day": day, "start": "20:00", "party": "5", "name": "電話のお客様"},
    )
    assert full.status_code == 409 and "この人数分の空きがありません" in full.text  # 4 of 8 seats taken


async def test_csv_export_lists_the_reservations(world: World) -> None:
    hanako = world.person()
    hanako.follow()
    day = open_day().isoformat()
    number = reserve(hanako, day)
    await world.settled()
    operator = Operator(world).sign_in()
    answer = operator.get(operator.oa(f"/reservations/export.csv?from={day}&to={day}"))
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["予約番号", "日付", "時間", "人数"]
    assert rows[1][:5] == [number, day, "18:00", "2", hanako.name]


async def test_shop_settings_change_what_customers_can_book(world: World) -> None:
    hanako = world.person()
    hanako.follow()
    await world.shop_ready()
    operator = Operator(world).sign_in()
    day = open_day()
    rules = operator.save_booking_rules(slot_minutes=90, capacity=4, lead_minutes=30, max_party=4, days_ahead=30)
    assert rules.status_code == 200 and "設定を保存しました。" in rules.text  # the framework's settings form
    shop = operator.get(operator.oa("/shop"))
    assert 'data-testid="rule-capacity">4<' in shop.text and 'data-testid="rule-slot_minutes">90<' in shop.text
    assert f'href="/console/oas/{world.bot_id}/settings/booking"' in shop.text
    hours: dict[str, str] = {}
    for weekday in range(7):
        hours |= {f"opens_{weekday}": "17:00", f"closes_{weekday}": "22:00"}
    hours[f"closed_{(day.weekday() + 1) % 7}"] = "on"
    saved = operator.post(operator.oa("/shop"), hours)
    assert "店舗設定を保存しました" in saved.text
    holiday = operator.post(operator.oa("/shop/holidays"), {"day": day.isoformat(), "note": "貸切"})
    assert "休業日を追加しました" in holiday.text and "貸切" in holiday.text
    [ask_date] = hanako.tap_menu(0)
    [closed] = hanako.tap(quick(ask_date, "日付を選ぶ"), {"date": day.isoformat()})
    assert "定休日" in closed["text"]
    next_day = day.fromordinal(day.toordinal() + 2)
    [times] = hanako.tap(quick(closed, "日付を選ぶ"), {"date": next_day.isoformat()})
    assert [i["action"]["label"] for i in times["quickReply"]["items"]] == [
        "17:00（残り4席）",
        "18:30（残り4席）",
        "20:00（残り4席）",
        "日付を選ぶ",
    ]  # 90-minute slots until 22:00
    bad = operator.save_booking_rules(capacity=0)
    assert bad.status_code == 400 and "範囲外の数値です。" in bad.text and "1枠の席数は1〜500です。" in bad.text
    assert 'data-testid="rule-capacity">4<' in operator.get(operator.oa("/shop")).text  # nothing was saved
    bad_hours = operator.post(operator.oa("/shop"), {**hours, "closes_0": "16:00"})
    assert bad_hours.status_code == 400 and 'data-testid="error-hours_0"' in bad_hours.text


async def test_a_new_capacity_applies_to_future_slots_but_never_below_what_is_booked(world: World) -> None:
    hanako = world.person()
    hanako.follow()
    day = open_day().isoformat()
    reserve(hanako, day, start="18:00", party="2名")
    await world.settled()
    operator = Operator(world).sign_in()
    assert operator.save_booking_rules(capacity=1).status_code == 200  # the hook runs with the save
    assert await _slots(world) == [(day, "18:00", 2, 2)]  # full, and the booking stays
    week = operator.get(operator.oa(f"/reservations/week?start={day}"))
    assert ">2/2<" in week.text
    assert operator.save_booking_rules(capacity=12).status_code == 200
    assert await _slots(world) == [(day, "18:00", 12, 2)]


async def _slots(world: World) -> list[tuple[str, str, int, int]]:
    from sqlalchemy import select

    from linemod_reservation.models import Slot

    async with world.db.session() as session:
        rows = await session.scalars(select(Slot).order_by(Slot.day, Slot.start))
        return [(s.day, s.start, s.capacity, s.booked) for s in rows]


async def test_the_customers_page_shows_who_handles_each_chat(world: World) -> None:
    hanako, taro = world.person(), world.person("佐藤 太郎")
    hanako.follow()
    taro.follow()
    await world.settled()
    operator = Operator(world).sign_in()
    page = operator.get(operator.oa("/customers"))
    assert f'data-user="{hanako.line_id}" data-handler="module"' in page.text
    hanako.tap_menu(2)  # お問い合わせ: the staff answer her in the inbox
    world.control("POST", f"{taro.chat_path}/takeover", 200)  # an operator takes Taro over in the OA Manager
    world.control("POST", f"{taro.chat_path}/messages", 202, json={"type": "text", "text": "駐車場はありますか？"})
    await world.settled()
    page = operator.get(operator.oa("/customers"))
    assert f'data-user="{hanako.line_id}" data-handler="inbox"' in page.text
    inquiry = re.search(r'href="(/console/oas/[^"]+/inbox/\d+)" data-testid="inquiry-link"', page.text)
    assert inquiry is not None and operator.get(inquiry.group(1)).status_code == 200
    assert f'data-user="{taro.line_id}" data-handler="person"' in page.text and "駐車場はありますか？" in page.text
    # The hand-over buttons are gone; a bookmarked form lands on the inbox.
    assert 'data-testid="hand-over"' not in page.text
    moved = operator.post(operator.oa(f"/customers/{hanako.line_id}/handover"))
    assert moved.url.path == operator.oa("/inbox") and "お客様へのご返信は「お問い合わせ」から行います。" in moved.text


def _label(day: str) -> str:
    from linemod_reservation.languages import day_label

    return day_label("ja", day)
