"""The process-wide side of outbound LINE calls: `LineApis` owns the SDK's `AsyncApiClient`s (one aiohttp
session each; api-data.line.me, the host of rich menu images and message content, has its own) and the module
channel access token, retries a call on 429, 5xx and connection failures, and makes the calls that belong to
the channel rather than to one OA (the list of attached OAs, the Detach API). `LineApis.for_tenant` gives the
tenant-bound `LineClient` (`client.py`) a handler uses.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import ssl
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import aiohttp
import linebot.v3.messaging as messaging
import linebot.v3.module as module
import linebot.v3.moduleattach as moduleattach
import linebot.v3.oauth as oauth
from linebot.v3.messaging import AsyncMessagingApiBlob
from linebot.v3.module import DetachModuleRequest

from linemod.framework.clock import Clock
from linemod.framework.line.channel_token import TokenProvider
from linemod.framework.settings import Settings
from linemod.framework.tenants.info import TenantInfo
from linemod.framework.tenants.store import BotProfile

if TYPE_CHECKING:
    from linemod.framework.line.client import LineClient

T = TypeVar("T")
API_ERRORS: tuple[type[Exception], ...] = (
    messaging.ApiException,
    module.ApiException,
    moduleattach.ApiException,
    oauth.ApiException,
)


def error_message(exc: Exception) -> str:
    """The `message` of a LINE error body, or the exception text."""
    body = getattr(exc, "body", None)
    if body:
        try:
            return str(json.loads(body).get("message") or body)
        except (ValueError, AttributeError):
            return str(body)
    return str(exc)


PROXY_VARIABLES = ("https_proxy", "http_proxy", "all_proxy")


async def _without_environment_lookups(client: Any) -> None:
    """The SDK's aiohttp sessions trust the environment, so aiohttp reads the proxy variables and ~/.netrc in a
    thread on every request: two thread hops per LINE call (a profile of `benchmarks/e2e.py` showed them on
    every reply). With no proxy configured there is nothing to find (LINE calls carry their own bearer token),
    so the session is swapped for one with the same pool that does not look."""
    if any(os.environ.get(name) or os.environ.get(name.upper()) for name in PROXY_VARIABLES):
        return
    rest = client.rest_client
    previous: aiohttp.ClientSession = rest.pool_manager
    ssl_context = ssl.create_default_context(cafile=client.configuration.ssl_ca_cert)
    connector = aiohttp.TCPConnector(limit=client.configuration.connection_pool_maxsize, ssl=ssl_context)
    rest.pool_manager = aiohttp.ClientSession(connector=connector, trust_env=False)
    await previous.close()


class LineApis:
    """The SDK clients of one process. Create in a running event loop (`await apis.start()`)."""

    def __init__(self, settings: Settings, clock: Clock, tokens: TokenProvider | None = None) -> None:
        self.settings = settings
        self.clock = clock
        self.tokens = tokens or TokenProvider(settings, clock)
        self._clients: list[Any] = []
        self.messaging: messaging.AsyncMessagingApi
        self.blob: AsyncMessagingApiBlob
        self.module: module.AsyncLineModule
        self.attach: moduleattach.AsyncLineModuleAttach

    async def start(self) -> None:
        s = self.settings
        messaging_client = messaging.AsyncApiClient(messaging.Configuration(host=s.api_url, access_token=""))
        blob_client = messaging.AsyncApiClient(messaging.Configuration(host=s.data_api_url, access_token=""))
        module_client = module.AsyncApiClient(module.Configuration(host=s.api_url, access_token=""))
        attach_config = moduleattach.Configuration(
            host=s.manager_url, username=s.channel_id, password=s.channel_secret, access_token=""
        )
        attach_client = moduleattach.AsyncApiClient(attach_config)
        attach_client.default_headers.pop("Authorization", None)  # Basic auth comes from the configuration
        self._clients = [messaging_client, blob_client, module_client, attach_client]
        for client in self._clients:
            await _without_environment_lookups(client)
        self.messaging = messaging.AsyncMessagingApi(messaging_client)
        self.blob = AsyncMessagingApiBlob(blob_client)
        self.module = module.AsyncLineModule(module_client)
        self.attach = moduleattach.AsyncLineModuleAttach(attach_client)
        await self.tokens.start()

    async def close(self) -> None:
        for client in self._clients:
            await client.close()
        self._clients = []
        await self.tokens.close()

    def for_tenant(self, tenant: TenantInfo, *, retry_seed: str | None = None) -> LineClient:
        """A client bound to `tenant`. `retry_seed` (e.g. the webhook event ID) makes retry keys
        deterministic, so a handler run again after a crash re-sends with the same keys and LINE answers
        409 instead of delivering twice."""
        from linemod.framework.line.client import LineClient  # client.py builds on this module

        return LineClient(self, tenant, retry_seed=retry_seed)

    async def authorize(self, api: Any) -> None:
        """Put the current module token on the client of `api` (renewing it first when needed)."""
        token = await self.tokens.get()
        # The SDK applies `configuration.access_token` after the default headers, so both are set.
        api.api_client.configuration.access_token = token
        api.api_client.default_headers["Authorization"] = f"Bearer {token}"

    async def call_with_retries(
        self, call: Callable[[], Awaitable[T]], *, idempotent_409: Callable[[Exception], T] | None = None
    ) -> T:
        """Run `call`, retrying 429/5xx/connection failures with exponential backoff (Retry-After wins)."""
        attempt = 0
        while True:
            try:
                return await call()
            except API_ERRORS as exc:
                status = getattr(exc, "status", 0) or 0
                if status == 409 and idempotent_409 is not None:
                    return idempotent_409(exc)
                if status == 401 and attempt == 0:
                    self.tokens.invalidate()
                elif not (status == 429 or status >= 500) or attempt >= self.settings.api_max_retries:
                    raise
                delay = _retry_after(exc)
            except (TimeoutError, aiohttp.ClientConnectionError):
                if attempt >= self.settings.api_max_retries:
                    raise
                delay = None
            if delay is None:
                delay = self.settings.api_retry_base_seconds * 2**attempt * random.uniform(0.8, 1.2)
            attempt += 1
            await asyncio.sleep(delay)

    async def list_attached_bots(self) -> list[BotProfile]:
        """Every OA LINE says this module is attached to (`GET /v2/bot/list`, all pages)."""
        bots: list[BotProfile] = []
        start: str | None = None
        while True:

            async def page(start: str | None = start) -> Any:
                await self.authorize(self.module)
                return await self.module.get_modules(start=start, limit=100, _request_timeout=self._timeout)

            response = await self.call_with_retries(page)
            bots.extend(
                BotProfile(
                    bot_id=b.user_id,
                    basic_id=b.basic_id,
                    premium_id=b.premium_id,
                    display_name=b.display_name,
                    picture_url=b.picture_url,
                )
                for b in response.bots
            )
            if not response.next:
                return bots
            start = response.next

    async def detach(self, bot_id: str) -> None:
        """Detach the module from an OA (Detach API; the bot is named in the body, no bot-ID header)."""

        async def call() -> Any:
            await self.authorize(self.module)
            return await self.module.detach_module(DetachModuleRequest(botId=bot_id), _request_timeout=self._timeout)

        await self.call_with_retries(call)

    @property
    def _timeout(self) -> float:
        return self.settings.api_timeout_seconds


def _retry_after(exc: Exception) -> float | None:
    headers = getattr(exc, "headers", None)
    value = headers.get("Retry-After") if headers else None
    try:
        return min(float(value), 60.0) if value is not None else None
    except ValueError:
        return None
