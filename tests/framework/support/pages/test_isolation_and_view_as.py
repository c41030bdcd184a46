"""Who may open which help-desk URL: an operator of another OA gets 404 on every URL of a ticket (GET and
POST), operators get 404 on every staff URL, and staff see an OA's console only under its operator's live
consent: refused without it, read-only with it, over when it expires or is revoked, every look logged."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute
from sqlalchemy import select

from linemod.framework.support.records import SupportMessageRow, SupportTicketRow
from linemod.framework.support.view_as_records import SupportStaffAccessRow
from tests.framework.helpers import BOT, OTHER_BOT
from tests.framework.support.pages.conftest import Desk, location
from tests.framework.support.pages.test_operator_and_staff_pages import open_ticket

HOUR_MS = 3600 * 1000


def support_routes(desk: Desk, prefix: str) -> list[tuple[str, str]]:
    found = []
    for router in desk.app.console.state.routers:
        for route in router.routes:
            if isinstance(route, APIRoute) and route.path.startswith(prefix):
                found += [(m, route.path) for m in sorted(route.methods) if m in ("GET", "POST")]
    return found


def fill(template: str, values: dict[str, str]) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: values.get(m.group(1), "1"), template)


async def access_actions(desk: Desk) -> list[str]:
    async with desk.console.db.session() as session:
        return list(await session.scalars(select(SupportStaffAccessRow.action).order_by(SupportStaffAccessRow.id)))


async def test_another_oas_operator_gets_404_on_every_ticket_url(desk: Desk) -> None:
    number = await open_ticket(desk)
    routes = [(m, t) for m, t in support_routes(desk, "/console/support") if "{" in t]
    assert len(routes) == 6
    values = {"ticket_id": str(number), "attachment_id": "1", "bot_id": BOT}
    await desk.rival.get("/console/support")
    for method, template in routes:
        path = fill(template, values)
        data = {"body": "横から失礼", "rating": "good", "hours": "24"}
        answer = await (desk.rival.get(path) if method == "GET" else desk.rival.post(path, data))
        assert answer.status_code == 404, (method, path, answer.status_code)
        assert "予約が表示されない" not in answer.text and "Cafe Sakura" not in answer.text
    # nothing was written by those POSTs, and the owner still reaches every GET
    async with desk.console.db.session() as session:
        bodies = list(await session.scalars(select(SupportMessageRow.body)))
        row = await session.get(SupportTicketRow, number)
    assert bodies == ["昨日から予約一覧が空です。"] and row is not None and row.csat_rating is None
    assert await desk.app.support.view_as().live_grant(BOT) is None
    for method, template in routes:
        if method == "GET":
            assert (await desk.owner.get(fill(template, values))).status_code == 200, template
    # a ticket about another OA cannot be opened either
    await desk.rival.get("/console/support/new")
    forged = await desk.rival.post(
        "/console/support/new", {"bot_id": BOT, "type": "question", "subject": "x", "body": "y"}
    )
    assert forged.status_code == 404


async def test_operators_get_404_on_every_staff_url_and_staff_looks_are_logged(desk: Desk) -> None:
    number = await open_ticket(desk)
    routes = support_routes(desk, "/provider/support")
    assert len(routes) >= 15
    values = {"ticket_id": str(number), "attachment_id": "1", "bot_id": BOT, "canned_id": "1"}
    await desk.owner.get("/console/support")
    for method, template in routes:
        path = fill(template, values)
        data = {"body": "note", "status": "solved", "priority": "urgent", "type": "billing", "title": "t"}
        answer = await (desk.owner.get(path) if method == "GET" else desk.owner.post(path, data))
        assert answer.status_code == 404, (method, path, answer.status_code)
    async with desk.console.db.session() as session:
        row = await session.get(SupportTicketRow, number)
        assert row is not None and (row.status, row.priority) == ("new", "normal")
    assert await access_actions(desk) == []
    # staff opening a ticket about a tenant is a look at its data: logged
    assert (await desk.staff.get(f"/provider/support/tickets/{number}")).status_code == 200
    async with desk.console.db.session() as session:
        row = await session.scalar(select(SupportStaffAccessRow))
    assert row is not None and (row.action, row.bot_id, row.ticket_id) == ("ticket", BOT, number)
    assert row.staff_email == "staff@provider.example"


async def test_view_as_needs_the_operators_live_consent_and_ends_with_it(desk: Desk) -> None:
    # without consent: refused, logged, and the OA's console stays closed to staff
    listing = await desk.staff.get("/provider/support/view-as")
    assert "<strong>Cafe Sakura</strong>" in listing.text
    refused = await desk.staff.post(f"/provider/support/view-as/{BOT}")
    assert location(refused).startswith("/provider/support/view-as?notice=")
    assert (await desk.staff.get(f"/console/oas/{BOT}")).status_code == 404
    assert await access_actions(desk) == ["view_as_refused"]

    # a staff member of the OA's team cannot consent; its owner can, from their support page
    await desk.owner.get("/console/support")
    location(await desk.owner.post(f"/console/support/consent/{BOT}", {"hours": "24"}))
    assert (await desk.rival.post(f"/console/support/consent/{BOT}", {"hours": "24"})).status_code == 404
    await desk.staff.get("/provider/support/view-as")
    assert location(await desk.staff.post(f"/provider/support/view-as/{BOT}")) == f"/console/oas/{BOT}"
    page = await desk.staff.get(f"/console/oas/{BOT}")
    assert page.status_code == 200 and 'data-testid="view-as-banner"' in page.text and "Cafe Sakura" in page.text
    assert (await desk.staff.get(f"/console/oas/{BOT}/team")).status_code == 200
    # read-only: a form of the OA's console answers 404; another OA (no consent) stays closed
    assert (await desk.staff.post(f"/console/oas/{BOT}/reauthorize")).status_code == 404
    assert (await desk.staff.get(f"/console/oas/{OTHER_BOT}")).status_code == 404
    assert await access_actions(desk) == ["view_as_refused", "view_as_start", "view_as_page", "view_as_page"]
    log = await desk.staff.get(f"/provider/support/access-log?tenant={BOT}")
    assert f"/console/oas/{BOT}/team" in log.text and "<td>Cafe Sakura</td>" in log.text
    mine = await desk.owner.get("/console/support")
    assert 'data-state="granted"' in mine.text and "staff@provider.example" in mine.text

    # the consent expires after 24 hours: the session ends with it
    desk.clock.advance(25 * HOUR_MS)
    await desk.console.sign_in(desk.staff, "staff@provider.example")
    assert (await desk.staff.get(f"/console/oas/{BOT}")).status_code == 404
    await desk.staff.get("/provider/support/view-as")
    location(await desk.staff.post(f"/provider/support/view-as/{BOT}"))
    assert (await desk.staff.get(f"/console/oas/{BOT}")).status_code == 404
    assert (await access_actions(desk))[-1] == "view_as_refused"


    # consent again, then withdrawn: the session ends at once
    await desk.console.sign_in(desk.owner, "owner@cafe.example")
    location(await desk.owner.post(f"/console/support/consent/{BOT}", {"hours": "4"}))
    await desk.staff.get("/provider/support/view-as")
    location(await desk.staff.post(f"/provider/support/view-as/{BOT}"))
    assert (await desk.staff.get(f"/console/oas/{BOT}")).status_code == 200
    await desk.owner.get("/console/support")
    location(await desk.owner.post(f"/console/support/consent/{BOT}/revoke"))
    assert (await desk.staff.get(f"/console/oas/{BOT}")).status_code == 404
