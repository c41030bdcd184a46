"""The account forms' limits (issue 11): every sign-in and mail request is counted before the password is
checked or the mail sent, in the statement that decides whether it may go on, so requests sent at once
cannot overtake the limit; sign-ins are limited per email and IP, per email from any IP and per IP over
every email, and mail requests per email and per IP."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from linemod.framework.accounts.cleanup import purge_account_rows
from linemod.framework.accounts.rate_limit import AttemptCounters, Limit, client_network
from linemod.framework.app import ModuleApp
from linemod.framework.clock import ManualClock
from linemod.framework.serving import proxy_options
from linemod.framework.storage.database import Database
from linemod.framework.storage.models import AttemptCounterRow, OutboxMailRow
from tests.framework.console.conftest import CSRF, PASSWORD, Console
from tests.framework.helpers import Running, ThreadedServer, free_port, make_settings

AT_ONCE = 50
TOO_MANY = "失敗が多すぎます"  # "Too many failed attempts": the consoles speak Japanese until told otherwise


# ---- requests sent at once, to a real server ---------------------------------------------------------


@pytest.fixture
def served(db: Database) -> Iterator[str]:
    """The module app on a loopback port, as `linemod serve` configures uvicorn, with the default limits.
    The clock stands still, so no window ends while a test runs."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = make_settings(
        development=True,
        public_base_url=base,
        database_url=db.url,
        database_schema=db.schema,
        run_workers_in_process=False,
    )
    app = ModuleApp(settings, clock=ManualClock())
    with ThreadedServer(app.asgi(), port=port, **proxy_options(settings)):
        yield base


async def signed_out_browser(base: str) -> tuple[httpx.AsyncClient, str]:
    """A browser (cookies, room for every request at once) and the CSRF token of the sign-in page."""
    browser = httpx.AsyncClient(base_url=base, timeout=60, limits=httpx.Limits(max_connections=AT_ONCE))
    found = CSRF.search((await browser.get("/console/signin")).text)
    assert found is not None
    return browser, found.group(1)


async def verified_account(db: Database, base: str, email: str) -> None:
    browser, token = await signed_out_browser(base)
    await browser.post("/console/signup", data={"email": email, "password": PASSWORD, "csrf_token": token})
    async with db.session() as session:
        mail = await session.scalar(select(OutboxMailRow.body).where(OutboxMailRow.to_addr == email))
    link = re.search(r"https?://\S+", mail or "")
    assert link is not None, mail
    assert (await browser.get(link.group(0))).status_code == 200
    await browser.aclose()


async def reset_mails_to(db: Database, email: str) -> int:
    async with db.session() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(OutboxMailRow)
            .where(OutboxMailRow.to_addr == email, OutboxMailRow.body.contains("/console/password/reset/"))
        )
    return int(count or 0)


async def test_wrong_passwords_sent_at_once_are_checked_at_most_the_limit(served: str, db: Database) -> None:
    await verified_account(db, served, "hanako@example.com")
    browser, token = await signed_out_browser(served)
    guess = {"email": "hanako@example.com", "password": "guess", "csrf_token": token}
    answers = await asyncio.gather(*(browser.post("/console/signin", data=guess) for _ in range(AT_ONCE)))
    codes = Counter(answer.status_code for answer in answers)
    # signin_max_failures (5, per email and IP) were checked and refused; the rest never reached the check
    assert codes == {400: 5, 429: AT_ONCE - 5}, codes
    assert all(TOO_MANY in answer.text for answer in answers if answer.status_code == 429)
    right = await browser.post("/console/signin", data={**guess, "password": PASSWORD})
    assert right.status_code == 429
    await browser.aclose()


async def test_reset_requests_sent_at_once_send_at_most_the_limit_of_mails(served: str, db: Database) -> None:
    await verified_account(db, served, "hanako@example.com")
    browser, token = await signed_out_browser(served)
    request = {"email": "hanako@example.com", "csrf_token": token}
    answers = await asyncio.gather(*(browser.post("/console/password/forgot", data=request) for _ in range(AT_ONCE)))
    # every answer is the same neutral page, whether a mail went out or not
    assert all(answer.status_code == 200 and 'data-testid="sent"' in answer.text for answer in answers)
    assert await reset_mails_to(db, "hanako@example.com") == 5  # reset_account_max_mails
    await browser.aclose()


# ---- one IP against many accounts, one account from many IPs -----------------------------------------


@asynccontextmanager
async def limited_console(db: Database, **limits: Any) -> AsyncIterator[Console]:
    """The consoles in-process (each browser with its own client IP), with the given limits."""
    app = ModuleApp(make_settings(development=True, **limits), database=db)
    async with Running(app, workers=False) as run:
        world = Console(run, db)
        yield world
        for b in world.browsers:
            await b.close()


async def sign_in_status(console: Console, ip: str, email: str, password: str = "guess") -> int:
    b = console.browser(ip)
    await b.get("/console/signin")
    return (await b.post("/console/signin", {"email": email, "password": password})).status_code


async def test_one_ip_trying_one_password_on_many_accounts_is_stopped_by_the_per_ip_limit(db: Database) -> None:
    async with limited_console(db, signin_ip_max_failures=4) as console:
        for n in range(3):
            await console.operator(f"victim{n}@example.com")
        emails = [f"victim{n}@example.com" for n in range(3)] + [f"guess{n}@example.com" for n in range(9)]
        statuses = [await sign_in_status(console, "203.0.113.5", email) for email in emails]
        assert statuses == [400] * 4 + [429] * 8
        # the IP is refused even the right password; the accounts' owners, elsewhere, are not
        assert await sign_in_status(console, "203.0.113.5", "victim0@example.com", PASSWORD) == 429
        assert await sign_in_status(console, "198.51.100.7", "victim0@example.com", PASSWORD) == 303


async def test_signing_in_to_ones_own_account_does_not_wipe_the_ips_failures(db: Database) -> None:
    async with limited_console(db, signin_ip_max_failures=4) as console:
        await console.operator("victim@example.com")
        await console.operator("mallory@example.com", ip="203.0.113.5")
        guesses = [await sign_in_status(console, "203.0.113.5", "victim@example.com") for _ in range(3)]
        own = await sign_in_status(console, "203.0.113.5", "mallory@example.com", PASSWORD)
        more = [await sign_in_status(console, "203.0.113.5", "victim@example.com") for _ in range(2)]
        assert (guesses, own, more) == ([400] * 3, 303, [400, 429])


async def test_ipv6_clients_count_per_64_network(db: Database) -> None:
    async with limited_console(db, signin_ip_max_failures=2) as console:
        statuses = [
            await sign_in_status(console, f"2001:db8:1:2::{n:x}", f"guess{n}@example.com") for n in range(1, 4)
        ]
        assert statuses == [400, 400, 429]
        assert await sign_in_status(console, "2001:db8:1:3::1", "guess9@example.com") == 400  # another /64
    assert client_network("::ffff:192.0.2.1") == "192.0.2.1"
    assert client_network("unknown") == "unknown"


async def test_one_account_tried_from_many_ips_is_stopped_by_the_per_account_limit(db: Database) -> None:
    async with limited_console(db, signin_account_max_failures=4) as console:
        await console.operator("owner@example.com")
        statuses = [await sign_in_status(console, f"203.0.113.{n}", "owner@example.com") for n in range(1, 11)]
        assert statuses == [400] * 4 + [429] * 6
        # while the account is held, its owner is refused too, until a reset by mail clears the hold
        assert await sign_in_status(console, "198.51.100.7", "owner@example.com", PASSWORD) == 429
        owner = console.browser("198.51.100.7")
        await owner.get("/console/password/forgot")
        await owner.post("/console/password/forgot", {"email": "owner@example.com"})
        link = await console.last_link("owner@example.com")
        await owner.get(link)
        assert 'data-kind="password_reset"' in (await owner.post(link, {"password": "a brand new one"})).text
        await console.sign_in(owner, "owner@example.com", "a brand new one")


async def test_reset_requests_from_one_ip_for_many_accounts_stop_at_the_per_ip_limit(db: Database) -> None:
    async with limited_console(db, reset_ip_max_mails=3) as console:
        emails = [f"person{n}@example.com" for n in range(6)]
        for email in emails:
            await console.operator(email)
        b = console.browser("203.0.113.9")
        await b.get("/console/password/forgot")
        for email in emails:
            answer = await b.post("/console/password/forgot", {"email": email})
            assert answer.status_code == 200 and 'data-testid="sent"' in answer.text
        assert [await reset_mails_to(db, email) for email in emails] == [1, 1, 1, 0, 0, 0]


async def test_signing_up_again_with_a_taken_address_mails_its_owner_at_most_the_limit(db: Database) -> None:
    async with limited_console(db, reset_account_max_mails=2) as console:
        await console.operator("taken@example.com")
        b = console.browser("203.0.113.10")
        await b.get("/console/signup")
        for _ in range(5):
            answer = await b.post("/console/signup", {"email": "taken@example.com", "password": "another password"})
            assert answer.status_code == 200 and 'data-testid="sent"' in answer.text
        mails = await console.mails_to("taken@example.com")
        assert len([m for m in mails if "/console/signin" in m.body]) == 2


# ---- the counters ------------------------------------------------------------------------------------


async def test_a_window_starts_at_a_keys_first_attempt_and_the_hourly_purge_drops_ended_ones(db: Database) -> None:
    clock = ManualClock()
    counters = AttemptCounters(db, clock)
    short, long = Limit("short", 2, window_seconds=60), Limit("long", 2, window_seconds=3600)
    assert await counters.count([(short, "a")]) is not None
    clock.advance(50)
    assert await counters.count([(short, "a")]) is not None
    # all or none: "long" had room, but "short" is full, so nothing was counted under "long" either
    assert await counters.count([(short, "a"), (long, "a")]) is None
    clock.advance(10)  # 60 s after the first attempt: a new window
    counted = await counters.count([(short, "a"), (long, "a")])
    assert counted is not None
    await counters.settle(give_back=counted)
    assert [await counters.count([(long, "a")]) is not None for _ in range(3)] == [True, True, False]

    clock.advance(60)
    await purge_account_rows(db, clock.now_ms())
    async with db.session() as session:
        kept = list(await session.scalars(select(AttemptCounterRow.key_hash)))
    assert kept == [long.key("a")]
