"""The tenant-bound LINE client against the emulator: bot-ID header, token cache, scopes, retries."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from linebot.v3.messaging import TextMessage

from linemod.framework.clock import ManualClock, SystemClock
from linemod.framework.context import Context
from linemod.framework.line.apis import LineApis
from linemod.framework.line.client import LineClient, MissingScopeError, TenantNotAttachedError
from linemod.framework.settings import Settings
from linemod.framework.tenants.info import TenantInfo
from tests.framework.helpers import make_settings


@dataclass
class Setup:
    emu: httpx.AsyncClient
    settings: Settings
    bot_id: str
    channel_id: str
    user_id: str
    person_id: str

    async def control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.emu.request(method, path, **kwargs)
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    async def requests(self, path: str) -> list[dict[str, Any]]:
        log = (await self.control("GET", "/_emulator/requests", params={"limit": 200}))["requests"]
        return [r for r in log if r["path"] == path]

    async def module_texts(self) -> list[str]:
        path = f"/_emulator/accounts/{self.bot_id}/chats/{self.person_id}/messages"
        messages = (await self.control("GET", path))["messages"]
        return [m["message"].get("text") for m in messages if m["from"].startswith("channel:")]


@asynccontextmanager
async def attached_oa(line_emulator: str, scopes: str = "message:send message:receive") -> AsyncIterator[Setup]:
    """An OA attached with `scopes` (space-separated) to a fresh module channel, with one friend."""
    async with httpx.AsyncClient(base_url=line_emulator, timeout=20) as emu:
        await emu.post("/_emulator/reset")
        channel = (
            await emu.post(
                "/_emulator/module-channels",
                json={"name": "Client test", "webhook_url": None, "redirect_uris": ["https://m.example/cb"]},
            )
        ).json()
        account = (await emu.post("/_emulator/accounts", json={"display_name": "Shop"})).json()
        person = (await emu.post("/_emulator/users", json={"display_name": "Taro"})).json()
        url = (
            f"{line_emulator}/module/auth/v1/authorize?response_type=code&client_id={channel['channel_id']}"
            f"&redirect_uri=https%3A%2F%2Fm.example%2Fcb&scope={quote(scopes)}&state=s1"
        )
        answer = (
            await emu.post(
                "/_emulator/authorize", json={"authorize_url": url, "bot_id": account["bot_id"], "decision": "approve"}
            )
        ).json()
        code = httpx.URL(answer["redirect_url"]).params["code"]
        token = await emu.post(
            "/module/auth/v1/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": "https://m.example/cb"},
            auth=(channel["channel_id"], channel["channel_secret"]),
        )
        assert token.status_code == 200, token.text
        ids = (
            await emu.post(f"/_emulator/accounts/{account['bot_id']}/friends", json={"user_id": person["user_id"]})
        ).json()["ids"]
        settings = make_settings(
            channel_id=channel["channel_id"], channel_secret=channel["channel_secret"], line_base_url=line_emulator
        )
        yield Setup(
            emu, settings, account["bot_id"], channel["channel_id"], ids[channel["channel_id"]], person["user_id"]
        )


@pytest.fixture
async def setup(line_emulator: str) -> AsyncIterator[Setup]:
    async with attached_oa(line_emulator) as attached:
        yield attached


def tenant(setup: Setup, scopes: tuple[str, ...] = ("message:send", "message:receive"), state: str = "attached"):  # type: ignore[no-untyped-def]
    return TenantInfo(setup.bot_id, state, frozenset(scopes))


async def started(settings: Settings, clock: Any = None) -> LineApis:
    apis = LineApis(settings, clock or SystemClock())
    await apis.start()
    return apis


async def test_every_call_carries_the_bot_id_of_its_tenant(setup: Setup) -> None:
    apis = await started(setup.settings)
    try:
        client = apis.for_tenant(tenant(setup))
        info = await client.get_bot_info()
        await client.push(setup.user_id, [TextMessage(text="hello")])
    finally:
        await apis.close()
    assert info.bot_id == setup.bot_id and info.display_name == "Shop"
    for path in ("/v2/bot/info", "/v2/bot/message/push"):
        [request] = await setup.requests(path)
        assert request["bot_id"] == setup.bot_id and request["status_code"] == 200


async def test_the_module_token_is_cached_and_renewed_before_expiry(setup: Setup) -> None:
    clock = ManualClock(SystemClock().now_ms())
    apis = await started(setup.settings, clock)
    try:
        client = apis.for_tenant(tenant(setup))
        await client.get_bot_info()
        await client.get_bot_info()
        assert apis.tokens.issued == 1
        clock.advance(900 - setup.settings.token_renew_margin_seconds + 1)  # stateless tokens live 900 s
        await client.get_bot_info()
        assert apis.tokens.issued == 2
    finally:
        await apis.close()


async def test_a_missing_scope_raises_before_any_request(setup: Setup) -> None:
    apis = await started(setup.settings)
    try:
        client = apis.for_tenant(tenant(setup))
        with pytest.raises(MissingScopeError, match="profile:read"):
            await client.get_profile(setup.user_id)
        detached = apis.for_tenant(tenant(setup, state="detached"))
        with pytest.raises(TenantNotAttachedError):
            await detached.push(setup.user_id, [TextMessage(text="no")])
    finally:
        await apis.close()
    assert await setup.requests(f"/v2/bot/profile/{setup.user_id}") == []
    assert await setup.requests("/v2/bot/message/push") == []


async def test_429_and_5xx_are_retried_with_the_same_retry_key(setup: Setup) -> None:
    await setup.control(
        "POST", "/_emulator/faults", json={"method": "POST", "path": "/v2/bot/message/push", "status": 429, "count": 1}
    )
    await setup.control(
        "POST", "/_emulator/faults", json={"method": "POST", "path": "/v2/bot/message/push", "status": 503, "count": 1}
    )
    apis = await started(setup.settings)
    try:
        response = await apis.for_tenant(tenant(setup)).push(setup.user_id, [TextMessage(text="persistent")])
    finally:
        await apis.close()
    assert len(response.sent_messages) == 1
    assert sorted(r["status_code"] for r in await setup.requests("/v2/bot/message/push")) == [200, 429, 503]
    assert (await setup.module_texts()).count("persistent") == 1


async def test_a_4xx_is_not_retried(setup: Setup) -> None:
    apis = await started(setup.settings)
    try:
        with pytest.raises(Exception) as failure:
            await apis.for_tenant(tenant(setup)).push("Uunknown", [TextMessage(text="x")])
    finally:
        await apis.close()
    assert getattr(failure.value, "status", None) == 400
    assert len(await setup.requests("/v2/bot/message/push")) == 1


async def test_retry_keys_are_stable_for_a_seed(setup: Setup) -> None:
    apis = LineApis(setup.settings, SystemClock())
    first = LineClient(apis, tenant(setup), retry_seed="01EVENT")
    again = LineClient(apis, tenant(setup), retry_seed="01EVENT")
    other = LineClient(apis, tenant(setup), retry_seed="01OTHER")
    keys = [first.new_retry_key(), first.new_retry_key()]
    assert keys == [again.new_retry_key(), again.new_retry_key()]
    assert keys[0] != keys[1] and other.new_retry_key() != keys[0]


def refused_token_context(setup: Setup, line: LineClient, **tries: Any) -> Context:
    """A handler's ctx for an event whose reply token the emulator refuses (never issued: as used or expired)."""
    from linebot.v3.webhooks import Event

    from linemod.framework.i18n import Catalogs
    from linemod.framework.line.chat_control import ChatControl

    event = Event.from_dict(
        {
            "type": "message",
            "mode": "active",
            "timestamp": 1,
            "replyToken": "expired-or-used",
            "webhookEventId": "01FALLBACK",
            "deliveryContext": {"isRedelivery": False},
            "source": {"type": "user", "userId": setup.user_id},
            "message": {"id": "1", "type": "text", "text": "hi", "quoteToken": "q"},
        }
    )
    return Context(
        tenant=tenant(setup),
        line=line,
        db=None,
        event=event,
        settings=setup.settings,
        clock=SystemClock(),
        catalogs=Catalogs(),
        scheduler=None,  # type: ignore[arg-type]
        chat=ChatControl(line, setup.user_id),
        **tries,
    )


@pytest.mark.parametrize(
    ("tries", "pushed"),
    [
        ({}, True),  # the first try: the token expired before the handler came to it
        ({"first_try": False, "received_at_ms": 0}, True),  # a re-run long after: expired, or used (unknowable)
        ({"first_try": False, "received_at_ms": "now"}, False),  # a re-run within its lifetime: an earlier try used it
    ],
)
async def test_reply_falls_back_to_push_when_the_reply_token_is_gone(
    setup: Setup, tries: dict[str, Any], pushed: bool
) -> None:
    if tries.get("received_at_ms") == "now":
        tries["received_at_ms"] = SystemClock().now_ms() - 5_000
    apis = await started(setup.settings)
    try:
        ctx = refused_token_context(setup, apis.for_tenant(tenant(setup), retry_seed="01FALLBACK"), **tries)
        answer = await ctx.reply(TextMessage(text="late answer"))
        await ctx.reply(TextMessage(text="and more"))  # the token is spent: straight to push
    finally:
        await apis.close()
    assert [r["status_code"] for r in await setup.requests("/v2/bot/message/reply")] == [400]
    assert (answer is not None) == pushed
    assert (await setup.module_texts()) == (["late answer", "and more"] if pushed else ["and more"])


async def test_v21_tokens_are_issued_with_a_signed_jwt_assertion(setup: Setup) -> None:
    import json

    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwt.algorithms import RSAAlgorithm

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    public.update(alg="RS256", use="sig")
    kid = (await setup.control("POST", f"/_emulator/module-channels/{setup.channel_id}/public-keys", json=public))[
        "kid"
    ]
    settings = setup.settings.model_copy(
        update={"token_type": "v2.1", "jwk": RSAAlgorithm.to_jwk(key), "jwk_kid": kid, "token_lifetime_seconds": 3600}
    )
    apis = await started(settings)
    try:
        info = await apis.for_tenant(tenant(setup)).get_bot_info()
        assert info.bot_id == setup.bot_id
        assert apis.tokens.issued == 1
    finally:
        await apis.close()
    v21 = [
        r
        for r in (await setup.control("GET", "/_emulator/requests", params={"limit": 50}))["requests"]
        if r["path"] == "/oauth2/v2.1/token"
    ]
    assert [r["status_code"] for r in v21] == [200]


@pytest.mark.parametrize("proxy", [None, "http://proxy.example:3128"])
async def test_the_sdk_sessions_read_the_environment_only_when_a_proxy_is_set(
    setup: Setup, proxy: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("https_proxy", "http_proxy", "all_proxy", "HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    if proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy)
    apis = await started(setup.settings)
    try:
        sessions = [api.api_client.rest_client.pool_manager for api in (apis.messaging, apis.blob, apis.module)]
        assert [s.trust_env for s in sessions] == [proxy is not None] * 3
        if proxy is None:  # the swapped session still reaches LINE, with the bot-ID header
            assert (await apis.for_tenant(tenant(setup)).get_bot_info()).bot_id == setup.bot_id
    finally:
        await apis.close()


async def test_a_reply_skips_the_sdks_second_validation_only_where_the_sdk_wraps_it() -> None:
    from types import SimpleNamespace

    from linebot.v3 import messaging

    from linemod.framework.line.client import _reply_unchecked

    client = messaging.AsyncApiClient(messaging.Configuration(access_token="t"))
    api = messaging.AsyncMessagingApi(client)
    fast = _reply_unchecked(api)
    assert fast is not api.reply_message and fast.__self__ is api  # type: ignore[attr-defined]
    await client.close()
    # An SDK without pydantic's wrappers (a future version): its own reply_message, nothing skipped.
    plain = SimpleNamespace(reply_message_with_http_info=lambda *a, **k: None, reply_message=object())
    assert _reply_unchecked(plain) is plain.reply_message  # type: ignore[arg-type]
