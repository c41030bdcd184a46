"""Password hashing with argon2id (argon2-cffi), off the event loop: a hash costs tens of milliseconds."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Passwords:
    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """True when `password` matches. With no hash (unknown email) a dummy hash is checked anyway, so the
        answer takes as long and does not tell which emails have accounts."""
        if password_hash is None:
            if self._dummy is None:
                self._dummy = await self.hash("linemod-dummy-password")
            password_hash = self._dummy
            password = password + "\x00"  # never matches the dummy
        try:
            return await asyncio.to_thread(self._hasher.verify, password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)
