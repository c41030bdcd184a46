"""The module channel access token: issued on demand, cached, renewed before it expires.

Module channels have no long-lived tokens. Two kinds are supported: stateless (15 minutes, issued from the
channel ID and secret; unlimited in number) and v2.1 (a JWT assertion signed with the channel's registered
RSA key; up to 30 days; at most 30 live tokens per channel, so it is cached for its whole lifetime).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import jwt
import linebot.v3.oauth as oauth

from linemod.framework.clock import Clock
from linemod.framework.settings import Settings

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class TokenProvider:
    """`await tokens.get()` returns a valid module token; concurrent callers share one issue request."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self._token: str | None = None
        self._expires_at_ms = 0
        self._lock = asyncio.Lock()
        self._client: oauth.AsyncApiClient | None = None
        self.issued = 0  # how many tokens this process has issued (for tests and metrics)

    async def start(self) -> None:
        if self._client is None:
            config = oauth.Configuration(host=self.settings.api_url, access_token="")
            self._client = oauth.AsyncApiClient(config)
            self._client.default_headers.pop("Authorization", None)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    def invalidate(self) -> None:
        """Forget the cached token (LINE answered 401 with it)."""
        self._token = None
        self._expires_at_ms = 0

    def _fresh(self) -> bool:
        margin_ms = self.settings.token_renew_margin_seconds * 1000
        return self._token is not None and self.clock.now_ms() < self._expires_at_ms - margin_ms

    async def get(self) -> str:
        if self._fresh():
            return self._token  # type: ignore[return-value]
        async with self._lock:
            if not self._fresh():
                await self._issue()
            return self._token  # type: ignore[return-value]

    async def _issue(self) -> None:
        await self.start()
        api = oauth.AsyncChannelAccessToken(self._client)
        s = self.settings
        for attempt in range(3):
            try:
                if s.token_type == "v2.1":
                    response: Any = await api.issue_channel_token_by_jwt(
                        grant_type="client_credentials",
                        client_assertion_type=JWT_BEARER,
                        client_assertion=self.assertion(),
                        _request_timeout=s.api_timeout_seconds,
                    )
                else:
                    response = await api.issue_stateless_channel_token(
                        grant_type="client_credentials",
                        client_id=s.channel_id,
                        client_secret=s.channel_secret,
                        _request_timeout=s.api_timeout_seconds,
                    )
                break
            except oauth.ApiException as exc:
                if (exc.status or 0) < 500 or attempt == 2:
                    raise
                await asyncio.sleep(s.api_retry_base_seconds * 2**attempt)
        self._token = response.access_token
        self._expires_at_ms = self.clock.now_ms() + int(response.expires_in) * 1000
        self.issued += 1

    def assertion(self) -> str:
        """The RS256 JWT that asks for a v2.1 token (iss = sub = channel ID, aud = https://api.line.me/)."""
        s = self.settings
        if not s.jwk:
            raise RuntimeError("token_type v2.1 needs LINEMOD_JWK (the private RSA JWK of the channel)")
        jwk: dict[str, Any] = json.loads(s.jwk)
        kid = s.jwk_kid or jwk.get("kid")
        if not kid:
            raise RuntimeError("token_type v2.1 needs the key ID: set LINEMOD_JWK_KID or a kid in the JWK")
        key = jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(jwk))
        now = self.clock.now_ms() // 1000
        payload = {
            "iss": s.channel_id,
            "sub": s.channel_id,
            "aud": "https://api.line.me/",
            "exp": now + 30 * 60,
            "token_exp": s.token_lifetime_seconds,
        }
        return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid, "typ": "JWT"})  # type: ignore[arg-type]
