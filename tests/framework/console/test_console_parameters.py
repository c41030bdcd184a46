"""IDs no row can have, in the consoles' paths and forms (the outbox's mail, a team member, a dead letter):
answered as IDs that do not exist, never a 500 (an integer past bigint overflowed in SQLite and PostgreSQL)
nor FastAPI's JSON 422. Through a real server on loopback, on both engines; the parsing helpers without one.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, get_args, get_origin, get_type_hints

import httpx
import pytest
from fastapi.routing import APIRoute

from linemod import BadParameter, ModuleApp, parse_day, parse_row_id
from linemod.framework.console import routes_auth, routes_operator, routes_provider, routes_team
from linemod.framework.console.params import EARLIEST_DAY, LATEST_DAY, MAX_ROW_ID
from linemod.framework.storage.database import Database
from linemod.framework.tenants.store import BotProfile
from tests.framework.helpers import BOT, ThreadedServer, free_port, make_settings

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "correct horse battery"
# IDs no row can have: past bigint, not decimal digits, not positive; and the largest bigint, which no row has.
BAD_IDS = ["99999999999999999999", str(MAX_ROW_ID + 1), str(MAX_ROW_ID), "0", "-1", "abc", "１２", "²", "1e3", "0x10"]


class Browser:
    """Cookies, and the CSRF token of the last page."""

    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=20)
        self.token = ""

    def get(self, path: str) -> httpx.Response:
        answer = self.http.get(path)
        if found := CSRF.search(answer.text):
            self.token = found.group(1)
        return answer

    def post(self, path: str, data: dict[str, str]) -> httpx.Response:
        answer = self.http.post(path, data={**data, "csrf_token": self.token})
        if found := CSRF.search(answer.text):
            self.token = found.group(1)
        return answer

    def sign_in(self, email: str) -> Browser:
        self.get("/console/signin")
        assert self.post("/console/signin", {"email": email, "password": PASSWORD}).status_code == 303
        return self


@dataclass
class Site:
    base: str
    owner: Browser
    staff: Browser


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = make_settings(development=True, public_base_url=base, database_url=db.url, database_schema=db.schema)
    admin = ModuleApp(settings)
    await admin.start(workers=False, intake=False)
    try:
        services = admin.console.services()
        await services.tenants.record_attach(BOT, ["message:send"], BotProfile(BOT, basic_id="@123abcd"))
        await admin.console.create_operator("owner@example.com", PASSWORD, BOT)
        await services.accounts.create_staff("ops@provider.example", PASSWORD)
    finally:
        await admin.stop()
    with ThreadedServer(ModuleApp(settings).asgi(), port=port):
        owner, staff = Browser(base).sign_in("owner@example.com"), Browser(base).sign_in("ops@provider.example")
        yield Site(base, owner, staff)
        owner.http.close()
        staff.http.close()


def test_no_console_route_takes_an_integer_or_a_date_from_the_request() -> None:
    """FastAPI would answer a malformed one with its JSON 422 and hand an out-of-range one to the database:
    the consoles take strings and read them with `parse_row_id` and `parse_day` (the tests below)."""
    routes = [r for m in (routes_auth, routes_team, routes_operator, routes_provider) for r in m.router.routes]
    assert len(routes) > 30
    for route in routes:
        assert isinstance(route, APIRoute)
        for name, hint in get_type_hints(route.endpoint, include_extras=True).items():
            kind = get_args(hint)[0] if get_origin(hint) is Annotated else hint
            assert kind not in (int, date, datetime), (route.path, name)


def test_an_outbox_mail_id_no_row_can_have_is_page_not_found(site: Site) -> None:
    assert site.owner.get("/console/outbox").status_code == 200
    for mail_id in BAD_IDS:
        answer = site.owner.get(f"/console/outbox/{mail_id}")
        assert answer.status_code == 404, (mail_id, answer.status_code, answer.text[:300])
        assert "ページが見つかりません" in answer.text, mail_id


def test_removing_a_team_member_no_row_can_have_changes_nothing(site: Site) -> None:
    team = f"/console/oas/{BOT}/team"
    assert site.owner.get(team).status_code == 200
    for account_id in [*BAD_IDS, ""]:
        answer = site.owner.post(f"{team}/remove", {"account_id": account_id})
        assert answer.status_code == 303, (account_id, answer.status_code, answer.text[:300])
    assert "owner@example.com" in site.owner.get(team).text  # still on the team


def test_replaying_dead_letters_no_row_can_have_replays_nothing_picked(site: Site) -> None:
    tenant = f"/provider/tenants/{BOT}"
    assert site.staff.get(tenant).status_code == 200
    for event_id in BAD_IDS:
        answer = site.staff.post(f"{tenant}/replay", {"event_id": event_id})
        assert answer.status_code == 303, (event_id, answer.status_code, answer.text[:300])


@pytest.mark.parametrize(("text", "expected"), [
    ("1", 1), ("007", 7), (str(MAX_ROW_ID), MAX_ROW_ID), *((bad, None) for bad in BAD_IDS if bad != str(MAX_ROW_ID)),
    ("", None), (None, None), ("1\n", None), (" 1", None),
])
def test_parse_row_id_names_only_what_a_row_can_have(text: str | None, expected: int | None) -> None:
    assert parse_row_id(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-04-01", date(2026, 4, 1)), (EARLIEST_DAY.isoformat(), EARLIEST_DAY), (LATEST_DAY.isoformat(), LATEST_DAY),
    ("1899-12-31", None), ("3000-01-01", None), ("9999-12-31", None), ("0001-01-01", None), ("2026-02-30", None),
    ("20260401", None), ("2026-W14-2", None), ("2026-4-1", None), ("１９９０-０１-０１", None), ("2026-04-01\n", None),
    ("", None), (None, None),
])
def test_parse_day_reads_only_dates_written_yyyy_mm_dd_within_bounds(text: str | None, expected: date | None) -> None:
    assert parse_day(text) == expected


def test_parse_day_takes_other_bounds() -> None:
    assert parse_day("9999-12-31", latest=date.max) == date.max
    assert parse_day("2026-04-01", earliest=date(2026, 4, 2)) is None


def test_bad_parameter_keeps_its_message_id_and_values() -> None:
    refused = BadParameter("“%(value)s” is wrong", value="x")
    assert (refused.message, refused.values, str(refused)) == ("“%(value)s” is wrong", {"value": "x"}, "“x” is wrong")
