"""The operator console: an OA's card, the notices its state calls for, scopes and re-authorization, the
team and its invitations, and the pages and settings forms an extension adds."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from fastapi.responses import HTMLResponse
from sqlalchemy import text

from linemod.framework.app import ModuleApp
from linemod.framework.console import ConsoleContext, Field
from linemod.framework.storage.database import Database
from tests.framework.console.conftest import PASSWORD, Browser, Console
from tests.framework.helpers import BOT, OTHER_BOT, Running, make_settings


async def test_the_oa_card_shows_name_basic_id_state_and_scopes(console: Console) -> None:
    b = await console.operator("a@example.com")
    await console.give_oa("a@example.com")
    home = await b.get("/console/")
    assert "Cafe Sakura" in home.text and f"/console/oas/{BOT}" in home.text
    page = await b.get(f"/console/oas/{BOT}")
    assert page.status_code == 200
    assert 'data-testid="oa-card"' in page.text and "@123abcd" in page.text
    assert "<h1>Cafe Sakura</h1>" in page.text and 'data-testid="oa-name">Cafe Sakura</strong>' in page.text
    assert "<title>Cafe Sakura · linemod</title>" in page.text
    assert "<code>message:receive</code>" in page.text and "<code>message:send</code>" in page.text
    assert 'data-testid="state-notice"' not in page.text and 'data-testid="missing-scopes"' not in page.text


async def test_a_suspended_oa_shows_the_unavailable_notice_on_every_page(console: Console) -> None:
    b = await console.operator("a@example.com")
    await console.give_oa("a@example.com")
    async with console.db.transaction() as session:
        await console.app.runtime.tenants.apply_lifecycle(session, BOT, "suspended", 2_000_000_000_000)
    for path in (f"/console/oas/{BOT}", f"/console/oas/{BOT}/team"):
        page = await b.get(path)
        assert 'data-state="suspended"' in page.text, path
        assert "このLINE公式アカウントは利用できません" in page.text  # Japanese by default
    async with console.db.transaction() as session:
        await console.app.runtime.tenants.apply_lifecycle(session, BOT, "resumed", 2_000_000_000_001)
    assert 'data-testid="state-notice"' not in (await b.get(f"/console/oas/{BOT}")).text


async def test_a_detached_oa_leaves_its_former_teams_console_which_offers_to_attach_one(console: Console) -> None:
    b = await console.operator("a@example.com")
    await console.give_oa("a@example.com")
    await console.app.runtime.tenants.mark_detached(BOT)
    assert (await b.get(f"/console/oas/{BOT}")).status_code == 404
    home = await b.get("/console/")
    assert BOT not in home.text and 'data-testid="attach"' in home.text


async def test_missing_scopes_offer_a_reauthorization_to_owners_only(db: Database) -> None:
    app = ModuleApp(make_settings(development=True, scopes=["message:send", "profile:read"]), database=db)
    async with Running(app, workers=False) as run:
        console = Console(run, db)
        owner = await console.operator("a@example.com")
        await console.give_oa("a@example.com")
        page = await owner.get(f"/console/oas/{BOT}")
        assert 'data-testid="missing-scopes"' in page.text and "<code>profile:read</code>" in page.text
        start = await owner.post(f"/console/oas/{BOT}/reauthorize")
        assert start.status_code == 303
        query = parse_qs(urlsplit(start.headers["location"]).query)
        assert urlsplit(start.headers["location"]).path == "/module/auth/v1/authorize"
        assert query["basic_search_id"] == ["@123abcd"]
        assert set(query["scope"][0].split()) == {"message:receive", "message:send", "profile:read"}
        assert "linemod_attach" in start.headers["set-cookie"]
        staff = await console.operator("s@example.com")
        await console.give_oa("s@example.com", role="staff")
        staff_page = await staff.get(f"/console/oas/{BOT}")
        assert 'data-testid="missing-scopes"' in staff_page.text and 'data-testid="reauthorize"' not in staff_page.text
        assert (await staff.post(f"/console/oas/{BOT}/reauthorize")).status_code == 404
        for b in console.browsers:
            await b.close()


async def test_attach_from_the_console_records_the_account_with_the_state(console: Console) -> None:
    b = await console.operator("a@example.com")
    start = await b.post("/console/attach")
    assert start.status_code == 303 and "/module/auth/v1/authorize?" in start.headers["location"]
    state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
    async with console.db.session() as session:
        owner = await session.scalar(text("SELECT account_id FROM attach_states WHERE state = :s"), {"s": state})
    account = await console.app.console.services().accounts.by_email("a@example.com")
    assert account is not None and owner == account.id


async def test_an_owner_invites_a_colleague_who_signs_up_from_the_link(console: Console) -> None:
    owner = await console.operator("owner@example.com")
    await console.give_oa("owner@example.com")
    await owner.get(f"/console/oas/{BOT}/team")
    sent = await owner.post(f"/console/oas/{BOT}/team/invite", {"email": "Colleague@Example.com", "role": "staff"})
    assert sent.status_code == 303
    team = await owner.get(sent.headers["location"])
    assert "colleague@example.com" in team.text and 'data-testid="invitations"' in team.text
    link = await console.last_link("colleague@example.com")
    colleague = console.browser("10.4.4.4")
    invitation = await colleague.get(link)
    assert "Cafe Sakura" in invitation.text and 'data-testid="invitation-signup"' in invitation.text
    joined = await colleague.post(f"{link}/signup", {"password": PASSWORD})
    assert joined.status_code == 303 and joined.headers["location"].startswith(f"/console/oas/{BOT}")
    assert "Cafe Sakura" in (await colleague.get("/console/")).text
    assert (await colleague.get(f"/console/oas/{BOT}")).status_code == 200
    assert 'data-kind="invitation_invalid"' in (await console.browser().get(link)).text  # single use
    members = await owner.get(f"/console/oas/{BOT}/team")
    assert members.text.count('data-testid="member"') == 2
    # staff members see the team but cannot change it
    assert (await colleague.post(f"/console/oas/{BOT}/team/invite", {"email": "x@example.com"})).status_code == 404


async def test_an_invitation_only_works_for_the_address_it_was_sent_to(console: Console) -> None:
    owner = await console.operator("owner@example.com")
    await console.give_oa("owner@example.com")
    await owner.get(f"/console/oas/{BOT}/team")
    await owner.post(f"/console/oas/{BOT}/team/invite", {"email": "right@example.com", "role": "owner"})
    link = await console.last_link("right@example.com")
    wrong = await console.operator("wrong@example.com")
    await wrong.get(link)
    refused = await wrong.post(f"{link}/accept")
    assert refused.status_code == 400 and 'data-testid="error"' in refused.text
    assert (await wrong.get(f"/console/oas/{BOT}")).status_code == 404
    right = await console.operator("right@example.com")
    await right.get(link)
    assert (await right.post(f"{link}/accept")).status_code == 303
    assert (await right.get(f"/console/oas/{BOT}")).status_code == 200


async def test_the_last_owner_cannot_be_removed_and_others_can(console: Console) -> None:
    owner = await console.operator("owner@example.com")
    await console.operator("staff@example.com")
    await console.give_oa("owner@example.com")
    await console.give_oa("staff@example.com", role="staff")
    services = console.app.console.services()
    me = await services.accounts.by_email("owner@example.com")
    other = await services.accounts.by_email("staff@example.com")
    await owner.get(f"/console/oas/{BOT}/team")
    assert (await owner.post(f"/console/oas/{BOT}/team/remove", {"account_id": str(me.id)})).status_code == 400
    assert (await owner.post(f"/console/oas/{BOT}/team/remove", {"account_id": str(other.id)})).status_code == 303
    assert await services.teams.role_of(other.id, BOT) is None


def extension_app(db: Database, tmp_path) -> ModuleApp:  # type: ignore[no-untyped-def]
    app = ModuleApp(make_settings(development=True), database=db)
    templates = tmp_path / "templates"
    (templates / "shop").mkdir(parents=True)
    (templates / "shop" / "orders.html").write_text(
        "{% extends console_layout %}{% block content %}<h1 id=ext>{{ _('Orders') }}</h1>"
        "<p id=count>{{ count }}</p><p id=slot>{{ slot }}</p>"
        "<form method=post>{{ csrf_input() }}<button>go</button></form>{% endblock %}"
    )
    app.console.add_templates(templates)

    @app.console.page("/orders", title="Orders", methods=("GET", "POST"))
    async def orders(cx: ConsoleContext) -> HTMLResponse:
        if cx.request.method == "POST":
            await cx.db.execute(text("INSERT INTO shop_orders (bot_id) VALUES (:b)"), {"b": cx.tenant.bot_id})
            return cx.redirect(cx.url("/orders"), notice="The settings were saved.")
        count = await cx.db.scalar(text("SELECT COUNT(*) FROM shop_orders WHERE bot_id = :b"), {"b": cx.tenant.bot_id})
        settings = await app.console.read_settings(cx.db, cx.tenant.bot_id, "shop")
        return cx.render("shop/orders.html", {"count": count, "slot": settings["slot_minutes"]})

    @app.console.page("/orders/{order_id}", title="Order", nav=False, owner_only=True)
    async def order(cx: ConsoleContext, order_id: str) -> HTMLResponse:
        return HTMLResponse(f"<p id=order>{order_id} of {cx.tenant.bot_id} as {cx.role}</p>")

    app.console.settings_form(
        "shop",
        title="Shop rules",
        fields=[
            Field.integer("slot_minutes", "Slot length (minutes)", default=30, min=5, max=240),
            Field.boolean("same_day", "Accept same-day bookings", default=True),
            Field.choice("tone", "Tone", [("polite", "Polite"), ("casual", "Casual")]),
        ],
    )
    return app


async def test_extension_pages_and_settings_forms_live_in_the_oa_console(db: Database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with db.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE shop_orders (bot_id VARCHAR(33))"))
    async with Running(extension_app(db, tmp_path), workers=False) as run:
        console = Console(run, db)
        owner = await console.operator("a@example.com")
        await console.give_oa("a@example.com")
        overview = await owner.get(f"/console/oas/{BOT}")
        assert f'href="/console/oas/{BOT}/orders"' in overview.text  # in the navigation
        assert f'href="/console/oas/{BOT}/settings/shop"' in overview.text
        page = await owner.get(f"/console/oas/{BOT}/orders")
        assert page.status_code == 200 and "<p id=count>0</p>" in page.text and "<p id=slot>30</p>" in page.text
        assert 'data-testid="oa-name"' in page.text  # rendered inside the OA layout
        assert (await owner.post(f"/console/oas/{BOT}/orders", csrf=False)).status_code == 403
        assert (await owner.post(f"/console/oas/{BOT}/orders")).status_code == 303
        assert "<p id=count>1</p>" in (await owner.get(f"/console/oas/{BOT}/orders")).text
        assert "<p id=order>42 of" in (await owner.get(f"/console/oas/{BOT}/orders/42")).text
        await owner.get(f"/console/oas/{BOT}/settings/shop")
        bad = await owner.post(f"/console/oas/{BOT}/settings/shop", {"slot_minutes": "3", "tone": "casual"})
        assert bad.status_code == 400
        saved = await owner.post(f"/console/oas/{BOT}/settings/shop", {"slot_minutes": "45", "tone": "casual"})
        assert saved.status_code == 303
        assert "<p id=slot>45</p>" in (await owner.get(f"/console/oas/{BOT}/orders")).text
        async with db.session() as session:
            values = await run.app.console.read_settings(session, BOT, "shop")
        assert values == {"slot_minutes": 45, "same_day": False, "tone": "casual"}
        # a staff member: pages yes, owner-only pages and forms no
        staff = await console.operator("s@example.com")
        await console.give_oa("s@example.com", role="staff")
        assert (await staff.get(f"/console/oas/{BOT}/orders")).status_code == 200
        assert (await staff.get(f"/console/oas/{BOT}/orders/42")).status_code == 404
        assert (await staff.get(f"/console/oas/{BOT}/settings/shop")).status_code == 404
        # another OA's operator: nothing
        stranger = await console.operator("z@example.com")
        await console.give_oa("z@example.com", OTHER_BOT, name="Other")
        assert (await stranger.get(f"/console/oas/{BOT}/orders")).status_code == 404
        assert "<p id=count>0</p>" in (await stranger.get(f"/console/oas/{OTHER_BOT}/orders")).text
        for b in console.browsers:
            await b.close()


def test_extension_paths_must_not_shadow_the_console() -> None:
    import pytest

    app = ModuleApp(make_settings())
    with pytest.raises(ValueError):
        app.console.page("/team", title="Mine")
    with pytest.raises(ValueError):
        app.console.page("no-slash", title="Mine")


async def test_english_is_one_click_away_and_remembered(console: Console) -> None:
    b = await console.operator("a@example.com")
    await console.give_oa("a@example.com")
    assert "チーム" in (await b.get(f"/console/oas/{BOT}")).text
    switched = await b.get(f"/console/lang/en?next=/console/oas/{BOT}")
    assert switched.status_code == 303 and switched.headers["location"] == f"/console/oas/{BOT}"
    page = await b.get(f"/console/oas/{BOT}")
    assert '<html lang="en">' in page.text and "Team" in page.text and "チーム" not in page.text
    assert (await b.get("/console/lang/en?next=https://evil.example/")).headers["location"] == "/console/"


async def test_browser_without_a_session_is_sent_to_sign_in_and_back(console: Console) -> None:
    await console.operator("a@example.com")
    await console.give_oa("a@example.com")
    b = Browser(console.run.asgi)
    answer = await b.get(f"/console/oas/{BOT}/team")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/console/signin?next=")
    await b.get(answer.headers["location"])
    signed = await b.post(
        "/console/signin", {"email": "a@example.com", "password": PASSWORD, "next": f"/console/oas/{BOT}/team"}
    )
    assert signed.headers["location"] == f"/console/oas/{BOT}/team"
    await b.close()


async def test_create_operator_makes_a_verified_member_for_demos(console: Console) -> None:
    from linemod.framework.tenants.store import BotProfile

    await console.app.runtime.tenants.record_attach(BOT, ["message:receive"], BotProfile(BOT, display_name="Cafe"))
    await console.app.console.create_operator("demo@example.com", PASSWORD, BOT)
    await console.app.console.create_operator("helper@example.com", PASSWORD, BOT, role="staff")
    b = console.browser()
    await console.sign_in(b, "demo@example.com")
    assert (await b.get(f"/console/oas/{BOT}")).status_code == 200
    teams = console.app.console.services().teams
    assert sorted((m.email, m.role) for m in await teams.members(BOT)) == [
        ("demo@example.com", "owner"),
        ("helper@example.com", "staff"),
    ]
