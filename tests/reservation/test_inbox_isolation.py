"""Tenant isolation of the inbox: another OA's operator gets 404 on every inbox URL, GET and POST, whether
they name the first OA or their own OA with the first OA's inquiry, media or canned reply; nothing changes."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select

from linemod.framework.support.inbox import routes, routes_settings
from linemod.framework.support.inbox.records import InboxCannedRow, InboxEntryRow, InboxInquiryRow
from linemod.framework.support.records import SupportTicketRow
from tests.reservation.inbox_world import ask_for_a_person, image_message, media_kept, png, send
from tests.reservation.world import Operator, World


def attach_another_oa(world: World) -> str:
    other = world.control("POST", "/_emulator/accounts", 201, json={"display_name": "パン屋 もみじ"})
    start = world.browser.get("/attach/start")
    answer = world.control(
        "POST",
        "/_emulator/authorize",
        json={"authorize_url": start.headers["location"], "bot_id": other["bot_id"], "decision": "approve"},
    )
    redirect = urlsplit(answer["redirect_url"])
    page = world.browser.get(redirect.path, params=dict(parse_qsl(redirect.query)))
    assert 'data-attach-result="complete"' in page.text
    world.flush()
    return str(other["bot_id"])


def operator_of(world: World, bot_id: str) -> Operator:
    operator = Operator(world)
    email, password = "owner@momiji-bakery.example", "a long enough password 1"
    world.in_server(world.app.console.create_operator, email, password, bot_id)
    operator.get("/console/signin")
    signed_in = operator.post("/console/signin", {"email": email, "password": password})
    assert signed_in.status_code == 200 and email in signed_in.text
    return operator


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)  # the scoping is in the queries, not the engine
async def test_another_oas_operator_gets_404_on_every_inbox_url(world: World) -> None:
    hanako = world.person()
    inquiry = await ask_for_a_person(world, hanako)
    send(world, hanako, image_message(png()))
    await world.settled()
    media = (await media_kept(world, inquiry)).id
    owner = Operator(world).sign_in()
    owner.get(owner.oa("/inbox/canned"))
    owner.post(owner.oa("/inbox/canned"), {"title": "挨拶", "body": "こんにちは"})
    async with world.db.session() as session:
        canned = await session.scalar(select(InboxCannedRow.id))
    other_bot = attach_another_oa(world)
    intruder = operator_of(world, other_bot)

    paths = {
        ("GET", ""),
        ("GET", "/{inquiry}"),
        ("GET", "/{inquiry}/media/{media}"),
        ("GET", "/settings"),
        ("GET", "/canned"),
        ("POST", "/{inquiry}/reply"),
        ("POST", "/{inquiry}/tags"),
        ("POST", "/{inquiry}/close"),
        ("POST", "/{inquiry}/escalate"),
        ("POST", "/settings"),
        ("POST", "/canned"),
        ("POST", "/canned/{canned_id}/delete"),
    }
    served = {
        (method, route.path.split("/inbox", 1)[1])
        for router in (routes.router, routes_settings.router)
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    assert served == paths  # every inbox route is tried below
    values = {"inquiry": inquiry, "media": media, "canned_id": canned}
    form = {
        "text": "横取り",
        "tags": "x",
        "note": "x",
        "title": "x",
        "body": "x",
        "auto_answer": "on",
        "auto_answer_text": "x",
    }

    for method, template in sorted(paths):
        suffix = template.format(**values)
        bases = [f"/console/oas/{world.bot_id}/inbox"]  # the first OA's URL
        if "{" in template:
            bases.append(f"/console/oas/{other_bot}/inbox")  # their own OA, the first OA's row
        for base in bases:
            url = base + suffix
            answer = intruder.get(url) if method == "GET" else intruder.post(url, form)
            assert answer.status_code == 404, (method, url, answer.status_code)
        if method == "GET":  # the same URL works for the first OA's operator: the 404 is the isolation
            assert owner.get(f"/console/oas/{world.bot_id}/inbox{suffix}").status_code == 200, suffix

    async with world.db.session() as session:
        row = await session.get(InboxInquiryRow, inquiry)
        assert row is not None and (row.status, row.tags_json, row.ticket_id) == ("open", "[]", None)
        assert await session.scalar(select(InboxEntryRow.id).where(InboxEntryRow.direction == "out")) is None
        assert list(await session.scalars(select(SupportTicketRow))) == []
        assert [c.title for c in await session.scalars(select(InboxCannedRow))] == ["挨拶"]
    assert hanako.from_module()[-1]["text"] != "横取り"
