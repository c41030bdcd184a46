"""The help desk's tenant picker: a text field with suggestions instead of a list of every tenant, so that the
queue, the access log and the new-ticket form stay one small page at 10,000 OAs."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from linemod.framework.support.records import SupportTicketRow
from linemod.framework.tenants.store import BotProfile
from tests.framework.helpers import BOT, OTHER_BOT
from tests.framework.support.pages.conftest import Desk, location, ticket_id_in

OPTION = re.compile(r'<option value="(U[0-9a-f]{32})"')


async def add_tenants(desk: Desk, count: int) -> None:
    tenants = desk.app.console.services().tenants
    for i in range(count):
        await tenants.record_attach(f"U{i:032x}", ["message:receive"],
                                    BotProfile(f"U{i:032x}", basic_id=f"@{i:03d}shop", display_name=f"Shop {i:03d}"))


async def test_pages_name_only_the_tenants_they_show(desk: Desk) -> None:
    await add_tenants(desk, 300)
    for path in ("/provider/support", "/provider/support/access-log", "/provider/support/new"):
        page = await desk.staff.get(path)
        assert page.status_code == 200, path
        assert "Shop 1" not in page.text and len(OPTION.findall(page.text)) == 0, path  # no list of tenants


async def test_suggestions_follow_the_text_and_are_for_staff_only(desk: Desk) -> None:
    await add_tenants(desk, 30)
    many = await desk.staff.get("/provider/support/tenant-choices", params={"tenant": "Shop"})
    assert len(OPTION.findall(many.text)) == 20  # the first 20: more text narrows them
    narrow = await desk.staff.get("/provider/support/tenant-choices", params={"bot_id": "Shop 017"})
    assert OPTION.findall(narrow.text) == [f"U{17:032x}"] and "Shop 017" in narrow.text
    assert OPTION.findall((await desk.staff.get("/provider/support/tenant-choices", params={"q": ""})).text) == []
    assert (await desk.owner.get("/provider/support/tenant-choices", params={"q": "Shop"})).status_code == 404


async def test_the_queue_filter_takes_a_bot_id_or_the_one_tenant_a_text_names(desk: Desk) -> None:
    await add_tenants(desk, 3)
    ours = await _open(desk, BOT, "カフェの件")
    theirs = await _open(desk, OTHER_BOT, "ラーメンの件")
    for text in (BOT, "Cafe", "sakura"):  # the bot ID, or part of the name in any case
        page = await desk.staff.get("/provider/support", params={"tenant": text})
        assert page.status_code == 200, text
        assert f'data-ticket-id="{ours}"' in page.text and f'data-ticket-id="{theirs}"' not in page.text, text
        assert f'value="{BOT}"' in page.text and "Cafe Sakura" in page.text  # the field shows what it chose
    none = await desk.staff.get("/provider/support", params={"tenant": "Pizza"})
    assert none.status_code == 400 and "Pizza" in none.text
    several = await desk.staff.get("/provider/support", params={"tenant": "Shop"})
    assert several.status_code == 400 and "3" in several.text
    log = await desk.staff.get("/provider/support/access-log", params={"tenant": "Ramen"})
    assert log.status_code == 200 and f'value="{OTHER_BOT}"' in log.text
    assert (await desk.staff.get("/provider/support/access-log", params={"tenant": "@123abcd"})).status_code == 400


async def test_a_ticket_on_behalf_of_the_tenant_a_text_names(desk: Desk) -> None:
    await desk.staff.get("/provider/support/new")
    fields = {"requester": "", "type": "question", "priority": "normal", "subject": "電話で", "body": "伺いました"}
    ambiguous = await desk.staff.post("/provider/support/new", {**fields, "bot_id": "@123abcd"})  # both OAs' basic ID
    assert ambiguous.status_code == 400 and "@123abcd" in ambiguous.text
    assert await _tickets(desk) == 0
    created = await desk.staff.post("/provider/support/new", {**fields, "bot_id": "ramen kaze"})
    number = ticket_id_in(location(created))
    async with desk.console.db.session() as session:
        ticket = await session.get(SupportTicketRow, number)
        assert ticket is not None and ticket.bot_id == OTHER_BOT
    nobody = await desk.staff.post("/provider/support/new", {**fields, "bot_id": ""})  # about no tenant
    assert nobody.status_code == 303


async def _open(desk: Desk, bot_id: str, subject: str) -> int:
    await desk.staff.get("/provider/support/new")
    fields = {"bot_id": bot_id, "requester": "", "type": "question", "priority": "normal", "subject": subject,
              "body": "本文"}
    return ticket_id_in(location(await desk.staff.post("/provider/support/new", fields)))


async def _tickets(desk: Desk) -> int:
    async with desk.console.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(SupportTicketRow)) or 0)
