"""The authorize URL and the state checks of the attach flow (the token call is in the e2e tests)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from linemod.framework.clock import ManualClock
from linemod.framework.line.apis import LineApis
from linemod.framework.storage.models import AttachStateRow
from linemod.framework.tenants.attach_flow import AttachError, AttachFlow, pkce_challenge
from linemod.framework.tenants.info import TenantInfo
from linemod.framework.tenants.known import KnownTenants
from linemod.framework.tenants.store import TenantStore
from tests.framework.helpers import BOT, CHANNEL_ID, make_settings


def flow_for(db, clock=None, **settings):  # type: ignore[no-untyped-def]
    clock = clock or ManualClock()
    s = make_settings(**settings)
    return AttachFlow(s, db, clock, LineApis(s, clock), TenantStore(db, clock), KnownTenants(db))


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


async def test_authorize_url_has_state_pkce_and_message_receive(db) -> None:  # type: ignore[no-untyped-def]
    flow = flow_for(db, scopes=["message:send"], public_base_url="https://mod.example")
    begun = await flow.begin(region="JP", basic_search_id="@123abcd", brand_type="premium verified")
    url = urlsplit(begun.authorize_url)
    assert url.path == "/module/auth/v1/authorize"
    assert "scope=message%3Areceive%20message%3Asend" in begun.authorize_url  # %20, as LINE documents
    q = query(begun.authorize_url)
    assert q["response_type"] == "code" and q["client_id"] == CHANNEL_ID
    assert q["redirect_uri"] == "https://mod.example/attach/callback"
    assert q["state"] == begun.state and begun.state.isalnum() and len(begun.state) == 32
    assert q["code_challenge_method"] == "S256"
    assert (q["region"], q["basic_search_id"], q["brand_type"]) == ("JP", "@123abcd", "premium verified")
    async with db.session() as session:
        row = await session.get(AttachStateRow, begun.state)
    assert pkce_challenge(row.code_verifier) == q["code_challenge"]


async def test_states_are_random(db) -> None:  # type: ignore[no-untyped-def]
    flow = flow_for(db)
    states = {(await flow.begin()).state for _ in range(5)}
    assert len(states) == 5


async def test_reauthorization_keeps_granted_scopes_and_targets_the_oa(db) -> None:  # type: ignore[no-untyped-def]
    flow = flow_for(db)
    tenant = TenantInfo(BOT, "attached", frozenset({"message:receive", "account:manage"}), basic_id="@555aaaa")
    q = query((await flow.begin(add_scopes=["profile:read"], reauthorize=tenant)).authorize_url)
    assert q["scope"].split() == ["account:manage", "message:receive", "message:send", "profile:read"]
    assert q["basic_search_id"] == "@555aaaa"


async def test_callback_state_must_match_the_browser_cookie(db) -> None:  # type: ignore[no-untyped-def]
    flow = flow_for(db)
    mine, other = await flow.begin(), await flow.begin()
    with pytest.raises(AttachError) as failure:
        await flow.finish({"state": mine.state, "code": "c"}, other.cookie)
    assert failure.value.kind == "state_mismatch"
    with pytest.raises(AttachError) as failure:
        await flow.finish({"state": mine.state, "code": "c"}, "forged." + mine.cookie)
    assert failure.value.kind == "state_mismatch"


async def test_denied_and_used_states(db) -> None:  # type: ignore[no-untyped-def]
    flow = flow_for(db)
    begun = await flow.begin()
    callback = {"state": begun.state, "error": "access_denied", "error_description": "refused"}
    with pytest.raises(AttachError) as failure:
        await flow.finish(callback, begun.cookie)
    assert (failure.value.kind, failure.value.status) == ("denied", 403)
    with pytest.raises(AttachError) as failure:
        await flow.finish(callback, begun.cookie)
    assert failure.value.kind == "state_used_or_expired"


async def test_an_old_state_has_expired(db) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    flow = flow_for(db, clock)
    begun = await flow.begin()
    clock.advance(601)
    with pytest.raises(AttachError) as failure:
        await flow.finish({"state": begun.state, "code": "c"}, begun.cookie)
    assert failure.value.kind == "state_used_or_expired"
