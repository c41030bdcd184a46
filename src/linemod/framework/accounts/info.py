"""What the rest of the framework knows about an account, and the rules on emails and passwords."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from linemod.framework.storage.models import Account

OWNER = "owner"
STAFF = "staff"
ROLES = (OWNER, STAFF)
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024  # argon2 takes any length; this only bounds the work one request can cause
_EMAIL = re.compile(r"\A[^@\s]+@[^@\s]+\Z")


class AccountError(Exception):
    """A request the account rules refuse; `code` names the message shown (a gettext msgid key)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class AccountInfo:
    id: int
    email: str
    provider_staff: bool
    email_verified: bool

    @classmethod
    def from_row(cls, row: Account) -> AccountInfo:
        return cls(row.id, row.email, bool(row.provider_staff), row.email_verified_at_ms is not None)


def normalize_email(email: str) -> str:
    """Lower-cased and trimmed; raises `AccountError("bad_email")` when it cannot be an address."""
    value = (email or "").strip().lower()
    if len(value) > 254 or not _EMAIL.match(value):
        raise AccountError("bad_email")
    return value


def check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError("weak_password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError("long_password")


def new_secret() -> tuple[str, str]:
    """A random URL-safe token and the SHA-256 stored in its place (a leaked table holds no usable token)."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()
