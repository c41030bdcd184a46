"""What the tests of rules 1–36 (docs/emulator-behaviour.md) share: the OA admin's answers, module calls,
tokens, keys."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.support.flows import (
    exchange,
    get_code,
    query_of,
)
from tests.support.servers import Emulator

NOT_AVAILABLE = {"message": "Access to this API is not available for your account"}
RATE_LIMITED = {"message": "The API rate limit has been exceeded. Try again later."}
BOT_ID_RE = re.compile(r"^U[0-9a-f]{32}$")
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


# ---- helpers ---------------------------------------------------------------------------------------


def approve(emulator: Emulator, url: str, bot_id: str, decision: str = "approve") -> dict[str, str]:
    """The OA admin answers the consent screen; returns the redirect's query."""
    answer = emulator.call("POST", "/_emulator/authorize", expect=200,
                           json={"authorize_url": url, "bot_id": bot_id, "decision": decision})
    return query_of(answer["redirect_url"])


def attach_to(emulator: Emulator, channel: dict[str, Any], bot_id: str,
              scopes: str = "message:send message:receive") -> dict[str, Any]:
    code = get_code(emulator, channel["channel_id"], bot_id, scopes)
    answer = exchange(emulator, channel, code)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def befriend(emulator: Emulator, bot_id: str, user_id: str) -> dict[str, str]:
    answer = emulator.call("POST", f"/_emulator/accounts/{bot_id}/friends", json={"user_id": user_id}, expect=200)
    return dict(answer["ids"])


def say(emulator: Emulator, bot_id: str, user_id: str, text: str) -> None:
    emulator.call("POST", f"/_emulator/accounts/{bot_id}/chats/{user_id}/messages",
                  json={"type": "text", "text": text}, expect=202)


def headers(token: str, bot_id: str | None = None) -> dict[str, str]:
    out = {"Authorization": f"Bearer {token}"}
    if bot_id is not None:
        out["X-Line-Bot-Id"] = bot_id
    return out


def push(emulator: Emulator, hdrs: dict[str, str], to: str, text: str = "hello") -> httpx.Response:
    return emulator.http.post("/v2/bot/message/push", headers=hdrs,
                              json={"to": to, "messages": [{"type": "text", "text": text}]})


def bot_list(emulator: Emulator, token: str) -> list[str]:
    answer = emulator.http.get("/v2/bot/list", headers=headers(token))
    assert answer.status_code == 200, answer.text
    return [bot["userId"] for bot in answer.json()["bots"]]


def bot_list_status(emulator: Emulator, token: str) -> int:
    return emulator.http.get("/v2/bot/list", headers=headers(token)).status_code


def chat_texts(emulator: Emulator, bot_id: str, user_id: str) -> list[str]:
    chat = emulator.call("GET", f"/_emulator/accounts/{bot_id}/chats/{user_id}/messages", expect=200)
    return [m["message"].get("text", "") for m in chat["messages"]]


def now_s(emulator: Emulator) -> int:
    return int(emulator.call("GET", "/_emulator/clock", expect=200)["now_ms"]) // 1000


def rsa_key() -> tuple[rsa.RSAPrivateKey, dict[str, Any]]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    public.update({"alg": "RS256", "use": "sig"})
    assert "kid" not in public
    return private, public


def register_key(emulator: Emulator, channel_id: str, jwk: dict[str, Any]) -> str:
    answer = emulator.http.post(f"/_emulator/module-channels/{channel_id}/public-keys", json=jwk)
    assert answer.status_code in (200, 201), answer.text
    assert set(answer.json()) == {"kid"}
    return str(answer.json()["kid"])


def assertion(emulator: Emulator, private: rsa.RSAPrivateKey, kid: str, channel_id: str, **claims: Any) -> str:
    now = now_s(emulator)
    payload = {"iss": channel_id, "sub": channel_id, "aud": "https://api.line.me/", "exp": now + 60 * 25,
               "token_exp": 86400, **claims}
    return jwt.encode(payload, private, algorithm="RS256", headers={"kid": kid, "typ": "JWT"})


def issue_v21(emulator: Emulator, client_assertion: str) -> httpx.Response:
    return emulator.http.post("/oauth2/v2.1/token", data={
        "grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": client_assertion})


def issue_short(emulator: Emulator, channel: dict[str, Any], secret: str | None = None) -> httpx.Response:
    return emulator.http.post("/v2/oauth/accessToken", data={
        "grant_type": "client_credentials", "client_id": channel["channel_id"],
        "client_secret": secret if secret is not None else channel["channel_secret"]})


class FrozenClock:
    """Stands in for the rate limiter's clock, so token-bucket refill is exactly what a test says."""

    def __init__(self, now_ms: int) -> None:
        self.ms = now_ms

    def now_ms(self) -> int:
        return self.ms
