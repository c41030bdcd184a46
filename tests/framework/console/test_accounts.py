"""Accounts: sign-up with email verification, sign-in (rate-limited per email and IP, across processes),
sessions revoked on sign-out and password change, password reset by link."""

from __future__ import annotations

from sqlalchemy import select

from linemod.framework.app import ModuleApp
from linemod.framework.storage.models import Account, AuthSessionRow
from tests.framework.console.conftest import PASSWORD, Browser, Console
from tests.framework.helpers import Running, make_settings


async def test_sign_up_sends_a_verification_link_and_sign_in_waits_for_it(console: Console) -> None:
    b = console.browser()
    await b.get("/console/signup")
    sent = await b.post("/console/signup", {"email": "Hanako@Example.com ", "password": PASSWORD})
    assert sent.status_code == 200 and 'data-testid="sent"' in sent.text
    early = await b.post("/console/signin", {"email": "hanako@example.com", "password": PASSWORD})
    assert early.status_code == 403 and "verify/resend" in early.text
    link = await console.last_link("hanako@example.com")
    assert link.startswith("/console/verify/")
    assert 'data-kind="verified"' in (await b.get(link)).text
    assert 'data-kind="link_invalid"' in (await b.get(link)).text  # single use
    signed_in = await b.post("/console/signin", {"email": "hanako@example.com", "password": PASSWORD})
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/console/"
    home = await b.get("/console/")
    assert home.status_code == 200 and "hanako@example.com" in home.text


async def test_passwords_are_stored_as_argon2id_hashes(console: Console) -> None:
    await console.operator("a@example.com")
    async with console.db.session() as session:
        stored = await session.scalar(select(Account.password_hash).where(Account.email == "a@example.com"))
    assert stored is not None and stored.startswith("$argon2id$") and PASSWORD not in stored


async def test_signing_up_with_a_taken_email_looks_the_same_and_mails_the_owner(console: Console) -> None:
    await console.operator("a@example.com")
    other = console.browser()
    await other.get("/console/signup")
    answer = await other.post("/console/signup", {"email": "a@example.com", "password": "another password"})
    assert answer.status_code == 200 and 'data-testid="sent"' in answer.text
    mails = await console.mails_to("a@example.com")
    assert len(mails) == 2 and "/console/signin" in mails[-1].body
    async with console.db.session() as session:
        assert len(list(await session.scalars(select(Account)))) == 1


async def test_short_passwords_and_bad_emails_are_refused(console: Console) -> None:
    b = console.browser()
    await b.get("/console/signup")
    assert (await b.post("/console/signup", {"email": "a@example.com", "password": "short"})).status_code == 400
    assert (await b.post("/console/signup", {"email": "not-an-email", "password": PASSWORD})).status_code == 400


async def test_wrong_password_is_refused_without_saying_which_part_was_wrong(console: Console) -> None:
    await console.operator("a@example.com")
    b = console.browser()
    await b.get("/console/signin")
    wrong = await b.post("/console/signin", {"email": "a@example.com", "password": "wrong password"})
    unknown = await b.post("/console/signin", {"email": "nobody@example.com", "password": "wrong password"})
    assert wrong.status_code == unknown.status_code == 400
    assert 'data-testid="error"' in wrong.text and "set-cookie" not in {k.lower() for k in wrong.headers}


async def test_sign_in_is_rate_limited_per_email_and_ip(console: Console) -> None:
    await console.operator("a@example.com")
    attacker = console.browser("10.0.0.1")
    await attacker.get("/console/signin")
    guess = {"email": "a@example.com", "password": "guess"}
    for _ in range(3):  # signin_max_failures=3 in these tests
        assert (await attacker.post("/console/signin", guess)).status_code == 400
    blocked = await attacker.post("/console/signin", {"email": "a@example.com", "password": PASSWORD})
    assert blocked.status_code == 429  # even the right password is not checked any more
    elsewhere = console.browser("10.0.0.2")  # the owner, from their own network, is not locked out
    await console.sign_in(elsewhere, "a@example.com")


async def test_the_rate_limit_holds_across_processes(console: Console) -> None:
    await console.operator("a@example.com")
    attacker = console.browser("10.0.0.9")
    await attacker.get("/console/signin")
    for _ in range(3):
        await attacker.post("/console/signin", {"email": "a@example.com", "password": "guess"})
    second = ModuleApp(make_settings(development=True, signin_max_failures=3), database=console.db)
    async with Running(second, workers=False) as run:
        other = Browser(run.asgi, "10.0.0.9")
        await other.get("/console/signin")
        right = {"email": "a@example.com", "password": PASSWORD}
        assert (await other.post("/console/signin", right)).status_code == 429
        await other.close()


async def test_sign_out_revokes_the_session_server_side(console: Console) -> None:
    b = await console.operator("a@example.com")
    stolen = b.http.cookies.get("linemod_console_session")
    assert (await b.get("/console/account")).status_code == 200
    out = await b.post("/console/signout")
    assert out.status_code == 303 and "linemod_console_session" not in b.http.cookies
    replay = console.browser()
    replay.http.cookies.set("linemod_console_session", stolen)
    answer = await replay.get("/console/account")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/console/signin")
    async with console.db.session() as session:
        rows = list(await session.scalars(select(AuthSessionRow)))
    assert len(rows) == 1 and rows[0].revoked_at_ms is not None


async def test_a_forged_session_cookie_is_ignored(console: Console) -> None:
    b = console.browser()
    b.http.cookies.set("linemod_console_session", "eyJmb3JnZWQiOnRydWV9.forged")
    assert (await b.get("/console/")).status_code == 303


async def test_changing_the_password_revokes_every_other_session(console: Console) -> None:
    laptop = await console.operator("a@example.com")
    phone = console.browser("10.1.1.1")
    await console.sign_in(phone, "a@example.com")
    assert (await phone.get("/console/account")).status_code == 200
    await laptop.get("/console/account")
    wrong = await laptop.post("/console/account/password", {"current": "nope", "password": "a new password"})
    assert wrong.status_code == 400
    changed = await laptop.post("/console/account/password", {"current": PASSWORD, "password": "a new password"})
    assert changed.status_code == 303
    assert (await laptop.get("/console/account")).status_code == 200  # the browser that changed it stays in
    assert (await phone.get("/console/account")).status_code == 303  # every other one is out
    fresh = console.browser("10.2.2.2")
    await console.sign_in(fresh, "a@example.com", "a new password")


async def test_password_reset_by_link_revokes_sessions_and_is_single_use(console: Console) -> None:
    signed_in = await console.operator("a@example.com")
    b = console.browser("10.3.3.3")
    await b.get("/console/password/forgot")
    for email in ("a@example.com", "nobody@example.com"):  # same answer whether or not the account exists
        answer = await b.post("/console/password/forgot", {"email": email})
        assert answer.status_code == 200 and 'data-testid="sent"' in answer.text
    assert await console.mails_to("nobody@example.com") == []
    link = await console.last_link("a@example.com")
    assert link.startswith("/console/password/reset/")
    await b.get(link)
    done = await b.post(link, {"password": "brand new password"})
    assert done.status_code == 200 and 'data-kind="password_reset"' in done.text
    assert (await signed_in.get("/console/account")).status_code == 303
    assert 'data-kind="link_invalid"' in (await b.get(link)).text
    await console.sign_in(b, "a@example.com", "brand new password")


async def test_a_reset_ends_every_older_reset_link_of_the_account(console: Console) -> None:
    await console.operator("a@example.com")
    b = console.browser("10.4.4.4")
    await b.get("/console/password/forgot")
    links = []
    for _ in range(2):  # two requests: two mails, two links
        await b.post("/console/password/forgot", {"email": "a@example.com"})
        links.append(await console.last_link("a@example.com"))
    older, newer = links
    assert older != newer
    await b.get(newer)
    assert 'data-kind="password_reset"' in (await b.post(newer, {"password": "brand new password"})).text
    assert 'data-kind="link_invalid"' in (await b.get(older)).text
    assert 'data-kind="link_invalid"' in (await b.post(older, {"password": "taken back again"})).text
    await console.sign_in(b, "a@example.com", "brand new password")


async def test_staff_accounts_are_never_made_by_sign_up_and_land_on_the_provider_console(console: Console) -> None:
    staff = await console.staff()
    assert (await staff.get("/provider/")).status_code == 200
    home = await staff.get("/console/")
    assert home.status_code == 303 and home.headers["location"] == "/provider/"
    async with console.db.session() as session:
        flags = list(await session.scalars(select(Account.provider_staff)))
    assert flags == [True]


async def test_the_outbox_exists_only_in_development_mode(db) -> None:  # type: ignore[no-untyped-def]
    app = ModuleApp(make_settings(development=False), database=db)
    async with Running(app, workers=False) as run:
        b = Browser(run.asgi)
        assert (await b.get("/console/outbox")).status_code == 404
        await b.close()
