"""End to end with a real emulator and a real server on loopback, on SQLite and PostgreSQL: an operator
signs up and attaches their OA from the console through LINE's consent screen, sees it suspended and
resumed; provider staff reconcile with LINE and detach it."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select

from linemod.framework.app import ModuleApp
from linemod.framework.settings import Settings
from linemod.framework.storage.database import Database
from linemod.framework.storage.models import OutboxMailRow
from tests.framework.helpers import ThreadedServer, free_port, wait_for

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "correct horse battery"


class Person:
    """A browser without JavaScript: cookies, and the CSRF token of the last page."""

    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=20)
        self.token = ""

    def get(self, path: str) -> httpx.Response:
        answer = self.http.get(path)
        if found := CSRF.search(answer.text):
            self.token = found.group(1)
        return answer

    def post(self, path: str, data: dict[str, str] | None = None) -> httpx.Response:
        answer = self.http.post(path, data={**(data or {}), "csrf_token": self.token})
        if found := CSRF.search(answer.text):
            self.token = found.group(1)
        return answer


@pytest.fixture
def server(line_emulator: str, db: Database) -> Any:
    emu = httpx.Client(base_url=line_emulator, timeout=20)
    emu.post("/_emulator/reset").raise_for_status()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    channel = emu.post(
        "/_emulator/module-channels",
        json={"name": "Reserve", "webhook_url": f"{base}/webhook", "redirect_uris": [f"{base}/attach/callback"]},
    ).json()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        channel_id=channel["channel_id"],
        channel_secret=channel["channel_secret"],
        line_base_url=line_emulator,
        public_base_url=base,
        database_url=db.url,
        database_schema=db.schema,
        development=True,
        reconcile_interval_seconds=0,
        worker_poll_seconds=0.05,
        retry_base_seconds=0.05,
        api_retry_base_seconds=0.05,
    )
    app = ModuleApp(settings)
    with ThreadedServer(app.asgi(), port=port):
        yield emu, base, settings
    emu.close()


async def link_to(db: Database, to: str, base: str) -> str:
    async with db.session() as session:
        mail = await session.scalar(
            select(OutboxMailRow).where(OutboxMailRow.to_addr == to).order_by(OutboxMailRow.id.desc())
        )
    assert mail is not None
    return re.search(r"https?://\S+", mail.body).group(0).replace(base, "")  # type: ignore[union-attr]


async def test_attach_from_the_console_then_suspend_reconcile_and_detach(server: Any, db: Database) -> None:
    emu, base, settings = server
    oa = emu.post("/_emulator/accounts", json={"display_name": "Cafe Sakura"}).json()
    operator = Person(base)
    operator.get("/console/signup")
    assert operator.post("/console/signup", {"email": "owner@example.com", "password": PASSWORD}).status_code == 200
    operator.get(await link_to(db, "owner@example.com", base))
    operator.get("/console/signin")
    assert operator.post("/console/signin", {"email": "owner@example.com", "password": PASSWORD}).status_code == 303
    operator.get("/console/")

    start = operator.post("/console/attach")
    assert start.status_code == 303
    consent = emu.post(
        "/_emulator/authorize",
        json={"authorize_url": start.headers["location"], "bot_id": oa["bot_id"], "decision": "approve"},
    ).json()
    back = urlsplit(consent["redirect_url"])
    done = operator.get(f"{back.path}?{back.query}")
    assert done.status_code == 303 and done.headers["location"].startswith(f"/console/oas/{oa['bot_id']}")
    card = operator.get(done.headers["location"])
    assert card.status_code == 200 and "Cafe Sakura" in card.text and oa["basic_id"] in card.text
    assert "Cafe Sakura" in operator.get("/console/").text
    emu.post("/_emulator/deliveries/flush", json={"timeout_seconds": 10})

    emu.post(f"/_emulator/accounts/{oa['bot_id']}/suspend")
    emu.post("/_emulator/deliveries/flush", json={"timeout_seconds": 10})
    await wait_for(lambda: 'data-state="suspended"' in operator.get(f"/console/oas/{oa['bot_id']}").text, timeout=15)
    emu.post(f"/_emulator/accounts/{oa['bot_id']}/resume")
    emu.post("/_emulator/deliveries/flush", json={"timeout_seconds": 10})
    await wait_for(lambda: "data-state=" not in operator.get(f"/console/oas/{oa['bot_id']}").text, timeout=15)

    admin = ModuleApp(settings)
    await admin.start(workers=False, intake=False)
    try:
        await admin.console.services().accounts.create_staff("ops@provider.example", PASSWORD)
    finally:
        await admin.stop()
    staff = Person(base)
    staff.get("/console/signin")
    assert staff.post("/console/signin", {"email": "ops@provider.example", "password": PASSWORD}).status_code == 303
    report = staff.get("/provider/reconcile")
    assert 'data-testid="in-sync">1<' in report.text
    staff.get(f"/provider/tenants/{oa['bot_id']}/detach")
    detached = staff.post(f"/provider/tenants/{oa['bot_id']}/detach", {"confirm": oa["basic_id"]})
    assert detached.status_code == 303, detached.text
    assert emu.get("/_emulator/state").status_code == 200
    assert operator.get(f"/console/oas/{oa['bot_id']}").status_code == 404  # the team ended with the attachment
    assert 'data-testid="in-sync">0<' in staff.get("/provider/reconcile").text
    emu.post("/_emulator/deliveries/flush", json={"timeout_seconds": 10})
    operator.http.close()
    staff.http.close()
