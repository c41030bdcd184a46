"""CSRF: every POST of both consoles needs the token of the browser's own session (form field or htmx
header); a token from another browser, or from before signing in, is refused."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute

from tests.framework.console.conftest import PASSWORD, Console
from tests.framework.helpers import BOT


def post_routes(console: Console) -> list[str]:
    paths = []
    for route in (r for router in console.app.console.state.routers for r in router.routes):
        if isinstance(route, APIRoute) and "POST" in route.methods and route.path.startswith(("/console", "/provider")):
            paths.append(re.sub(r"\{[^}]+\}", lambda m: BOT if m.group(0) == "{bot_id}" else "x", route.path))
    return paths


async def test_every_console_post_without_a_token_is_refused(console: Console) -> None:
    b = await console.operator("a@example.com")
    await console.give_oa("a@example.com")
    paths = post_routes(console)
    assert "/console/signin" in paths and f"/console/oas/{BOT}/team/invite" in paths and len(paths) > 15
    for path in paths:
        answer = await b.post(path, {"email": "x@example.com"}, csrf=False)
        assert answer.status_code == 403, (path, answer.status_code)
        assert 'data-kind="csrf"' in answer.text


async def test_a_token_of_another_browser_is_refused(console: Console) -> None:
    await console.operator("a@example.com")
    mallory = console.browser("10.9.9.9")
    await mallory.get("/console/signin")
    victim = console.browser()
    await victim.get("/console/signin")
    victim.token = mallory.token
    answer = await victim.post("/console/signin", {"email": "a@example.com", "password": PASSWORD})
    assert answer.status_code == 403


async def test_the_token_changes_when_signing_in(console: Console) -> None:
    b = console.browser()
    await b.get("/console/signup")
    await b.post("/console/signup", {"email": "a@example.com", "password": PASSWORD})
    await b.get(await console.last_link("a@example.com"))
    await b.get("/console/signin")
    before = b.token
    await console.sign_in(b, "a@example.com")
    assert b.token and b.token != before
    b.token = before
    assert (await b.post("/console/attach")).status_code == 403


async def test_htmx_requests_send_the_token_as_a_header(console: Console) -> None:
    b = await console.operator("a@example.com")
    page = await b.get("/console/account")
    assert f'"X-CSRF-Token": "{b.token}"' in page.text  # the layout hands it to htmx
    refused = await b.http.post("/console/signout", headers={"HX-Request": "true"})
    assert refused.status_code == 403
    accepted = await b.http.post("/console/signout", headers={"HX-Request": "true", "X-CSRF-Token": b.token})
    assert accepted.status_code == 303
