"""Fixtures of the console tests: the module app in-process on each engine, and browsers that keep
cookies and send the CSRF token of the last page they loaded."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from linemod.framework.app import ModuleApp
from linemod.framework.storage.database import Database
from linemod.framework.storage.models import OutboxMailRow
from tests.framework.helpers import BOT, Running, make_settings

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LINK = re.compile(r"https?://\S+")
PASSWORD = "correct horse battery"


class Browser:
    """One person's browser: its own cookies; POSTs carry the CSRF token of the last page loaded."""

    def __init__(self, asgi: Any, ip: str = "127.0.0.1") -> None:
        transport = httpx.ASGITransport(app=asgi, client=(ip, 50000))
        self.http = httpx.AsyncClient(transport=transport, base_url="http://module.test", follow_redirects=False)
        self.token = ""

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        answer = await self.http.get(path, **kwargs)
        found = CSRF.search(answer.text)
        if found:
            self.token = found.group(1)
        return answer

    async def post(self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True) -> httpx.Response:
        if csrf and not self.token:
            await self.get("/console/signin")
        body = {**(data or {}), **({"csrf_token": self.token} if csrf else {})}
        answer = await self.http.post(path, data=body)
        found = CSRF.search(answer.text)
        if found:
            self.token = found.group(1)
        return answer

    async def follow(self, answer: httpx.Response) -> httpx.Response:
        assert answer.status_code in (302, 303), (answer.status_code, answer.text[:500])
        return await self.get(answer.headers["location"])

    async def close(self) -> None:
        await self.http.aclose()


class Console:
    """The module app with its consoles, started in-process, and helpers to make people."""

    def __init__(self, run: Running, db: Database) -> None:
        self.run = run
        self.app: ModuleApp = run.app
        self.db = db
        self.browsers: list[Browser] = []

    def browser(self, ip: str = "127.0.0.1") -> Browser:
        b = Browser(self.run.asgi, ip)
        self.browsers.append(b)
        return b

    async def last_link(self, to: str) -> str:
        """The path of the link in the newest mail to `to`."""
        async with self.db.session() as session:
            mail = await session.scalar(
                select(OutboxMailRow).where(OutboxMailRow.to_addr == to).order_by(OutboxMailRow.id.desc()).limit(1)
            )
        assert mail is not None, f"no mail to {to}"
        url = LINK.search(mail.body)
        assert url is not None, mail.body
        return url.group(0).replace(self.app.settings.public_base_url, "")

    async def mails_to(self, to: str) -> list[OutboxMailRow]:
        async with self.db.session() as session:
            return list(await session.scalars(select(OutboxMailRow).where(OutboxMailRow.to_addr == to)))

    async def operator(self, email: str, password: str = PASSWORD, ip: str = "127.0.0.1") -> Browser:
        """A verified, signed-in operator."""
        b = self.browser(ip)
        await b.get("/console/signup")
        answer = await b.post("/console/signup", {"email": email, "password": password})
        assert answer.status_code == 200, answer.text
        assert (await b.get(await self.last_link(email))).status_code == 200
        await self.sign_in(b, email, password)
        return b

    async def sign_in(self, b: Browser, email: str, password: str = PASSWORD) -> httpx.Response:
        await b.get("/console/signin")
        answer = await b.post("/console/signin", {"email": email, "password": password})
        assert answer.status_code == 303, answer.text
        await b.get(answer.headers["location"])
        return answer

    async def staff(self, email: str = "staff@provider.example", password: str = PASSWORD) -> Browser:
        await self.app.console.services().accounts.create_staff(email, password)
        b = self.browser()
        await self.sign_in(b, email, password)
        return b

    async def give_oa(self, email: str, bot_id: str = BOT, *, name: str = "Cafe Sakura", role: str = "owner") -> None:
        """An attached OA (as if attached through LINE) owned by the account of `email`."""
        services = self.app.console.services()
        from linemod.framework.tenants.store import BotProfile

        await services.tenants.record_attach(
            bot_id, ["message:receive", "message:send"], BotProfile(bot_id, basic_id="@123abcd", display_name=name)
        )
        account = await services.accounts.by_email(email)
        assert account is not None
        if role == "owner":
            await services.teams.make_owner(account.id, bot_id)
        else:
            token = await services.teams.invite(bot_id, email, role, account.id)
            await services.teams.accept(token, account)


@pytest.fixture
async def console(db: Database) -> AsyncIterator[Console]:
    app = ModuleApp(make_settings(development=True, signin_max_failures=3), database=db)
    async with Running(app, workers=False) as run:
        world = Console(run, db)
        yield world
        for b in world.browsers:
            await b.close()
