"""Common multi-step set-ups: an OA with a module attached through the real OAuth flow."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from tests.support.servers import Emulator

REDIRECT = "https://module.example/callback"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_url(base: str, client_id: str, scopes: str = "message:send message:receive", state: str = "abc123",
                  **extra: str) -> str:
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT, "scope": scopes,
              "state": state, **extra}
    return f"{base}/module/auth/v1/authorize?{urlencode(params)}"


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


@dataclass
class Attached:
    channel: dict[str, Any]
    account: dict[str, Any]
    person: dict[str, Any]
    bot_id: str
    token: str
    user_id: str  # the person's L-ID as the module sees them

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "X-Line-Bot-Id": self.bot_id}


def get_code(emulator: Emulator, channel_id: str, bot_id: str, scopes: str = "message:send message:receive",
             **extra: str) -> str:
    url = authorize_url(emulator.url, channel_id, scopes, **extra)
    answer = emulator.call("POST", "/_emulator/authorize", expect=200,
                           json={"authorize_url": url, "bot_id": bot_id, "decision": "approve"})
    query = query_of(answer["redirect_url"])
    assert query["state"] == "abc123", answer
    return query["code"]


def exchange(emulator: Emulator, channel: dict[str, Any], code: str, **extra: str) -> httpx.Response:
    return emulator.http.post("/module/auth/v1/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, **extra,
    }, auth=(channel["channel_id"], channel["channel_secret"]))


def stateless_token(emulator: Emulator, channel: dict[str, Any]) -> str:
    answer = emulator.http.post("/oauth2/v3/token", data={
        "grant_type": "client_credentials", "client_id": channel["channel_id"],
        "client_secret": channel["channel_secret"]})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def attach(emulator: Emulator, webhook_url: str | None, *, scopes: str = "message:send message:receive",
           befriend: bool = True, channel_extra: dict[str, Any] | None = None,
           account_extra: dict[str, Any] | None = None) -> Attached:
    channel = emulator.module_channel(webhook_url, **(channel_extra or {}))
    account = emulator.account(**(account_extra or {}))
    person = emulator.person()
    code = get_code(emulator, channel["channel_id"], account["bot_id"], scopes)
    answer = exchange(emulator, channel, code)
    assert answer.status_code == 200, answer.text
    token = stateless_token(emulator, channel)
    user_id = ""
    if befriend:
        ids = emulator.call("POST", f"/_emulator/accounts/{account['bot_id']}/friends",
                            json={"user_id": person["user_id"]}, expect=200)["ids"]
        user_id = ids[channel["channel_id"]]
    return Attached(channel, account, person, account["bot_id"], token, user_id)
