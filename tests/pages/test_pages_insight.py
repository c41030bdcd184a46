"""The simulator's LINE app page feeds the statistics as the real app does: opening a chat displays its bubbles
(impressions), tapping a link in a message is a click, tapping a rich menu area is a rich menu click."""

from __future__ import annotations

from tests.emulator.marketing_world import marketing_oa
from tests.pages.conftest import PageClient
from tests.support.servers import Emulator

LINK = "https://example.com/coupon"


def test_opening_chats_and_tapping_links_on_the_page_count_in_insight(pages: PageClient, emulator: Emulator) -> None:
    oa = marketing_oa(emulator, 20, demographics=False)
    template = {"type": "template", "altText": "coupon", "template": {
        "type": "buttons", "text": "Coupon", "actions": [{"type": "uri", "label": "Get", "uri": LINK}]}}
    answer = emulator.http.post("/v2/bot/message/broadcast", headers=oa.headers, json={"messages": [template]})
    request_id = answer.headers["x-line-request-id"]
    for person in oa.people:
        path = f"/_pages/app/{oa.bot_id}/{person}"
        assert pages.get(path).status_code == 200
        assert pages.get(path).status_code == 200  # seen again: still one impression
        message_id = oa.messages_of(person)[-1]["id"]
        assert pages.post(f"{path}/act", {"ref": f"{message_id}:0"}, htmx=True).status_code == 204
    event = emulator.http.get("/v2/bot/insight/message/event", headers=oa.headers,
                              params={"requestId": request_id}).json()
    assert event["overview"]["uniqueImpression"] == 20 and event["messages"][0]["impression"] == 20
    assert event["clicks"] == [{"seq": 1, "url": LINK, "click": 20, "uniqueClick": 20, "uniqueClickOfRequest": 20}]
