"""The whole story of issue 6 through the emulator's control API, on SQLite and PostgreSQL: attach, rich menu,
follow, reserve through the picker and quick replies, confirmation, the reservation in the console, the
operator cancels one (the customer is told), and the reminder of the other arrives when the emulator's
clock passes the day before."""

from __future__ import annotations

import re

from linemod_reservation.languages import day_label
from linemod_reservation.slots import ShopRules
from tests.reservation.test_conversation import reserve
from tests.reservation.test_reminders import REMINDER
from tests.reservation.world import Operator, World, open_day, wait_until


async def test_the_whole_story(world: World) -> None:
    # attach (the fixture went through the consent flow) and the rich menu set-up
    hanako = world.person()
    [welcome] = hanako.follow()
    assert "友だち追加ありがとうございます" in welcome["text"]
    assert [a["action"]["label"] for a in hanako.richmenu()["areas"]] == ["予約する", "予約確認", "お問い合わせ"]

    # two reservations through the rich menu, the date picker, quick replies and the Flex card
    first_day, second_day = open_day(3), open_day(4)
    kept = reserve(hanako, first_day.isoformat(), start="18:00", party="2名")
    dropped = reserve(hanako, second_day.isoformat(), start="12:00", party="4名")
    confirmations = [m["text"] for m in hanako.from_module() if "ご予約を承りました" in m.get("text", "")]
    assert len(confirmations) == 2 and kept in confirmations[0] and dropped in confirmations[1]
    await world.settled()

    # the console shows them; the operator cancels the second; the customer is told on LINE
    operator = Operator(world).sign_in()
    page = operator.get(operator.oa(f"/reservations?day={second_day.isoformat()}"))
    found = re.search(rf'/reservations/(\d+)" data-testid="reservation-chip" data-number="{dropped}"', page.text)
    assert found, page.text
    # Each day in its own week's view (Monday to Sunday): the two days fall in different weeks when the first
    # is a Sunday.
    for day, seats in ((first_day, ">2/8<"), (second_day, ">4/8<")):
        week = operator.get(operator.oa(f"/reservations/week?start={day.isoformat()}"))
        assert seats in week.text, day
    operator.post(operator.oa(f"/reservations/{found.group(1)}/cancel"))
    label = day_label("ja", second_day)
    wait_until(
        lambda: any(
            f"予約番号 {dropped}（{label} 12:00）はキャンセルされました" in m.get("text", "")
            for m in hanako.from_module()
        ),
        what="the cancellation push",
    )

    # the emulator's clock passes 10:00 the day before the first: its reminder arrives, only its
    now = int(world.control("GET", "/_emulator/clock")["now_ms"])
    world.advance((ShopRules().reminder_ms(first_day) - now) / 1000 + 60)
    reminders = wait_until(
        lambda: [m["text"] for m in hanako.from_module() if REMINDER in m.get("text", "")], what="the reminder"
    )
    assert len(reminders) == 1 and kept in reminders[0]
    world.advance(2 * 86_400)  # and past the cancelled one's: nothing more
    await world.settled()
    assert len([m for m in hanako.from_module() if REMINDER in m.get("text", "")]) == 1
