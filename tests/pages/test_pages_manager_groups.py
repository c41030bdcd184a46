"""The OA Manager's group and multi-person chats over plain HTTP: listed on the account page with their members,
opened read-only with every sender named, polled for new bubbles, gone once the OA has left."""

from __future__ import annotations

import re

from tests.emulator.chats import MODULE
from tests.pages.conftest import PageClient
from tests.support.flows import attach
from tests.support.servers import Emulator, WebhookReceiver

POLL_RE = re.compile(r'hx-get="([^"]+/updates\?[^"]+)"')


def test_the_oa_manager_shows_its_groups_and_rooms_read_only(pages: PageClient, emulator: Emulator,
                                                              receiver: WebhookReceiver) -> None:
    att = attach(emulator, receiver.url + MODULE)
    me = att.person["user_id"]
    other = emulator.person("佐藤 太郎")["user_id"]
    control = f"/_emulator/accounts/{att.bot_id}"
    group = emulator.call("POST", f"{control}/groups", json={"name": "読書会", "members": [me, other]},
                          expect=201)["group_id"]
    room = emulator.call("POST", f"{control}/rooms", json={"members": [me, other]}, expect=201)["room_id"]
    emulator.call("POST", f"{control}/groups/{group}/messages", expect=202,
                  json={"user_id": other, "message": {"type": "text", "text": "了解です"}})
    emulator.call("POST", "/v2/bot/message/push", expect=200, headers=att.headers,
                  json={"to": group, "messages": [{"type": "text", "text": "土曜の会場はこちらです"}]})

    manager = f"/_pages/manager/{att.bot_id}"
    home = pages.get(manager).text
    assert "グループ・複数人トーク" in home
    rows = home.split('data-testid="manager-group-row"')[1:]
    assert len(rows) == 2
    assert "読書会" in rows[0] and "土曜の会場はこちらです" in rows[0]  # the newest conversation first
    assert "複数人トーク" in rows[1] and "Hanako" in rows[1] and "佐藤 太郎" in rows[1]
    assert f"{manager}/groups/{room}" in home and 'data-testid="manager-chat-row"' in home  # 1:1 chats stay
    english = pages.get(f"{manager}?lang=en").text
    assert "Groups and multi-person chats" in english and "Multi-person chat" in english

    page = pages.get(f"{manager}/groups/{group}?lang=ja")
    assert page.status_code == 200
    assert '<div class="who">佐藤 太郎</div>' in page.text and "了解です" in page.text
    assert "土曜の会場はこちらです" in page.text and '<span class="sent-by">' in page.text
    log = page.text.split('data-testid="manager-chat-log"')[1].split('data-testid="read-only-note"')[0]
    assert 'aria-hidden="true">佐</span>' in log  # the member's avatar, not the OA's
    members = page.text.split('data-testid="members"')[1].split("</ul>")[0]
    assert "Hanako" in members and "佐藤 太郎" in members
    assert f"/_pages/app/{att.bot_id}/{other}/chats/{group}" in members
    assert 'data-testid="read-only-note"' in page.text
    assert "/send" not in page.text and "<textarea" not in page.text and 'name="text"' not in page.text

    member_side = pages.get(f"/_pages/app/{att.bot_id}/{me}/chats/{group}").text
    assert f'href="{manager}/groups/{group}"' in member_side  # the LINE app page links back here

    found = POLL_RE.search(page.text)
    assert found is not None
    poll = found.group(1).replace("&amp;", "&")
    assert "n=2" in poll and pages.get(poll).status_code == 204
    emulator.call("POST", f"{control}/groups/{group}/messages", expect=202,
                  json={"user_id": me, "message": {"type": "text", "text": "参加します"}})
    changed = pages.get(poll)
    assert changed.status_code == 200 and "参加します" in changed.text and "了解です" not in changed.text
    assert "updates?n=3" in changed.text

    room_page = pages.get(f"{manager}/groups/{room}").text
    assert "メッセージはまだありません" in room_page
    assert "Hanako, 佐藤 太郎" in room_page

    assert pages.get(f"{manager}/groups/C0000000000000000000000000000dead").status_code == 404
    elsewhere = emulator.account()["bot_id"]
    assert pages.get(f"/_pages/manager/{elsewhere}/groups/{group}").status_code == 404  # another OA's group

    emulator.call("DELETE", f"{control}/groups/{group}", expect=200)  # a member removes the OA
    assert pages.get(f"{manager}/groups/{group}").status_code == 404
    assert pages.get(manager).text.count('data-testid="manager-group-row"') == 1
