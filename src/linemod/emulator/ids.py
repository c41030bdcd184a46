"""Identifier formats of the LINE Platform, generated the way they look on the real one."""

from __future__ import annotations

import hashlib
import re
import secrets
import string
import uuid

from ulid import ULID

USER_ID_RE = re.compile(r"\AU[0-9a-f]{32}\Z")
GROUP_ID_RE = re.compile(r"\AC[0-9a-f]{32}\Z")
ROOM_ID_RE = re.compile(r"\AR[0-9a-f]{32}\Z")
MODULE_USER_ID_RE = re.compile(r"\ALU[0-9a-f]{32}-U[0-9a-f]{32}\Z")
STATE_RE = re.compile(r"\A[A-Za-z0-9]{1,512}\Z")



def bot_user_id() -> str:
    return "U" + secrets.token_hex(16)


def person_id() -> str:
    return "U" + secrets.token_hex(16)


def scoped_user_id(scope_secret: str, person: str) -> str:
    """A `U…` ID of `person` that only the holder of `scope_secret` sees (one per channel or provider)."""
    return "U" + hashlib.sha256(f"{scope_secret}:{person}".encode()).hexdigest()[:32]


def module_user_id(provider_scoped_id: str, bot_id: str) -> str:
    """The 68-character `L…` ID a Marketplace module sees: `L` + provider-scoped U-ID + `-` + bot ID."""
    return f"L{provider_scoped_id}-{bot_id}"


def channel_id() -> str:
    return str(secrets.randbelow(9_000_000_000) + 1_000_000_000)


def channel_secret() -> str:
    return secrets.token_hex(16)


def basic_id() -> str:
    digits = "".join(secrets.choice(string.digits) for _ in range(3))
    letters = "".join(secrets.choice(string.ascii_lowercase) for _ in range(4))
    return f"@{digits}{letters}"


def webhook_event_id() -> str:
    return str(ULID())


def request_id() -> str:
    return str(uuid.uuid4())


def message_id() -> str:
    return str(secrets.randbelow(9 * 10**17) + 10**17)


def opaque_token(length: int = 32) -> str:
    """A random alphanumeric token (hex: it sits on every webhook's hot path, so one syscall)."""
    return secrets.token_hex((length + 1) // 2)[:length]


def is_chat_id(value: str) -> bool:
    return bool(
        USER_ID_RE.match(value)
        or MODULE_USER_ID_RE.match(value)
        or GROUP_ID_RE.match(value)
        or ROOM_ID_RE.match(value)
    )
